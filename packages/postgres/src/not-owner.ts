/**
 * The error of lease mode is core's NotOwner (code NOT_OWNER, retryable): another node hosts the
 * aggregate right now; the lease moves when that node evicts the actor or dies.
 */
import { NotOwner } from '@actorfold/core';

export { NotOwner };

/** True for a NotOwner error from any installed copy (checked by code, like isActorfoldError). */
export function isNotOwner(e: unknown): e is NotOwner {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { code?: unknown }).code === 'NOT_OWNER' &&
    typeof (e as { streamId?: unknown }).streamId === 'string'
  );
}
