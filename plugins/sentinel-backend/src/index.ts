/**
 * The Sentinel backend plugin: plan intake, policy checks, execution and rollback.
 *
 * @packageDocumentation
 */

export { sentinelPlugin as default } from './plugin';
