/**
 * Sentinel's frontend plugin: the Sentinel tab and Overview card of a service's catalog page,
 * the admin pages, and the scaffolder's workload picker field.
 *
 * @packageDocumentation
 */

export { sentinelPlugin as default } from './plugin';
