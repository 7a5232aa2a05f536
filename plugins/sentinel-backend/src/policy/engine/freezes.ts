/**
 * Change freeze windows and the break-glass overrides that lift them: which are in effect is
 * resolved once per evaluation, then each decision is checked against those few.
 */
import type {
  FreezeOverride,
  FreezeWindow,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyContext } from '../types';
import type { DecisionFacts, Finding } from './facts';
import { instant } from './indexes/memo';
import { sentence } from './messages';
import { scopeMatches } from './scope';

export interface ActiveFreezes {
  /** The windows in effect at now, with the end of their current interval. */
  windows: { window: FreezeWindow; end: number }[];
  /** The overrides valid at now; only looked up if a window is in effect. */
  overrides: FreezeOverride[];
}

export function activeFreezes(
  context: PolicyContext,
  now: Date,
): ActiveFreezes {
  const nowMs = now.getTime();
  const windows: ActiveFreezes['windows'] = [];
  const calendar = context.freezeCalendar;
  for (const window of calendar.windows) {
    const interval = calendar.activeAt(window, now);
    if (interval) {
      windows.push({ window, end: interval.end.getTime() });
    }
  }
  const overrides =
    windows.length === 0
      ? []
      : context.overrides.filter(
          override =>
            instant(override.createdAt) <= nowMs &&
            nowMs < instant(override.expiresAt),
        );
  return { windows, overrides };
}

/**
 * Denies a decision in the scope of a window in effect, unless the window lets rollbacks
 * through and it is one, or an override in its scope lifts the freeze (both said, as allow).
 */
export function checkFreezes(
  active: ActiveFreezes,
  facts: DecisionFacts,
  iso: (ms: number) => string,
  findings: Finding[],
): void {
  for (const { window, end } of active.windows) {
    if (!scopeMatches(window.scope, facts)) {
      continue;
    }
    const rule = `freeze:${window.id}`;
    const until = iso(end);
    if (facts.decision.verb === 'rollback' && window.allowRollback !== false) {
      findings.push({
        outcome: 'allow',
        rule,
        message: `Rollback allowed during change freeze "${window.name}" (until ${until}): the window lets rollbacks through.`,
      });
      continue;
    }
    const override = active.overrides.find(o => scopeMatches(o.scope, facts));
    if (override) {
      findings.push({
        outcome: 'allow',
        rule,
        message: `Change freeze "${window.name}" (until ${until}) is lifted by break-glass override ${override.id}: ${override.createdBy} broke the glass ("${override.reason}"), valid until ${override.expiresAt}.`,
      });
      continue;
    }
    const rollbackNote =
      facts.decision.verb === 'rollback'
        ? ' This window does not let rollbacks through either.'
        : '';
    findings.push({
      outcome: 'deny',
      rule,
      message: `Change freeze "${
        window.name
      }" is in effect until ${until}: ${sentence(
        window.reason,
      )}${rollbackNote} Resubmit after it ends, or ask an admin for a break-glass override.`,
    });
  }
}
