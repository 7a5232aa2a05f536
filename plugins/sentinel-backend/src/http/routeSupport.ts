import type {
  AuditorService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import type {
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import type express from 'express';
import type { AccessFilter } from '../access/accessFilter';
import type { SentinelAccess } from '../access/SentinelAccess';

/** What every route needs: who is calling, may they, and an audit trail of what they change. */
export interface RouteSupport {
  /** The caller's credentials (user or service; 401 otherwise). */
  credentials(req: express.Request): Promise<BackstageCredentials>;
  /** The caller's credentials if the permission allows, on this resource if given; else 403. */
  authorize(
    req: express.Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<BackstageCredentials>;
  /** What the caller may list under a resource permission (undefined: everything). */
  listAccess(
    req: express.Request,
    permission: ResourcePermission,
  ): Promise<{ credentials: BackstageCredentials; filter: AccessFilter }>;
  /** Runs a state-changing request as one audit event that succeeds or fails with it. */
  audited<T>(
    req: express.Request,
    eventId: string,
    meta: Record<string, string | undefined>,
    action: () => Promise<T>,
  ): Promise<T>;
}

export function createRouteSupport(deps: {
  access: SentinelAccess;
  auditor: AuditorService;
}): RouteSupport {
  const { access } = deps;
  return {
    credentials: req => access.credentials(req),
    authorize: (req, permission, resourceRef) =>
      access.authorize(req, permission, resourceRef),
    listAccess: (req, permission) => access.listAccess(req, permission),

    async audited(req, eventId, meta, action) {
      const event = await deps.auditor.createEvent({
        eventId,
        severityLevel: 'medium',
        request: req,
        meta: Object.fromEntries(
          Object.entries(meta).filter(([, v]) => v !== undefined),
        ) as Record<string, string>,
      });
      try {
        const result = await action();
        await event.success();
        return result;
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
    },
  };
}
