import { mockServices } from '@backstage/backend-test-utils';
import {
  stringifyWorkloadRef,
  type PlanTarget,
  type PolicyDocument,
} from '@internal/backstage-plugin-sentinel-common';
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DatabasePlanStore } from '../plans/store/DatabasePlanStore';
import { createPlanStores } from '../plans/store/createPlanStores';
import type { NewDecision } from '../plans/store/PlanStore';
import { PolicyStore } from '../policy/PolicyStore';
import {
  DEFAULT_EXECUTION,
  type ExecutionSettings,
} from '../plans/executionConfig';
import {
  createPlanExecution,
  type PlanExecutionOptions,
} from '../plans/planExecution';
import { PlanService } from '../plans/PlanService';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';
import { WorkloadReader } from '../inventory/WorkloadReader';
import { DatabaseChangeLedger } from '../policy/ChangeLedger';
import { PolicyService } from '../policy/PolicyService';

export const logger = mockServices.logger.mock();

/** Every target is managed by `component:default/<name>`. */
export const ownership: WorkloadOwnership = {
  entityRefFor: async target => `component:default/${target.name}`,
  snapshot: async () => ({ owners: new Map(), labels: new Map() }),
};

export function deployment(name: string, namespace = 'shop'): PlanTarget {
  return { cluster: 'demo', namespace, kind: 'Deployment', name };
}

export const scale = (
  target: PlanTarget,
  replicas: number,
  confidence?: number,
): NewDecision => ({
  verb: 'scale',
  target,
  params: { replicas },
  confidence,
  entityRef: `component:default/${target.name}`,
});

/** Stores a plan as intake would (received, due at once) and returns its id. */
export async function submit(
  store: DatabasePlanStore,
  decisions: NewDecision[],
): Promise<string> {
  const id = randomUUID();
  await store.createPlan({
    id,
    source: 'InfraMind',
    mode: 'enforce',
    submittedBy: 'external:inframind',
    requestHash: id,
    decisions,
    at: new Date(),
  });
  return id;
}

/**
 * One Sentinel replica on `knex`: its own plan store, policy service (seeded with `policy`
 * the first time) and plan execution over `driver`, as plugin.ts wires them.
 */
export async function replica(
  knex: Knex,
  driver: ClusterDriver,
  options: {
    policy?: PolicyDocument;
    settings?: Partial<ExecutionSettings>;
    now?: () => Date;
  } & Partial<
    Pick<PlanExecutionOptions, 'policyEngine' | 'hooks' | 'inventory'>
  > = {},
) {
  const { plans: store, approvals, gate } = createPlanStores(knex);
  const clusterDrivers = new Map([[driver.cluster, driver]]);
  const workloads = new WorkloadReader(clusterDrivers, options.inventory);
  const policies = new PolicyService({
    store: new PolicyStore(knex),
    ledger: new DatabaseChangeLedger(gate),
    workloads,
    ownership,
    logger,
    onChange: () => void store.wakeHeld(new Date()),
  });
  await policies.seed(
    options.policy ?? { rules: [], exceptions: [] },
    [],
    new Date(),
  );
  const execution = createPlanExecution({
    store,
    gateStore: gate,
    clusterDrivers,
    policies,
    policyEngine: options.policyEngine,
    logger,
    owner: `replica-${randomUUID().slice(0, 8)}`,
    settings: { ...DEFAULT_EXECUTION, ...options.settings },
    inventory: options.inventory,
    workloads,
    now: options.now,
    hooks: options.hooks,
  });
  const plans = new PlanService({
    store,
    approvals,
    clusters: [driver.cluster],
    workloads,
    ownership,
    kick: () => execution.reconciler.kick(),
    reserve: () => execution.reconciler.reserve(),
  });
  /** Steps every due plan until none is left. */
  const drain = async () => {
    while ((await execution.reconciler.runOnce()) > 0) {
      // keep going
    }
  };
  return { store, policies, plans, execution, drain };
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

export const key = stringifyWorkloadRef;
