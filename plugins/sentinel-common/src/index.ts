/**
 * Types, permissions and catalog annotations shared by Sentinel's frontend and backend.
 *
 * @packageDocumentation
 */

export * from './permissions';
export * from './roles';
export * from './annotations';
export * from './plans';
export * from './schema/planSubmission';
export * from './client/SentinelClient';
export * from './schema/policyDocument';
export * from './schema/plan';
export * from './schema/roleBindings';
export * from './schema/issues';
export * from './roleTable';
export * from './signals';
export * from './links';
