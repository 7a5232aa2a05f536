/**
 * Extension points and interfaces that modules implement to extend the Sentinel backend.
 *
 * @packageDocumentation
 */

export * from './ClusterDriver';
export * from './candidates';
export * from './extensions';
export * from './changes';
export * from './TrafficRouter';
export * from './permissionRules';
export * from './roleBindings';
