import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  sentinelClusterDriversExtensionPoint,
  type ClusterDriver,
} from '@internal/backstage-plugin-sentinel-node';
import { sentinelPermissions } from '@internal/backstage-plugin-sentinel-common';
import { applyDatabaseMigrations } from './database/migrations';
import { createRouter } from './router';

/**
 * The Sentinel backend plugin, mounted at `/api/sentinel`.
 *
 * @public
 */
export const sentinelPlugin = createBackendPlugin({
  pluginId: 'sentinel',
  register(env) {
    const clusterDrivers = new Map<string, ClusterDriver>();
    env.registerExtensionPoint(sentinelClusterDriversExtensionPoint, {
      addClusterDriver(driver) {
        if (clusterDrivers.has(driver.cluster)) {
          throw new Error(
            `Sentinel already has a driver for cluster '${driver.cluster}'`,
          );
        }
        clusterDrivers.set(driver.cluster, driver);
      },
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({ logger, database, httpRouter, permissionsRegistry }) {
        const knex = await database.getClient();
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(knex);
        }

        permissionsRegistry.addPermissions(sentinelPermissions);

        httpRouter.use(await createRouter({ knex, clusterDrivers }));
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        logger.info(
          `Sentinel ready with clusters: ${
            [...clusterDrivers.keys()].join(', ') || '(none)'
          }`,
        );
      },
    });
  },
});
