import { auditReadPermission } from '@internal/backstage-plugin-sentinel-common';
import type { z } from 'zod';
import type { AuditStore } from '../../audit/AuditStore';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import { listAuditEvents } from './audit.api';

/** The audit trail, newest first (audit.api.ts). */
export function addAuditRoutes(
  api: ApiRouter,
  audit: AuditStore,
  { authorize }: RouteSupport,
) {
  api.route(listAuditEvents, async ({ req, input, reply }) => {
    await authorize(req, auditReadPermission);
    const { limit, cursor, ...filter } = input.query();
    const page = await audit.list(filter, { limit, cursor });
    // The store writes only AUDIT_ACTIONS and the three outcomes (auditRecord.ts).
    reply(
      200,
      page as z.input<(typeof listAuditEvents.responses)[200]['body']>,
    );
  });
}
