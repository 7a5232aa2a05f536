import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  sentinelClusterDriversExtensionPoint,
  sentinelTrafficRoutersExtensionPoint,
  type ClusterDriver,
  type TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import { addDriver, routerKey } from './service/clusters';
import { createSentinel } from './service/createSentinel';

/**
 * The Sentinel backend plugin, mounted at `/api/sentinel`: the safety layer between an
 * infrastructure optimizer and Kubernetes. Modules add cluster drivers and traffic routers
 * through its extension points.
 *
 * @public
 */
export const sentinelPlugin = createBackendPlugin({
  pluginId: 'sentinel',
  register(env) {
    const clusterDrivers = new Map<string, ClusterDriver>();
    env.registerExtensionPoint(sentinelClusterDriversExtensionPoint, {
      addClusterDriver: driver => addDriver(clusterDrivers, driver),
    });
    const trafficRouters = new Map<string, TrafficRouter>();
    env.registerExtensionPoint(sentinelTrafficRoutersExtensionPoint, {
      addTrafficRouter: router => trafficRouters.set(routerKey(router), router),
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        rootHealth: coreServices.rootHealth,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        signals: signalsServiceRef,
        notifications: notificationService,
      },
      async init({ httpRouter, lifecycle, ...deps }) {
        const sentinel = await createSentinel({
          ...deps,
          clusterDrivers,
          trafficRouters,
        });
        httpRouter.use(sentinel.router);
        // /health is open. Every /v1 route reads credentials itself with an allow list of
        // user and service (SentinelAccess), so that a missing or bad token gets Sentinel's
        // error body like any error; everything else (the permission integration's
        // /.well-known routes) stays behind Backstage's barrier.
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        httpRouter.addAuthPolicy({ path: '/v1', allow: 'unauthenticated' });
        lifecycle.addStartupHook(() => sentinel.start());
        lifecycle.addShutdownHook(() => sentinel.stop());
        deps.logger.info(
          `Sentinel ready with clusters: ${
            sentinel.clusters.join(', ') || '(none)'
          }`,
        );
      },
    });
  },
});
