import type { BackendFeature } from '@backstage/backend-plugin-api';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import permissionPlugin from '@backstage/plugin-permission-backend';
import permissionModuleSentinel from '@internal/backstage-plugin-permission-backend-module-sentinel';
import type { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import request from 'supertest';
import { TestIdentityProvider } from './identityProvider';
import { pluginDatabase } from './pluginDatabase';
import { startSentinel } from './startSentinel';

/**
 * A Sentinel backend with Backstage's real auth, httpAuth, userInfo and permissions services,
 * the real permission backend and Sentinel's role policy (or `permissionModule`), its users
 * signed in by a TestIdentityProvider and the optimizer (`external:inframind`) calling with
 * JWKS-verified tokens.
 */
export async function startSecuredSentinel(options: {
  /** Each user's ownership refs (themselves and their groups), by user entity ref. */
  users: Record<string, string[]>;
  rbac: Record<string, unknown>;
  /** The policy document. */
  policy?: unknown;
  permissionModule?: BackendFeature;
  driver?: InMemoryClusterDriver;
  catalogWorkloads?: string;
  /** More of `sentinel` config, e.g. clusters. */
  sentinel?: Record<string, unknown>;
  /** More features, e.g. a root logger that keeps what is logged. */
  extra?: BackendFeature[];
}) {
  const idp = await TestIdentityProvider.create();
  for (const [user, refs] of Object.entries(options.users)) {
    idp.directory.set(user, refs);
  }
  const optimizerJwks = await idp.startOptimizerJwks();
  const database = pluginDatabase();
  const { server, auditor } = await startSentinel({
    driver: options.driver,
    catalogWorkloads: options.catalogWorkloads,
    config: {
      backend: {
        auth: {
          externalAccess: [
            {
              type: 'jwks',
              options: {
                url: optimizerJwks,
                issuer: 'https://optimizer.example',
                audience: 'sentinel',
              },
            },
          ],
        },
      },
      permission: { enabled: true },
      sentinel: {
        ...options.sentinel,
        ...(options.policy !== undefined && { policy: options.policy }),
        rbac: options.rbac,
      },
    },
    extra: [
      authServiceFactory,
      httpAuthServiceFactory,
      userInfoServiceFactory,
      permissionsServiceFactory,
      idp.authPlugin(),
      permissionPlugin,
      options.permissionModule ?? permissionModuleSentinel,
      database.feature,
      ...(options.extra ?? []),
    ],
  });
  return {
    server,
    auditor,
    knex: await database.knex,
    idp,
    /** A request as this user (their current token) or as the optimizer (`system`). */
    as(caller: string) {
      const token =
        caller === 'system'
          ? idp.optimizerToken('inframind')
          : idp.userToken(caller);
      const agent = request(server);
      const call =
        (method: 'get' | 'post' | 'put' | 'delete') =>
        async (path: string, body?: object) => {
          const req = agent[method](`/api/sentinel${path}`).set(
            'Authorization',
            `Bearer ${await token}`,
          );
          return body === undefined ? req : req.send(body);
        };
      return {
        get: call('get'),
        post: call('post'),
        put: call('put'),
        delete: call('delete'),
      };
    },
    stop: () => idp.stop(),
  };
}
