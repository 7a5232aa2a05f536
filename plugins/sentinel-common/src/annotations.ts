/**
 * Catalog annotations that tie a catalog entity to the Kubernetes workloads Sentinel manages.
 *
 * `sentinel.io/workloads` lists workloads as `cluster/namespace/Kind/name`, comma separated,
 * e.g. `demo/shop/Deployment/cart, demo/shop/StatefulSet/cart-db`.
 *
 * @public
 */
export const SENTINEL_WORKLOADS_ANNOTATION = 'sentinel.io/workloads';

/**
 * What a failed canary or blue/green analysis does to the entity's workloads: `auto` (abort
 * and roll back), `manual` (pause and tell the owners) or `freeze` (pause and hold every
 * further change until a person acts). Without it, `sentinel.rollouts.rollbackPolicy` applies.
 *
 * @public
 */
export const SENTINEL_ROLLBACK_POLICY_ANNOTATION =
  'sentinel.io/rollback-policy';

/**
 * How the entity's `rollout` decisions roll out when a decision does not say: `direct`,
 * `canary` or `bluegreen`. Without it (or with another value), `direct`.
 *
 * @public
 */
export const SENTINEL_ROLLOUT_STRATEGY_ANNOTATION =
  'sentinel.io/rollout-strategy';

/**
 * Which traffic router splits the entity's canaries: `nginx` (a canary Ingress beside the
 * Ingress to the workload's Service), `gateway-api` (weighted backendRefs on the HTTPRoute to
 * it), a router a backend module adds, or `none` (traffic follows the replica ratio). Without
 * it, `sentinel.rollouts.trafficRouter` applies.
 *
 * @public
 */
export const SENTINEL_TRAFFIC_ROUTER_ANNOTATION = 'sentinel.io/traffic-router';

/**
 * The rollout strategies a `rollout` decision may use.
 *
 * @public
 */
export const ROLLOUT_STRATEGIES = ['direct', 'canary', 'bluegreen'] as const;
/**
 * A rollout strategy, one of `ROLLOUT_STRATEGIES`.
 *
 * @public
 */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/**
 * The annotation's strategy, or undefined when it names none Sentinel knows.
 *
 * @public
 */
export function parseRolloutStrategyAnnotation(
  value: string | undefined,
): RolloutStrategy | undefined {
  const trimmed = value?.trim();
  return ROLLOUT_STRATEGIES.find(s => s === trimmed);
}

/**
 * The workload kinds Sentinel can change.
 *
 * @public
 */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'] as const;
/**
 * A workload kind Sentinel can change, one of `WORKLOAD_KINDS`.
 *
 * @public
 */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * Where a workload lives.
 *
 * @public
 */
export interface WorkloadRef {
  /** The cluster's name, as configured under `sentinel.clusters`. */
  cluster: string;
  /** The Kubernetes namespace. */
  namespace: string;
  /** The workload's kind. */
  kind: WorkloadKind;
  /** The workload's name. */
  name: string;
}

// DNS-1123 label: what Kubernetes allows for namespaces and most object names.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// DNS-1123 subdomain: what Kubernetes allows for Deployment and StatefulSet names.
const DNS_1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The result of reading the workloads annotation: what parsed and what did not, and why.
 *
 * @public
 */
export interface ParsedWorkloadRefs {
  /** The references that parsed. */
  refs: WorkloadRef[];
  /** One message for each reference that did not parse, saying what is wrong with it. */
  errors: string[];
}

/**
 * Formats a workload reference as it is written in annotations and URLs.
 *
 * @public
 */
export function stringifyWorkloadRef(ref: WorkloadRef): string {
  return `${ref.cluster}/${ref.namespace}/${ref.kind}/${ref.name}`;
}

/**
 * Parses one `cluster/namespace/Kind/name` reference, or says what is wrong with it.
 *
 * @public
 */
export function parseWorkloadRef(
  value: string,
): { ref: WorkloadRef } | { error: string } {
  const parts = value.trim().split('/');
  if (parts.length !== 4) {
    return {
      error: `"${value}" is not of the form cluster/namespace/Kind/name`,
    };
  }
  const [cluster, namespace, kind, name] = parts;
  if (!DNS_1123_LABEL.test(cluster)) {
    return {
      error: `"${value}": cluster "${cluster}" is not a DNS-1123 label`,
    };
  }
  if (!DNS_1123_LABEL.test(namespace)) {
    return {
      error: `"${value}": namespace "${namespace}" is not a DNS-1123 label`,
    };
  }
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind)) {
    return {
      error: `"${value}": kind "${kind}" is not one of ${WORKLOAD_KINDS.join(
        ', ',
      )}`,
    };
  }
  if (!DNS_1123_SUBDOMAIN.test(name)) {
    return { error: `"${value}": name "${name}" is not a DNS-1123 subdomain` };
  }
  return { ref: { cluster, namespace, kind: kind as WorkloadKind, name } };
}

/**
 * Reads the workloads annotation of a catalog entity; an absent annotation yields no refs.
 *
 * @public
 */
export function parseWorkloadsAnnotation(
  value: string | undefined,
): ParsedWorkloadRefs {
  const result: ParsedWorkloadRefs = { refs: [], errors: [] };
  if (!value) {
    return result;
  }
  for (const item of value.split(',')) {
    if (item.trim() === '') {
      continue;
    }
    const parsed = parseWorkloadRef(item);
    if ('ref' in parsed) {
      result.refs.push(parsed.ref);
    } else {
      result.errors.push(parsed.error);
    }
  }
  return result;
}

