import type {
  HttpAuthService,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
  sentinelPermissions,
} from '@internal/backstage-plugin-sentinel-common';
import {
  sentinelPlanPermissionRules,
  sentinelPlanResourceRef,
  sentinelWorkloadPermissionRules,
  sentinelWorkloadResourceRef,
} from '@internal/backstage-plugin-sentinel-node';
import {
  loadPlanResources,
  loadWorkloadResources,
  type PlanTargetReader,
} from '../access/resources';
import type { RoleBindingStore } from '../access/RoleBindingStore';
import { SentinelAccess } from '../access/SentinelAccess';
import type { AuditStore } from '../audit/AuditStore';
import { actorOf } from '../audit/auditRecord';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';

/**
 * Registers Sentinel's permissions and its two resource types (plans, workloads) with the
 * permission framework, and builds the access check every route asks: conditional decisions
 * (an operator's "owns the service") resolved on single resources and turned into SQL for
 * lists; every refusal recorded in the audit log.
 */
export function createAccess(deps: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  permissionsRegistry: PermissionsRegistryService;
  plans: PlanTargetReader;
  ownership: WorkloadOwnership;
  bindings: RoleBindingStore;
  audit: AuditStore;
}): SentinelAccess {
  const { permissionsRegistry: registry, ownership } = deps;
  registry.addPermissions(sentinelPermissions);
  registry.addResourceType({
    resourceRef: sentinelPlanResourceRef,
    rules: sentinelPlanPermissionRules,
    getResources: ids =>
      loadPlanResources(ids, { store: deps.plans, ownership }),
  });
  registry.addResourceType({
    resourceRef: sentinelWorkloadResourceRef,
    rules: sentinelWorkloadPermissionRules,
    getResources: refs => loadWorkloadResources(refs, ownership),
  });
  const planQuery = createConditionTransformer(
    registry.getPermissionRuleset(sentinelPlanResourceRef),
  );
  const workloadQuery = createConditionTransformer(
    registry.getPermissionRuleset(sentinelWorkloadResourceRef),
  );
  return new SentinelAccess({
    httpAuth: deps.httpAuth,
    permissions: deps.permissions,
    bindings: deps.bindings,
    toQuery: (resourceType, conditions) =>
      (resourceType === SENTINEL_WORKLOAD_RESOURCE_TYPE
        ? workloadQuery
        : planQuery)(conditions),
    entityOwners: async () =>
      (await ownership.snapshot()).entityOwners ?? new Map(),
    onRefused: refusal =>
      deps.audit.record({
        actor: actorOf(refusal.credentials),
        action: 'refused',
        outcome: 'refused',
        reason: `${refusal.permission} is not allowed`,
        details: {
          request: refusal.request,
          permission: refusal.permission,
          ...(refusal.resourceRef && { resource: refusal.resourceRef }),
        },
      }),
  });
}
