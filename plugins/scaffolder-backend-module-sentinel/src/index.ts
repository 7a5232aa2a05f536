/**
 * Sentinel's scaffolder actions.
 *
 * @packageDocumentation
 */

export { scaffolderModuleSentinel as default } from './module';
export { createWorkloadsAnnotationAction } from './actions/workloadsAnnotation';