/**
 * A service's own canary steps, e.g. `10:60, 25:60, 50:gate, 100`: each step's weight in
 * percent, optionally followed by `:<seconds>` to pause after it passed or `:gate` to wait for
 * a person. Without it, `sentinel.rollouts.steps` applies.
 *
 * @public
 */
export const SENTINEL_CANARY_STEPS_ANNOTATION = 'sentinel.io/canary-steps';

/**
 * One canary step as the annotation gives it.
 *
 * @public
 */
export interface CanaryStep {
  /** The candidate's share of traffic, in percent (1 to 100). */
  weight: number;
  /** Seconds to pause after the step passed its analysis. */
  pauseSeconds?: number;
  /** Whether the rollout waits for a person to promote it after this step. */
  gate?: boolean;
}

/**
 * Reads the canary steps annotation: weights are whole numbers from 1 to 100 and rise. Says
 * which step is wrong and why, as an entity's author needs to fix it.
 *
 * @public
 */
export function parseCanaryStepsAnnotation(
  value: string,
): { steps: CanaryStep[] } | { error: string } {
  const steps: CanaryStep[] = [];
  const items = value
    .split(',')
    .map(item => item.trim())
    .filter(Boolean);
  if (items.length === 0) return { error: 'no steps' };
  for (const [i, item] of items.entries()) {
    const [weightText, after, ...rest] = item.split(':').map(p => p.trim());
    const weight = Number(weightText);
    if (
      rest.length ||
      !/^\d+$/.test(weightText) ||
      weight < 1 ||
      weight > 100
    ) {
      return {
        error: `step ${
          i + 1
        } "${item}": write a weight from 1 to 100, optionally :<seconds> or :gate`,
      };
    }
    if (i > 0 && weight <= steps[i - 1].weight) {
      return {
        error: `step ${i + 1} "${item}": weights must rise (${
          steps[i - 1].weight
        } before it)`,
      };
    }
    if (after === undefined) steps.push({ weight });
    else if (after === 'gate') steps.push({ weight, gate: true });
    else if (/^\d+$/.test(after)) {
      steps.push({ weight, pauseSeconds: Number(after) });
    } else {
      return {
        error: `step ${
          i + 1
        } "${item}": after the weight, write :<seconds> or :gate`,
      };
    }
  }
  return { steps };
}

/**
 * A service's own analysis timing, e.g. `intervalSeconds=30, passAfter=3, onInconclusive=wait`:
 * any of intervalSeconds, passAfter, inconclusiveAfter, readySeconds, inconclusiveSeconds
 * (numbers) and onInconclusive (abort or wait). The checks themselves come from the policy
 * document or app-config.
 *
 * @public
 */
export const SENTINEL_CANARY_ANALYSIS_ANNOTATION =
  'sentinel.io/canary-analysis';

const ANALYSIS_NUMBERS = [
  'intervalSeconds',
  'passAfter',
  'inconclusiveAfter',
  'readySeconds',
  'inconclusiveSeconds',
] as const satisfies readonly (keyof CanaryAnalysisSettings)[];

/**
 * The analysis settings the annotation gives.
 *
 * @public
 */
export type CanaryAnalysisSettings = {
  /** Seconds between two measured intervals. */
  intervalSeconds?: number;
  /** Passing intervals in a row that pass a step (a whole number). */
  passAfter?: number;
  /** Inconclusive intervals in a row that pause the rollout (a whole number). */
  inconclusiveAfter?: number;
  /** Seconds the candidate's pods may take to become ready before the step fails. */
  readySeconds?: number;
  /** Seconds a rollout may stay inconclusive before `onInconclusive` applies. */
  inconclusiveSeconds?: number;
  /** What a rollout inconclusive for `inconclusiveSeconds` does: abort, or wait for a person. */
  onInconclusive?: 'abort' | 'wait';
};

/**
 * Reads the canary analysis annotation, naming the setting that is wrong and why.
 *
 * @public
 */
export function parseCanaryAnalysisAnnotation(
  value: string,
): { analysis: CanaryAnalysisSettings } | { error: string } {
  const analysis: Record<string, unknown> = {};
  for (const item of value
    .split(',')
    .map(i => i.trim())
    .filter(Boolean)) {
    const [key, text, ...rest] = item.split('=').map(p => p.trim());
    if (rest.length || text === undefined) {
      return { error: `"${item}": write <setting>=<value>` };
    }
    if (key === 'onInconclusive') {
      if (text !== 'abort' && text !== 'wait') {
        return { error: `"${item}": onInconclusive is abort or wait` };
      }
      analysis[key] = text;
    } else if ((ANALYSIS_NUMBERS as readonly string[]).includes(key)) {
      const n = Number(text);
      const whole = key === 'passAfter' || key === 'inconclusiveAfter';
      if (!Number.isFinite(n) || n < 1 || (whole && !Number.isInteger(n))) {
        return {
          error: `"${item}": ${key} must be ${
            whole ? 'a whole number' : 'a number'
          } of at least 1`,
        };
      }
      analysis[key] = n;
    } else {
      return {
        error: `"${item}": unknown setting ${key}; known: ${[
          ...ANALYSIS_NUMBERS,
          'onInconclusive',
        ].join(', ')}`,
      };
    }
  }
  return { analysis: analysis as CanaryAnalysisSettings };
}
