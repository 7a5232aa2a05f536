/**
 * Test utilities for modules and plugins that use Sentinel's extension points.
 *
 * @packageDocumentation
 */

export { InMemoryClusterDriver } from './InMemoryClusterDriver';
export { InMemoryProgressiveClusterDriver } from './InMemoryProgressiveClusterDriver';
