import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

/**
 * A module that hands a test the Sentinel plugin's own database client, to arrange state the
 * API has no route for (a rollout in a given phase) or to check what was stored.
 */
export function pluginDatabase() {
  let resolve: (knex: Knex) => void;
  const knex = new Promise<Knex>(r => {
    resolve = r;
  });
  const feature = createBackendModule({
    pluginId: 'sentinel',
    moduleId: 'test-database',
    register(reg) {
      reg.registerInit({
        deps: { database: coreServices.database },
        async init({ database }) {
          resolve(await database.getClient());
        },
      });
    },
  });
  return { feature, knex };
}
