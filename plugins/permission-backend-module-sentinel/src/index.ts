/**
 * Sentinel's role policy for the Backstage permission backend.
 *
 * @packageDocumentation
 */

export { permissionModuleSentinel as default } from './module';
