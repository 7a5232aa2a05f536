import type {
  BackstageCredentials,
  BackstageServicePrincipal,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  isResourcePermission,
  type BasicPermission,
  type ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  grantOf,
  rolesOf,
  type RoleBindings,
} from '@internal/backstage-plugin-sentinel-common';
import type { SentinelResourceQuery } from '@internal/backstage-plugin-sentinel-node';
import type express from 'express';
import type {
  PermissionCondition,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import { resolveAccess, type AccessFilter } from './accessFilter';

/** Where role bindings come from: config at first, the bindings API once changed. */
export interface RoleBindingsSource {
  current(): Promise<RoleBindings>;
}

/** A refused attempt, for the audit trail. */
export interface Refusal {
  /** `POST /v1/action-plans/:id/approve`, as the caller sent it (without the query). */
  request: string;
  credentials: BackstageCredentials;
  permission: string;
  resourceRef?: string;
}

/**
 * Who may do what, for every route. Users are decided by the permission policy (conditional
 * decisions are resolved against Sentinel's plans and workloads); service principals skip the
 * policy in Backstage, so Sentinel decides them itself from the `system` bindings of their
 * subjects, after their external-access restrictions.
 */
export class SentinelAccess {
  constructor(
    private readonly deps: {
      httpAuth: HttpAuthService;
      permissions: PermissionsService;
      bindings: RoleBindingsSource;
      /** Turns a resource type's conditions into queries (its registered rules' toQuery). */
      toQuery: (
        resourceType: string,
        conditions: PermissionCriteria<PermissionCondition>,
      ) => PermissionCriteria<SentinelResourceQuery>;
      /** The catalog's owners per managing entity, to resolve ownership conditions. */
      entityOwners: () => Promise<ReadonlyMap<string, readonly string[]>>;
      onRefused?: (refusal: Refusal) => Promise<void>;
    },
  ) {}

  /** A user's or service's credentials; anything else (no token, a bad one) is a 401. */
  credentials(req: express.Request): Promise<BackstageCredentials> {
    return this.deps.httpAuth.credentials(req, { allow: ['user', 'service'] });
  }

  /** The caller's credentials if the permission allows (on this resource, if given); else 403. */
  async authorize(
    req: express.Request,
    permission: BasicPermission | ResourcePermission,
    resourceRef?: string,
  ): Promise<BackstageCredentials> {
    const credentials = await this.credentials(req);
    const [decision] = await this.deps.permissions.authorize(
      [
        resourceRef && isResourcePermission(permission)
          ? { permission, resourceRef }
          : { permission: permission as BasicPermission },
      ],
      { credentials },
    );
    const allowed =
      decision.result === AuthorizeResult.ALLOW &&
      (await this.#serviceMay(credentials, permission.name));
    if (!allowed) {
      await this.#refuse(req, {
        credentials,
        permission: permission.name,
        resourceRef,
      });
    }
    return credentials;
  }

  /**
   * What the caller may list under a resource permission: undefined for everything, or
   * criteria that the stores turn into query filters. 403 if nothing.
   */
  async listAccess(
    req: express.Request,
    permission: ResourcePermission,
  ): Promise<{ credentials: BackstageCredentials; filter: AccessFilter }> {
    const credentials = await this.credentials(req);
    const [decision] = await this.deps.permissions.authorizeConditional(
      [{ permission }],
      { credentials },
    );
    if (
      decision.result === AuthorizeResult.ALLOW &&
      (await this.#serviceMay(credentials, permission.name))
    ) {
      return { credentials, filter: undefined };
    }
    if (decision.result === AuthorizeResult.CONDITIONAL) {
      return {
        credentials,
        filter: resolveAccess(
          this.deps.toQuery(decision.resourceType, decision.conditions),
          await this.deps.entityOwners(),
        ),
      };
    }
    return this.#refuse(req, { credentials, permission: permission.name });
  }

  /** Services own no catalog entities: only an `all` grant of a bound role lets them through. */
  async #serviceMay(
    credentials: BackstageCredentials,
    permissionName: string,
  ): Promise<boolean> {
    const principal = credentials.principal as
      | BackstageServicePrincipal
      | { type: 'user' };
    if (principal.type !== 'service') return true;
    const { subject } = principal;
    // Bound as `service:<subject>` (the RoleBindings schema of the OpenAPI document).
    const roles = rolesOf(
      [`service:${subject}`],
      await this.deps.bindings.current(),
    );
    return grantOf(permissionName, roles) === 'all';
  }

  async #refuse(
    req: express.Request,
    refusal: Omit<Refusal, 'request'>,
  ): Promise<never> {
    await this.deps.onRefused?.({
      ...refusal,
      request: `${req.method} ${req.baseUrl}${req.path}`,
    });
    throw new NotAllowedError(`${refusal.permission} is not allowed`);
  }
}
