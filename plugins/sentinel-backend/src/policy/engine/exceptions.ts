/** Policy exceptions: named rules waived for a scope until the exception expires. */
import type { PolicyException } from '@internal/backstage-plugin-sentinel-common';
import type { DecisionFacts, Finding } from './facts';
import { instant } from './indexes/memo';
import { scopeMatches } from './scope';

/** An exception not expired at now, with the reason it gives. */
export interface LiveException {
  exception: PolicyException;
  reason: Finding;
}

/** The exceptions in effect at `nowMs`; one expiring exactly now has expired. */
export function liveExceptions(
  exceptions: readonly PolicyException[] | undefined,
  nowMs: number,
): LiveException[] {
  const live: LiveException[] = [];
  for (const exception of exceptions ?? []) {
    if (nowMs < instant(exception.expiresAt)) {
      const why = exception.reason ? `: ${exception.reason}` : '';
      live.push({
        exception,
        reason: {
          outcome: 'allow',
          rule: exception.id,
          message: `${
            exception.rules.length === 1 ? 'Rule' : 'Rules'
          } ${exception.rules.join(
            ', ',
          )} waived for this decision by exception ${exception.id} (ticket ${
            exception.ticket
          }${why}) until ${exception.expiresAt}.`,
        },
      });
    }
  }
  return live;
}

/**
 * Adds the reason of each exception in the decision's scope to `findings`; returns the ids
 * of the rules they waive, undefined if none.
 */
export function waivedRules(
  live: readonly LiveException[],
  facts: DecisionFacts,
  findings: Finding[],
): Set<string> | undefined {
  let waived: Set<string> | undefined;
  for (const { exception, reason } of live) {
    if (!scopeMatches(exception.scope, facts)) {
      continue;
    }
    waived ??= new Set();
    for (const id of exception.rules) {
      waived.add(id);
    }
    findings.push(reason);
  }
  return waived;
}
