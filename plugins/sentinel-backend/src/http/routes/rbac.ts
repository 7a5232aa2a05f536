import { rbacManagePermission } from '@internal/backstage-plugin-sentinel-common';
import type { RoleBindingStore } from '../../access/RoleBindingStore';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  getRoleBindings,
  getRoleBindingsHistory,
  putRoleBindings,
} from './rbac.api';

/** The permission backend's own subject: it reads the bindings for Sentinel's role policy. */
const PERMISSION_BACKEND = 'plugin:permission';

/** Who holds which role, versioned (rbac.api.ts). */
export function addRbacRoutes(
  api: ApiRouter,
  bindings: RoleBindingStore,
  { credentials, authorize, audited }: RouteSupport,
) {
  api.route(getRoleBindings, async ({ req, reply }) => {
    const caller = await credentials(req);
    const { subject } = caller.principal as { subject?: string };
    if (subject !== PERMISSION_BACKEND) {
      await authorize(req, rbacManagePermission);
    }
    const latest = await bindings.latest();
    if (!latest) {
      // Seeded from app-config at startup: none stored is a fault, not an answer.
      throw new Error('no role bindings are stored');
    }
    reply(200, latest);
  });

  api.route(getRoleBindingsHistory, async ({ req, input, reply }) => {
    await authorize(req, rbacManagePermission);
    const { limit } = input.query();
    reply(200, { items: await bindings.history(limit) });
  });

  api.route(putRoleBindings, async ({ req, input, reply }) => {
    await audited(req, 'rbac-bindings-update', {}, async () => {
      const caller = await authorize(req, rbacManagePermission);
      const saved = await bindings.save(
        input.body(),
        actorOf(caller),
        new Date(),
      );
      reply(200, saved);
    });
  });
}
