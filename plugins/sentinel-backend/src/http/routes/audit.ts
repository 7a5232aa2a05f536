import { auditReadPermission } from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import { AUDIT_ACTIONS } from '../../audit/auditRecord';
import type { AuditStore } from '../../audit/AuditStore';
import { invalid } from '../../plans/PlanService';
import { intParam, one, type RouteSupport } from '../routeSupport';

/** An ISO 8601 time query parameter. */
function timeParam(value: unknown, name: string): Date | undefined {
  const text = one(value, name);
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    throw invalid('Invalid query', [
      { path: name, message: 'must be an ISO 8601 date-time' },
    ]);
  }
  return time;
}

function choiceParam(
  value: unknown,
  name: string,
  known: readonly string[],
): string | undefined {
  const text = one(value, name);
  if (text !== undefined && !known.includes(text)) {
    throw invalid('Invalid query', [
      { path: name, message: `must be one of ${known.join(', ')}` },
    ]);
  }
  return text;
}

/** GET /v1/audit: the audit trail, newest first (admins). */
export function addAuditRoutes(
  router: express.Router,
  audit: AuditStore,
  { authorize }: RouteSupport,
) {
  router.get('/v1/audit', async (req, res) => {
    await authorize(req, auditReadPermission);
    const { query } = req;
    res.json(
      await audit.list(
        {
          actor: one(query.actor, 'actor'),
          entityRef: one(query.entityRef, 'entityRef'),
          action: choiceParam(query.action, 'action', AUDIT_ACTIONS),
          outcome: choiceParam(query.outcome, 'outcome', [
            'succeeded',
            'refused',
            'failed',
          ]),
          from: timeParam(query.from, 'from'),
          to: timeParam(query.to, 'to'),
        },
        {
          limit: intParam(query.limit, 'limit', {
            min: 1,
            max: 500,
            default: 100,
          }),
          cursor: one(query.cursor, 'cursor'),
        },
      ),
    );
  });
}
