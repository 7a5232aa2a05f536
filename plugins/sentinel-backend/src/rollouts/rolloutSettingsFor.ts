import {
  parseCanaryAnalysisAnnotation,
  parseCanaryStepsAnnotation,
  SENTINEL_CANARY_ANALYSIS_ANNOTATION,
  SENTINEL_CANARY_STEPS_ANNOTATION,
  type RolloutSettingsEntry,
} from '@internal/backstage-plugin-sentinel-common';
import { InputError } from '@backstage/errors';
import { scopeMatches, type ScopeFacts } from '../policy/engine/scope';
import {
  ROLLBACK_POLICIES,
  type AnalysisConfig,
  type RollbackPolicy,
  type RolloutStep,
} from './types';

/** What a rollout of one workload runs with. */
export interface WorkloadRolloutSettings {
  steps: RolloutStep[];
  analysis: AnalysisConfig;
  rollbackPolicy: RollbackPolicy;
  /** Canary: the traffic router that sets the canary's weight; none: the replica ratio. */
  trafficRouter?: string;
}

/** The service's own settings, from its catalog entity's annotations. */
export interface ServiceAnnotations {
  canarySteps?: string;
  canaryAnalysis?: string;
  rollbackPolicy?: string;
  trafficRouter?: string;
}

/** How specific a scope is: entityRef over namespace over cluster over none; labels add. */
function specificity(entry: RolloutSettingsEntry): number {
  const scope = entry.scope ?? {};
  return (
    (scope.entityRef ? 8 : 0) +
    (scope.namespace ? 4 : 0) +
    (scope.cluster ? 2 : 0) +
    (scope.labels ? 1 : 0)
  );
}

/**
 * The settings a workload's rollout runs with: the configured defaults, then every policy
 * entry whose scope matches, least specific first (so the most specific wins, field by field),
 * then the service's own annotations. An annotation that does not parse is an InputError
 * naming what to fix. Pure.
 */
export function rolloutSettingsFor(
  defaults: WorkloadRolloutSettings,
  entries: readonly RolloutSettingsEntry[] | undefined,
  facts: ScopeFacts,
  annotations: ServiceAnnotations = {},
): WorkloadRolloutSettings {
  const matching = (entries ?? [])
    .filter(entry => scopeMatches(entry.scope, facts))
    .sort((a, b) => specificity(a) - specificity(b));
  let settings: WorkloadRolloutSettings = {
    ...defaults,
    analysis: { ...defaults.analysis },
  };
  for (const entry of matching) {
    settings = {
      ...settings,
      steps: entry.steps ?? settings.steps,
      rollbackPolicy: entry.rollbackPolicy ?? settings.rollbackPolicy,
      analysis: {
        ...settings.analysis,
        ...Object.fromEntries(
          Object.entries(entry.analysis ?? {}).filter(
            ([, v]) => v !== undefined,
          ),
        ),
      },
    };
  }
  if (annotations.canarySteps !== undefined) {
    const parsed = parseCanaryStepsAnnotation(annotations.canarySteps);
    if ('error' in parsed) {
      throw new InputError(
        `${SENTINEL_CANARY_STEPS_ANNOTATION} of ${facts.entityRef}: ${parsed.error}`,
      );
    }
    settings.steps = parsed.steps;
  }
  if (annotations.canaryAnalysis !== undefined) {
    const parsed = parseCanaryAnalysisAnnotation(annotations.canaryAnalysis);
    if ('error' in parsed) {
      throw new InputError(
        `${SENTINEL_CANARY_ANALYSIS_ANNOTATION} of ${facts.entityRef}: ${parsed.error}`,
      );
    }
    settings.analysis = { ...settings.analysis, ...parsed.analysis };
  }
  if (
    ROLLBACK_POLICIES.includes(annotations.rollbackPolicy as RollbackPolicy)
  ) {
    settings.rollbackPolicy = annotations.rollbackPolicy as RollbackPolicy;
  }
  // Checked when the canary first needs it: which routers exist is the clusters' business.
  const router = annotations.trafficRouter?.trim();
  if (router) {
    settings.trafficRouter = router === 'none' ? undefined : router;
  }
  return settings;
}
