import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { ClusterDriver } from './ClusterDriver';

/** Lets backend modules give Sentinel the drivers of the clusters it acts on. */
export interface SentinelClusterDriversExtensionPoint {
  /** Adds the driver of one cluster; a cluster can have only one driver. */
  addClusterDriver(driver: ClusterDriver): void;
}

/** The extension point through which modules add cluster drivers to the Sentinel backend. */
export const sentinelClusterDriversExtensionPoint =
  createExtensionPoint<SentinelClusterDriversExtensionPoint>({
    id: 'sentinel.cluster-drivers',
  });
