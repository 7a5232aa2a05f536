import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { ClusterDriver } from './ClusterDriver';
import type { TrafficRouter } from './TrafficRouter';

/**
 * Lets backend modules give Sentinel the drivers of the clusters it acts on.
 *
 * @public
 */
export interface SentinelClusterDriversExtensionPoint {
  /** Adds the driver of one cluster; a cluster can have only one driver. */
  addClusterDriver(driver: ClusterDriver): void;
}

/**
 * The extension point through which modules add cluster drivers to the Sentinel backend.
 *
 * @public
 */
export const sentinelClusterDriversExtensionPoint =
  createExtensionPoint<SentinelClusterDriversExtensionPoint>({
    id: 'sentinel.cluster-drivers',
  });

/**
 * Lets backend modules give Sentinel the routers that split rollout traffic by weight.
 *
 * @public
 */
export interface SentinelTrafficRoutersExtensionPoint {
  /** Adds a traffic router, known by its `name`. */
  addTrafficRouter(router: TrafficRouter): void;
}

/**
 * The extension point through which modules add traffic routers to the Sentinel backend.
 *
 * @public
 */
export const sentinelTrafficRoutersExtensionPoint =
  createExtensionPoint<SentinelTrafficRoutersExtensionPoint>({
    id: 'sentinel.traffic-routers',
  });
