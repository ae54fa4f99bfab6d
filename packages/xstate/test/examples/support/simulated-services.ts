/**
 * The outside world of the workflow examples, simulated: each service is a deterministic
 * function of its input and attempt (no sleeps, no randomness), registered with the runtime as
 * an effect implementation. Every call is logged, so a test can say what ran, how often, and
 * that replay ran nothing again.
 */
import type { EffectDefinition, EffectImplementation } from '@actorfold/core';

/** What a simulated service does with one call: returns the output, or throws to fail the attempt. */
export type ServiceBehaviour = (input: unknown, attempt: number) => unknown;

/** A service with effect settings of its own (the retry budget, which errors are worth a retry). */
export interface ServiceSpec {
  behaviour: ServiceBehaviour;
  maxAttempts?: number;
  retryable?: (error: unknown) => boolean;
}

/** One call as the service saw it. */
export interface ServiceCall {
  readonly service: string;
  readonly input: unknown;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly streamId: string;
}

/** A remote that is down for this attempt; the examples' "ServiceNotAvailable". Worth a retry. */
export class ServiceNotAvailable extends Error {
  readonly code = 'SERVICE_NOT_AVAILABLE';
  override readonly name = 'ServiceNotAvailable';
}

/** A remote's final answer that the request is wrong (no retry helps). */
export class RequestRefused extends Error {
  readonly code = 'REQUEST_REFUSED';
  override readonly name = 'RequestRefused';
  readonly retryable = false;
}

/** The services of one example, and the log of their calls. */
export class SimulatedServices {
  readonly calls: ServiceCall[] = [];
  readonly #specs: ReadonlyMap<string, ServiceSpec>;

  constructor(services: Readonly<Record<string, ServiceBehaviour | ServiceSpec>>) {
    this.#specs = new Map(
      Object.entries(services).map(([name, s]) => [name, typeof s === 'function' ? { behaviour: s } : s]),
    );
  }

  /** The effect implementations to register with the runtime, by service name. */
  implementations(): Record<string, EffectImplementation | EffectDefinition> {
    const out: Record<string, EffectDefinition> = {};
    for (const [service, spec] of this.#specs) {
      out[service] = {
        run: async (input, ctx) => {
          this.calls.push({
            service,
            input,
            attempt: ctx.attempt,
            idempotencyKey: ctx.idempotencyKey,
            streamId: ctx.streamId,
          });
          return spec.behaviour(input, ctx.attempt);
        },
        ...(spec.maxAttempts === undefined ? {} : { maxAttempts: spec.maxAttempts }),
        ...(spec.retryable === undefined ? {} : { retryable: spec.retryable }),
      };
    }
    return out;
  }

  /** The calls of one service, in order. */
  callsOf(service: string): ServiceCall[] {
    return this.calls.filter((c) => c.service === service);
  }

  /** The services called, in order of their calls (one name per call). */
  sequence(): string[] {
    return this.calls.map((c) => c.service);
  }
}
