import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  type BasicPermission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';
import type express from 'express';
import type { z } from 'zod';
import { invalid } from '../pipeline/PlanService';

/** What every route needs: who is calling, may they, and an audit trail of what they change. */
export interface RouteSupport {
  /** The caller's credentials (user or service; 401 otherwise) if the permission allows. */
  authorize(
    req: express.Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<BackstageCredentials>;
  /** Runs a state-changing request as one audit event that succeeds or fails with it. */
  audited<T>(
    req: express.Request,
    eventId: string,
    meta: Record<string, string | undefined>,
    action: () => Promise<T>,
  ): Promise<T>;
}

export function createRouteSupport(deps: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
}): RouteSupport {
  return {
    async authorize(req, permission, resourceRef) {
      const credentials = await deps.httpAuth.credentials(req);
      const [decision] = await deps.permissions.authorize(
        [
          resourceRef
            ? { permission: permission as ResourcePermission, resourceRef }
            : { permission: permission as BasicPermission },
        ],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(`${permission.name} is not allowed`);
      }
      return credentials;
    },

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

/** A request body checked against its schema; a 400 names each bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw invalid(
      'Invalid request',
      result.error.issues.map(i => ({
        path: i.path.length ? i.path.join('.') : '(body)',
        message: i.message,
      })),
    );
  }
  return result.data;
}

/** A query parameter given at most once. */
export function one(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw invalid('Invalid query', [
      { path: name, message: 'must be given once' },
    ]);
  }
  return value;
}

/** An integer query parameter within bounds. */
export function intParam(
  value: unknown,
  name: string,
  bounds: { min: number; max: number; default: number },
): number {
  const text = one(value, name);
  const n = text === undefined ? bounds.default : Number(text);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    throw invalid('Invalid query', [
      {
        path: name,
        message: `must be an integer from ${bounds.min} to ${bounds.max}`,
      },
    ]);
  }
  return n;
}

/** Who made a request, as timelines and histories record it. */
export function actorOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return p.userEntityRef ?? p.subject ?? p.type;
}
