/**
 * The rules bucketed by the most selective field of their scope, so a decision only looks at
 * the rules that can apply to it; memoised on the rules array (weakly, so it goes with it)
 * and rebuilt if a rule was replaced or its scope changed in place.
 */
import type { PolicyRule } from '@internal/backstage-plugin-sentinel-common';
import type { DecisionFacts } from '../facts';
import { placeMatches } from '../scope';

/** Each rule is in exactly one bucket; buckets keep document order. */
export interface RuleIndex {
  /** What each rule was bucketed by, to notice a rule changed in place. */
  indexed: {
    rule: PolicyRule;
    cluster?: string;
    namespace?: string;
    entityRef?: string;
  }[];
  /**
   * The rules whose cluster, namespace and entityRef match a decision's (labels are checked
   * per decision), by `cluster`, `namespace` and `entityRef`, once computed.
   */
  candidates: Map<string, Int32Array>;
  /** No cluster, namespace or entityRef in the scope (labels, if any, checked per decision). */
  unscoped: number[];
  byCluster: Map<string, number[]>;
  byNamespace: Map<string, number[]>;
  byEntity: Map<string, number[]>;
}

type Place = Pick<DecisionFacts, 'cluster' | 'namespace' | 'entityRef'>;

const ruleIndexes = new WeakMap<readonly PolicyRule[], RuleIndex>();

/** Whether an index still describes `rules` exactly (a few comparisons per rule). */
function stillValid(index: RuleIndex, rules: readonly PolicyRule[]): boolean {
  if (index.indexed.length !== rules.length) {
    return false;
  }
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const was = index.indexed[i];
    if (
      was.rule !== rule ||
      was.cluster !== rule.scope?.cluster ||
      was.namespace !== rule.scope?.namespace ||
      was.entityRef !== rule.scope?.entityRef
    ) {
      return false;
    }
  }
  return true;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    list.push(value);
  } else {
    map.set(key, [value]);
  }
}

export function indexRules(rules: readonly PolicyRule[]): RuleIndex {
  const cached = ruleIndexes.get(rules);
  if (cached && stillValid(cached, rules)) {
    return cached;
  }
  const index: RuleIndex = {
    indexed: rules.map(rule => ({
      rule,
      cluster: rule.scope?.cluster,
      namespace: rule.scope?.namespace,
      entityRef: rule.scope?.entityRef,
    })),
    candidates: new Map(),
    unscoped: [],
    byCluster: new Map(),
    byNamespace: new Map(),
    byEntity: new Map(),
  };
  rules.forEach((rule, i) => {
    const scope = rule.scope;
    if (scope?.cluster !== undefined) {
      pushTo(index.byCluster, scope.cluster, i);
    } else if (scope?.namespace !== undefined) {
      pushTo(index.byNamespace, scope.namespace, i);
    } else if (scope?.entityRef !== undefined) {
      pushTo(index.byEntity, scope.entityRef, i);
    } else {
      index.unscoped.push(i);
    }
  });
  ruleIndexes.set(rules, index);
  return index;
}

/**
 * Indexes of the rules whose cluster, namespace and entityRef match the decision, in
 * document order; their labels remain to be checked.
 */
export function candidateRules(index: RuleIndex, facts: Place): Int32Array {
  const key = `${facts.cluster}\n${facts.namespace}\n${facts.entityRef ?? ''}`;
  let candidates = index.candidates.get(key);
  if (!candidates) {
    candidates = mergeBuckets(index, facts).filter(i =>
      placeMatches(index.indexed[i], facts),
    );
    if (index.candidates.size >= 4096) index.candidates.clear();
    index.candidates.set(key, candidates);
  }
  return candidates;
}

function mergeBuckets(index: RuleIndex, facts: Place): Int32Array {
  const buckets = [
    index.unscoped,
    index.byCluster.get(facts.cluster),
    index.byNamespace.get(facts.namespace),
    facts.entityRef === null ? undefined : index.byEntity.get(facts.entityRef),
  ];
  let total = 0;
  let nonEmpty = 0;
  for (const bucket of buckets) {
    if (bucket && bucket.length > 0) {
      total += bucket.length;
      nonEmpty += 1;
    }
  }
  const candidates = new Int32Array(total);
  let k = 0;
  for (const bucket of buckets) {
    for (const i of bucket ?? []) {
      candidates[k++] = i;
    }
  }
  return nonEmpty > 1 ? candidates.sort() : candidates;
}
