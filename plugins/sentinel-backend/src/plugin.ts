import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
  sentinelPermissions,
} from '@internal/backstage-plugin-sentinel-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  readRoleBindings,
  sentinelPlanPermissionRules,
  sentinelPlanResourceRef,
  sentinelWorkloadPermissionRules,
  sentinelWorkloadResourceRef,
  sentinelClusterDriversExtensionPoint,
  sentinelTrafficRoutersExtensionPoint,
  type TrafficRouter,
  type ClusterDriver,
} from '@internal/backstage-plugin-sentinel-node';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DatabasePlanStore } from './database/DatabasePlanStore';
import { applyDatabaseMigrations } from './database/migrations';
import type { PlanChange } from './database/PlanStore';
import { SentNoticeStore } from './database/SentNoticeStore';
import { ChangeEvents } from './live/ChangeEvents';
import { notifyFreezeStarts } from './live/freezeStarts';
import { expireApprovals } from './pipeline/approvalTimeouts';
import { readExecutionSettings } from './pipeline/executionConfig';
import { createPipelineMetrics } from './pipeline/metrics';
import { createPlanExecution } from './pipeline/planExecution';
import { PlanService } from './pipeline/PlanService';
import { CatalogWorkloadIndex } from './pipeline/WorkloadCatalogIndex';
import { createChangeLedger } from './policy/createChangeLedger';
import { PolicyService } from './policy/PolicyService';
import { PolicyStore } from './database/PolicyStore';
import { readClusterConfigs } from './kubernetes/clusterConfig';
import { KubernetesClusterDriver } from './kubernetes/KubernetesClusterDriver';
import { WorkloadInventory } from './kubernetes/WorkloadInventory';
import { WorkloadReader } from './pipeline/WorkloadReader';
import { ProgressiveRollouts } from './rollouts/ProgressiveRollouts';
import { readRolloutSettings } from './rollouts/rolloutConfig';
import { createRolloutExecution } from './rollouts/rolloutExecution';
import { createRolloutObserver } from './rollouts/rolloutObserver';
import { RolloutStore } from './rollouts/RolloutStore';
import { GatewayApiRouter } from './rollouts/traffic/GatewayApiRouter';
import { NginxIngressRouter } from './rollouts/traffic/NginxIngressRouter';
import { createRouter } from './router';
import { AuditStore } from './audit/AuditStore';
import { actorOf } from './routes/support';
import { RoleBindingStore } from './permissions/RoleBindingStore';
import {
  loadPlanResources,
  loadWorkloadResources,
} from './permissions/resources';
import { SentinelAccess } from './permissions/SentinelAccess';

