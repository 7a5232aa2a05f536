import type { RootConfigService } from '@backstage/backend-plugin-api';
import type {
  ClusterDriver,
  TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import {
  readClusterConfigs,
  type ClusterConfig,
} from '../kubernetes/clusterConfig';
import { KubernetesClusterDriver } from '../kubernetes/KubernetesClusterDriver';
import { GatewayApiRouter } from '../rollouts/traffic/GatewayApiRouter';
import { NginxIngressRouter } from '../rollouts/traffic/NginxIngressRouter';

/** The cluster a router serves (`cluster` if it has one), or `*`: every cluster. */
export function routerKey(router: TrafficRouter): string {
  const cluster = (router as { cluster?: unknown }).cluster;
  return `${typeof cluster === 'string' ? cluster : '*'}/${router.name}`;
}

/** Adds a driver, refusing a second one for the same cluster. */
export function addDriver(
  drivers: Map<string, ClusterDriver>,
  driver: ClusterDriver,
): void {
  if (drivers.has(driver.cluster)) {
    throw new Error(
      `Sentinel already has a driver for cluster '${driver.cluster}'`,
    );
  }
  drivers.set(driver.cluster, driver);
}

/**
 * The clusters Sentinel acts on: those modules added, plus every cluster of
 * `sentinel.clusters` with the Kubernetes driver and its NGINX Ingress and Gateway API traffic
 * routers (unless a module gave a router of the same name for it).
 */
export function readClusters(
  config: RootConfigService,
  fromModules: {
    drivers: ReadonlyMap<string, ClusterDriver>;
    routers: ReadonlyMap<string, TrafficRouter>;
  },
): {
  kubernetes: ClusterConfig[];
  drivers: Map<string, ClusterDriver>;
  routers: Map<string, TrafficRouter>;
} {
  const kubernetes = readClusterConfigs(config);
  const drivers = new Map(fromModules.drivers);
  const routers = new Map(fromModules.routers);
  for (const { name, kubeConfig } of kubernetes) {
    addDriver(drivers, new KubernetesClusterDriver(name, kubeConfig));
    for (const router of [
      new NginxIngressRouter(name, kubeConfig),
      new GatewayApiRouter(name, kubeConfig),
    ]) {
      const key = `${name}/${router.name}`;
      if (!routers.has(key)) routers.set(key, router);
    }
  }
  return { kubernetes, drivers, routers };
}
