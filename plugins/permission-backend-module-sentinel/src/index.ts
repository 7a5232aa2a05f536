/**
 * Sentinel's role policy for the Backstage permission backend.
 *
 * @packageDocumentation
 */

export { permissionModuleSentinel as default } from './module';
export { SentinelPolicy, type PolicyBindings } from './policy/SentinelPolicy';
export { SentinelBindings } from './policy/SentinelBindings';
/** The example of docs/permissions.md: contractors see one namespace. */
export { ContractorPolicy } from './examples/ContractorPolicy';
export { contractorPolicyModule } from './examples/contractorPolicyModule';
