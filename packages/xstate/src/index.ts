export { effectsFromMachine, type InvokedEffectArgs, type InvokingSource } from './effects-from-machine.js';
export {
  ImpureMachine,
  isImpureMachine,
  isUnknownWorkflowVersion,
  isWorkflowDiverged,
  type StatechartErrorCode,
  UnknownWorkflowVersion,
  type UnsupportedFeature,
  UnsupportedMachine,
  WorkflowDiverged,
} from './errors.js';
export { pastTenseEventType } from './event-naming.js';
export {
  type FromMachineOptions,
  fromMachine,
  type Machines,
  type MachinesCommand,
  type MachinesContext,
  type MachinesEmitted,
  type StatechartDefinition,
  type StatechartSnapshotPolicy,
} from './from-machine.js';
export { isoDurationMs } from './iso-duration.js';
export { INVOKE_DONE, INVOKE_FAILED, INVOKE_SETTLED } from './machine-effects.js';
export { DELAY_ELAPSED } from './machine-timers.js';
export type { CommandOfEvent, EmittedEvent, StatechartEvent, WithAcceptedAt } from './statechart-event.js';
export type { StatechartState } from './statechart-state.js';
export { findUnsupportedFeatures } from './unsupported-features.js';