/** The cluster a router serves (`cluster` if it has one), or `*`: every cluster. */
function routerClusters(router: TrafficRouter): string[] {
  const cluster = (router as { cluster?: unknown }).cluster;
  return [typeof cluster === 'string' ? cluster : '*'];
}

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

    const trafficRouters = new Map<string, TrafficRouter>();
    env.registerExtensionPoint(sentinelTrafficRoutersExtensionPoint, {
      addTrafficRouter(router) {
        for (const cluster of routerClusters(router)) {
          trafficRouters.set(`${cluster}/${router.name}`, router);
        }
      },
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        signals: signalsServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const { logger, config, database, httpRouter, lifecycle, scheduler } =
          deps;
        const settings = readExecutionSettings(config);
        // Clusters from app-config get the Kubernetes driver; modules may add others.
        const kubernetesClusters = readClusterConfigs(config);
        for (const { name, kubeConfig } of kubernetesClusters) {
          if (clusterDrivers.has(name)) {
            throw new Error(
              `Sentinel already has a driver for cluster '${name}'`,
            );
          }
          clusterDrivers.set(
            name,
            new KubernetesClusterDriver(name, kubeConfig),
          );
        }
        const knex = await database.getClient();
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(knex);
        }
        deps.permissionsRegistry.addPermissions(sentinelPermissions);

        // Committed changes become signals and owner notifications (src/live).
        let planChanged = (_change: PlanChange) => {};
        const store = new DatabasePlanStore(knex, {
          onChange: change => planChanged(change),
        });
        const changes = new ChangeEvents({
          plans: store,
          signals: deps.signals,
          notifications: deps.notifications,
          logger: logger.child({ component: 'live' }),
        });
        planChanged = change => changes.planChanged(change);
        const audit = new AuditStore(knex);
        // Role bindings: app-config seeds version 1; the bindings API owns them after that.
        const roleBindings = new RoleBindingStore(knex);
        await roleBindings.seed(readRoleBindings(config), new Date());
        const policyStore = new PolicyStore(knex);
        const ownership = new CatalogWorkloadIndex(deps.catalog, deps.auth);
        // Conditional decisions (e.g. an operator's "owns the service") are resolved here.
        deps.permissionsRegistry.addResourceType({
          resourceRef: sentinelPlanResourceRef,
          rules: sentinelPlanPermissionRules,
          getResources: ids => loadPlanResources(ids, { store, ownership }),
        });
        deps.permissionsRegistry.addResourceType({
          resourceRef: sentinelWorkloadResourceRef,
          rules: sentinelWorkloadPermissionRules,
          getResources: refs => loadWorkloadResources(refs, ownership),
        });
        const planQuery = createConditionTransformer(
          deps.permissionsRegistry.getPermissionRuleset(
            sentinelPlanResourceRef,
          ),
        );
        const workloadQuery = createConditionTransformer(
          deps.permissionsRegistry.getPermissionRuleset(
            sentinelWorkloadResourceRef,
          ),
        );
        const access = new SentinelAccess({
          httpAuth: deps.httpAuth,
          permissions: deps.permissions,
          bindings: roleBindings,
          toQuery: (resourceType, conditions) =>
            (resourceType === SENTINEL_WORKLOAD_RESOURCE_TYPE
              ? workloadQuery
              : planQuery)(conditions),
          entityOwners: async () =>
            (await ownership.snapshot()).entityOwners ?? new Map(),
          onRefused: refusal =>
            audit.record({
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
        const { ledger, close: closeLedger } = createChangeLedger({
          redisUrl: config.getOptionalString('sentinel.redis.connection'),
          store,
          logger,
        });
        const inventory = new WorkloadInventory(
          kubernetesClusters,
          ownership,
          logger.child({ component: 'inventory' }),
        );
        // Reads go to the inventory; an API server is asked only when it has no entry.
        const workloads = new WorkloadReader(clusterDrivers, inventory);
        let kick = () => {};
        const policies = new PolicyService({
          store: policyStore,
          ledger,
          workloads,
          ownership,
          logger,
          // A window deleted or glass broken may let held plans through now.
          onChange: () => {
            store
              .wakeHeld(new Date())
              .then(() => kick())
              .catch(error =>
                logger.warn('Sentinel could not wake held plans', error),
              );
          },
        });
        await policies.seed(
          config.getOptional('sentinel.policy'),
          config.getOptional<unknown[]>('sentinel.freezeWindows') ?? [],
          new Date(),
        );
        const metrics = createPipelineMetrics();
        const owner = `${hostname()}-${process.pid}-${randomUUID().slice(
          0,
          8,
        )}`;
        // Canary and blue/green rollouts: a reconciler of their own; an ended rollout wakes
        // its plan, a started (or aborted) one is stepped at once.
        const rolloutStore = new RolloutStore(knex, {
          onChange: change => changes.rolloutChanged(change),
        });
        const rolloutSettings = readRolloutSettings(config);
        let wakePlans = (_ids: string[]) => {};
        // NGINX Ingress and Gateway API routing for every cluster from app-config, unless a
        // module gave one of the same name.
        for (const { name, kubeConfig } of kubernetesClusters) {
          for (const router of [
            new NginxIngressRouter(name, kubeConfig),
            new GatewayApiRouter(name, kubeConfig),
          ]) {
            const key = `${name}/${router.name}`;
            if (!trafficRouters.has(key)) trafficRouters.set(key, router);
          }
        }
        const rolloutExecution = createRolloutExecution({
          trafficRouters,
          observer: createRolloutObserver({
            auditor: deps.auditor,
            logger,
          }),
          store: rolloutStore,
          clusterDrivers,
          settings: rolloutSettings,
          logger: logger.child({ component: 'rollouts' }),
          owner,
          inventory,
          onEnded: rollout => wakePlans([rollout.planId]),
        });
        const rollouts = new ProgressiveRollouts({
          store: rolloutStore,
          settings: rolloutSettings,
          onStarted: id => rolloutExecution.reconciler.wake([id]),
          ownership,
          policies,
        });
        const execution = createPlanExecution({
          store,
          clusterDrivers,
          policies,
          ledger,
          logger: logger.child({ component: 'executor' }),
          metrics,
          owner,
          settings,
          inventory,
          workloads,
          rollouts,
        });
        kick = () => execution.reconciler.kick();
        wakePlans = ids => execution.reconciler.wake(ids);
        const plans = new PlanService({
          store,
          clusters: [...clusterDrivers.keys()],
          workloads,
          ownership,
          kick: () => execution.reconciler.kick(),
          reserve: () => execution.reconciler.reserve(),
          metrics,
          shadowMode: config.getOptionalBoolean('sentinel.shadowMode') ?? false,
          policyShadowMode: async () =>
            (await policies.current()).document.shadowMode ?? false,
          requireDistinctApprover:
            config.getOptionalBoolean(
              'sentinel.approval.requireDistinctApprover',
            ) ?? true,
          audit,
        });
        // Periodic work runs on one replica at a time (the scheduler's lock).
        await scheduler.scheduleTask({
          id: 'sentinel-approval-timeouts',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          fn: async () => {
            await expireApprovals({
              store,
              timeoutMs: settings.approvalTimeoutMs,
              now: new Date(),
              metrics,
            });
          },
        });
        const sentNotices = new SentNoticeStore(knex);
        await scheduler.scheduleTask({
          id: 'sentinel-freeze-notices',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          fn: async () => {
            await notifyFreezeStarts({
              policies,
              ownership,
              sent: sentNotices,
              notifications: deps.notifications,
              logger: logger.child({ component: 'live' }),
              now: new Date(),
            });
          },
        });
        await scheduler.scheduleTask({
          id: 'sentinel-queue-depth',
          frequency: { seconds: 15 },
          timeout: { seconds: 30 },
          fn: async () => metrics.setQueueDepth(await store.countActive()),
        });
        httpRouter.use(
          await createRouter({
            knex,
            clusterDrivers,
            plans,
            policies,
            inventory,
            rollouts: rolloutStore,
            wakeRollout: id => rolloutExecution.reconciler.wake([id]),
            maxPauseMs: rolloutSettings.maxPauseMs,
            access,
            audit,
            roleBindings,
            auditor: deps.auditor,
            config,
            logger,
          }),
        );
        // /health is open. Every /v1 route reads credentials itself with an allow list of user
        // and service (SentinelAccess), so that a missing or bad token gets Sentinel's error
        // body like any error; everything else (the permission integration's /.well-known
        // routes) stays behind Backstage's barrier.
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        httpRouter.addAuthPolicy({ path: '/v1', allow: 'unauthenticated' });

        lifecycle.addStartupHook(async () => {
          await inventory.start();
          execution.start();
          rolloutExecution.start();
        });
        lifecycle.addShutdownHook(async () => {
          await rolloutExecution.stop();
          await execution.stop();
          await inventory.stop();
          await closeLedger();
        });
        logger.info(
          `Sentinel ready with clusters: ${
            [...clusterDrivers.keys()].join(', ') || '(none)'
          }`,
        );
      },
    });
  },
});
