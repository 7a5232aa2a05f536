/**
 * Sentinel's scaffolder actions.
 *
 * @packageDocumentation
 */

export { scaffolderModuleSentinel as default } from './module';
export { createFilesExportAction } from './actions/filesExport';
export { createFreezeCreateAction } from './actions/freezeCreate';
export { createPlanSubmitAction } from './actions/planSubmit';
export { createRolloutControlAction } from './actions/rolloutControl';
export { createWorkloadAnnotateAction } from './actions/workloadAnnotate';
export { createWorkloadsAnnotationAction } from './actions/workloadsAnnotation';
export type { SentinelCallerDeps } from './sentinelCaller';
