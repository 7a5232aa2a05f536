import { rbacManagePermission } from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import {
  roleBindingsInputSchema,
  type RoleBindingStore,
} from '../../access/RoleBindingStore';
import { actorOf } from '../../audit/auditRecord';
import { intParam, parseBody, type RouteSupport } from '../routeSupport';

/** The permission backend's own subject: it reads the bindings for Sentinel's role policy. */
const PERMISSION_BACKEND = 'plugin:permission';

/** GET/PUT /v1/rbac/bindings: who holds which role, versioned (admins). */
export function addRbacRoutes(
  router: express.Router,
  bindings: RoleBindingStore,
  { credentials, authorize, audited }: RouteSupport,
) {
  router.get('/v1/rbac/bindings', async (req, res) => {
    const caller = await credentials(req);
    const { subject } = caller.principal as { subject?: string };
    if (subject !== PERMISSION_BACKEND) {
      await authorize(req, rbacManagePermission);
    }
    res.json(await bindings.latest());
  });

  router.get('/v1/rbac/bindings/history', async (req, res) => {
    await authorize(req, rbacManagePermission);
    const limit = intParam(req.query.limit, 'limit', {
      min: 1,
      max: 200,
      default: 50,
    });
    res.json({ items: await bindings.history(limit) });
  });

  router.put('/v1/rbac/bindings', async (req, res) => {
    await audited(req, 'rbac-bindings-update', {}, async () => {
      const caller = await authorize(req, rbacManagePermission);
      const input = parseBody(roleBindingsInputSchema, req.body);
      res.json(await bindings.save(input, actorOf(caller), new Date()));
    });
  });
}
