import type {
  AuditorService,
  AuthService,
  DatabaseService,
  HttpAuthService,
  LoggerService,
  PermissionsRegistryService,
  PermissionsService,
  RootConfigService,
  RootHealthService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { toError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import {
  readRoleBindings,
  supportsProgressiveRollouts,
  type ClusterDriver,
  type TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import type express from 'express';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RoleBindingStore } from '../access/RoleBindingStore';
import { AuditStore } from '../audit/AuditStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { createRouter } from '../http/router';
import { CatalogWorkloadIndex } from '../inventory/WorkloadCatalogIndex';
import { WorkloadInventory } from '../inventory/WorkloadInventory';
import { WorkloadReader } from '../inventory/WorkloadReader';
import { ChangeEvents } from '../live/ChangeEvents';
import { SentNoticeStore } from '../live/SentNoticeStore';
import { readExecutionSettings } from '../plans/executionConfig';
import { createPipelineMetrics } from '../plans/metrics';
import { createPolicyMetrics } from '../policy/policyMetrics';
import { createFleetGauges } from './fleetGauges';
import { observeQueries } from '../database/queryMetrics';
import { createPlanExecution } from '../plans/planExecution';
import { PlanService } from '../plans/PlanService';
import { createPlanStores } from '../plans/store/createPlanStores';
import type { PlanChange } from '../plans/store/PlanStore';
import { createChangeLedger } from '../policy/createChangeLedger';
import { readRedisConnection } from '../policy/redisConnection';
import { PolicyService } from '../policy/PolicyService';
import { PolicyStore } from '../policy/PolicyStore';
import { ProgressiveRollouts } from '../rollouts/ProgressiveRollouts';
import { readRolloutSettings } from '../rollouts/rolloutConfig';
import { createRolloutExecution } from '../rollouts/rolloutExecution';
import { createRolloutObserver } from '../rollouts/rolloutObserver';
import {
  RolloutStore,
  type RolloutChange,
} from '../rollouts/store/RolloutStore';
import type { Rollout } from '../rollouts/types';
import { Topic } from '../work/Topic';
import { readClusters } from './clusters';
import { createAccess } from './permissions';
import { readiness } from './readiness';
import { scheduleTasks } from './scheduledTasks';

/** What Sentinel is built from: Backstage's services, and what modules added. */
export interface SentinelDependencies {
  logger: LoggerService;
  config: RootConfigService;
  database: DatabaseService;
  httpAuth: HttpAuthService;
  auth: AuthService;
  permissions: PermissionsService;
  permissionsRegistry: PermissionsRegistryService;
  auditor: AuditorService;
  scheduler: SchedulerService;
  catalog: CatalogService;
  signals: SignalsService;
  notifications: NotificationService;
  /** Whether the whole backend has started and is not stopping (Backstage's readiness). */
  rootHealth: RootHealthService;
  /** Cluster drivers that modules added, by cluster. */
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  /** Traffic routers that modules added, by `<cluster>/<name>` (`*` for every cluster). */
  trafficRouters: ReadonlyMap<string, TrafficRouter>;
}

/** A Sentinel replica, built: what the plugin mounts, and its controllers' lifecycle. */
export interface Sentinel {
  /** The HTTP API, mounted at `/api/sentinel`. */
  router: express.Router;
  /** The clusters it acts on. */
  clusters: string[];
  /** Starts the inventory's watches and the plan and rollout controllers. */
  start(): Promise<void>;
  /** Stops them, letting steps in flight finish. */
  stop(): Promise<void>;
}

/**
 * The composition root: builds the stores, services and controllers of one replica and
 * connects them. Parts tell each other through topics (a plan changed, a rollout ended, the
 * policy changed), so each is built once, after what it needs.
 */
export async function createSentinel(
  deps: SentinelDependencies,
): Promise<Sentinel> {
  const { logger, config } = deps;
  const clusters = readClusters(config, {
    drivers: deps.clusterDrivers,
    routers: deps.trafficRouters,
  });
  const knex = await deps.database.getClient();
  observeQueries(knex);
  if (!deps.database.migrations?.skip) await applyDatabaseMigrations(knex);

  const live = logger.child({ component: 'live' });
  const failed = (what: string) => (error: unknown) =>
    logger.warn(`Sentinel ${what}`, toError(error));
  const planChanged = new Topic<PlanChange>(failed('could not tell a change'));
  const rolloutChanged = new Topic<RolloutChange>(
    failed('could not tell a change'),
  );
  const rolloutEnded = new Topic<Rollout>(failed('could not wake a plan'));
  const plansDue = new Topic<void>(failed('could not kick the plans'));

  // Stores. Committed changes become signals and owner notifications (src/live).
  const stores = createPlanStores(knex, {
    onChange: change => planChanged.publish(change),
  });
  const rolloutStore = new RolloutStore(knex, {
    onChange: change => rolloutChanged.publish(change),
  });
  const changes = new ChangeEvents({
    plans: stores.plans,
    signals: deps.signals,
    notifications: deps.notifications,
    logger: live,
  });
  planChanged.subscribe(change => changes.planChanged(change));
  rolloutChanged.subscribe(change => changes.rolloutChanged(change));
  const audit = new AuditStore(knex);
  // Role bindings: app-config seeds version 1; the bindings API owns them after that.
  const roleBindings = new RoleBindingStore(knex);
  await roleBindings.seed(readRoleBindings(config), new Date());

  // Who owns what, who may do what, and what the clusters run.
  const ownership = new CatalogWorkloadIndex(deps.catalog, deps.auth);
  const access = createAccess({
    httpAuth: deps.httpAuth,
    permissions: deps.permissions,
    permissionsRegistry: deps.permissionsRegistry,
    plans: stores.plans,
    ownership,
    bindings: roleBindings,
    audit,
  });
  const inventory = new WorkloadInventory(
    clusters.kubernetes,
    ownership,
    logger.child({ component: 'inventory' }),
  );
  // Reads go to the inventory; an API server is asked only when it has no entry.
  const workloads = new WorkloadReader(clusters.drivers, inventory);

  // Policy, and the ledger its rate limits count on.
  const { ledger, close: closeLedger } = createChangeLedger({
    redis: readRedisConnection(config),
    store: stores.gate,
    logger,
  });
  const policyMetrics = createPolicyMetrics();
  const policies = new PolicyService({
    store: new PolicyStore(knex),
    metrics: policyMetrics,
    ledger,
    workloads,
    ownership,
    logger,
    onChange: () => {
      // A window deleted or glass broken may let held plans through now.
      stores.plans
        .wakeHeld(new Date())
        .then(() => plansDue.publish())
        .catch(failed('could not wake held plans'));
    },
  });
  await policies.seed(
    config.getOptional('sentinel.policy'),
    config.getOptional<unknown[]>('sentinel.freezeWindows') ?? [],
    new Date(),
  );

  // The controllers: rollouts, then the plans that start and wait on them.
  const owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const rolloutSettings = readRolloutSettings(config);
  const rolloutExecution = createRolloutExecution({
    trafficRouters: clusters.routers,
    observer: createRolloutObserver({ auditor: deps.auditor, logger }),
    store: rolloutStore,
    clusterDrivers: clusters.drivers,
    settings: rolloutSettings,
    logger: logger.child({ component: 'rollouts' }),
    owner,
    inventory,
    onEnded: rollout => rolloutEnded.publish(rollout),
  });
  const rollouts = new ProgressiveRollouts({
    store: rolloutStore,
    settings: rolloutSettings,
    onStarted: id => rolloutExecution.reconciler.wake([id]),
    ownership,
    policies,
  });
  const settings = readExecutionSettings(config);
  const metrics = createPipelineMetrics();
  const execution = createPlanExecution({
    store: stores.plans,
    gateStore: stores.gate,
    clusterDrivers: clusters.drivers,
    policies,
    ledger,
    logger: logger.child({ component: 'executor' }),
    metrics,
    policyMetrics,
    owner,
    settings,
    inventory,
    workloads,
    rollouts,
  });
  plansDue.subscribe(() => execution.reconciler.kick());
  rolloutEnded.subscribe(rollout =>
    execution.reconciler.wake([rollout.planId]),
  );
  const plans = new PlanService({
    store: stores.plans,
    approvals: stores.approvals,
    clusters: [...clusters.drivers.keys()],
    progressiveClusters: [...clusters.drivers.values()]
      .filter(supportsProgressiveRollouts)
      .map(driver => driver.cluster),
    workloads,
    ownership,
    kick: () => execution.reconciler.kick(),
    reserve: () => execution.reconciler.reserve(),
    metrics,
    shadowMode: config.getOptionalBoolean('sentinel.shadowMode') ?? false,
    policyShadowMode: async () =>
      (await policies.current()).document.shadowMode ?? false,
    requireDistinctApprover:
      config.getOptionalBoolean('sentinel.approval.requireDistinctApprover') ??
      true,
    audit,
  });

  createFleetGauges({
    read: async () => {
      const now = new Date();
      const [active, duePlans, dueRollouts, inFlight] = await Promise.all([
        stores.plans.countActive(),
        stores.plans.queue.countDue(now),
        rolloutStore.queue.countDue(now),
        rolloutStore.inFlight(),
      ]);
      return {
        plans: active,
        due: { plans: duePlans, rollouts: dueRollouts },
        rollouts: inFlight,
      };
    },
    logger,
  });

  await scheduleTasks({
    scheduler: deps.scheduler,
    plans: stores.plans,
    policies,
    ownership,
    sentNotices: new SentNoticeStore(knex),
    notifications: deps.notifications,
    metrics,
    approvalTimeoutMs: settings.approvalTimeoutMs,
    logger: live,
  });

  const router = await createRouter({
    health: () => readiness(deps.rootHealth, stores.plans),
    clusters: [...clusters.drivers.keys()],
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
  });

  return {
    router,
    clusters: [...clusters.drivers.keys()],
    async start() {
      await inventory.start();
      execution.start();
      rolloutExecution.start();
    },
    async stop() {
      await rolloutExecution.stop();
      await execution.stop();
      await inventory.stop();
      await closeLedger();
    },
  };
}
