import {
  freezeManagePermission,
  policyReadPermission,
  policyScopeSchema,
  policyUpdatePermission,
} from '@internal/backstage-plugin-sentinel-common';
import type express from 'express';
import { z } from 'zod';
import { invalid, type PlanService } from '../../plans/PlanService';
import {
  MAX_OVERRIDE_MINUTES,
  type PolicyService,
} from '../../policy/PolicyService';
import { actorOf } from '../../audit/auditRecord';
import { intParam, one, parseBody, type RouteSupport } from '../routeSupport';

const overrideBody = z.strictObject({
  scope: policyScopeSchema.default({}),
  reason: z.string().min(1).max(1000),
  durationMinutes: z.number().int().min(1).max(MAX_OVERRIDE_MINUTES),
});

const DAY_MS = 86_400_000;
const isoInstant = z.iso.datetime({ offset: true });
const MAX_CALENDAR_DAYS = 62;

/** The calendar's period: from now (or `from`) for 28 days (or until `to`), at most 62 days. */
function calendarPeriod(
  fromText: string | undefined,
  toText: string | undefined,
  now: Date,
): { from: Date; to: Date } {
  const instant = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    const at = new Date(text);
    if (!isoInstant.safeParse(text).success || Number.isNaN(at.getTime())) {
      throw invalid('Invalid query', [
        { path: name, message: 'must be an ISO 8601 instant with an offset' },
      ]);
    }
    return at;
  };
  const from = instant(fromText, 'from') ?? now;
  const to = instant(toText, 'to') ?? new Date(from.getTime() + 28 * DAY_MS);
  if (
    to <= from ||
    to.getTime() - from.getTime() > MAX_CALENDAR_DAYS * DAY_MS
  ) {
    throw invalid('Invalid query', [
      {
        path: 'to',
        message: `must be after from, at most ${MAX_CALENDAR_DAYS} days later`,
      },
    ]);
  }
  return { from, to };
}

const dryRunBody = z.strictObject({
  policy: z.unknown(),
  plan: z.unknown(),
});

/** Policies, dry-run evaluation, freeze windows, freeze status and break-glass overrides. */
export function addPolicyRoutes(
  router: express.Router,
  plans: PlanService,
  policies: PolicyService,
  { authorize, audited }: RouteSupport,
) {
  router.get('/v1/policies', async (req, res) => {
    await authorize(req, policyReadPermission);
    res.json((await policies.current()).document);
  });

  router.put('/v1/policies', async (req, res) => {
    await audited(req, 'policy-update', {}, async () => {
      const credentials = await authorize(req, policyUpdatePermission);
      const saved = await policies.replace(
        req.body,
        actorOf(credentials),
        new Date(),
      );
      res.json(saved.document);
    });
  });

  router.get('/v1/policies/history', async (req, res) => {
    await authorize(req, policyReadPermission);
    const limit = intParam(req.query.limit, 'limit', {
      min: 1,
      max: 200,
      default: 50,
    });
    res.json({ items: await policies.history(limit) });
  });

  // A dry run: the same validation and verdicts as a submission, and nothing stored.
  router.post('/v1/policies/evaluate', async (req, res) => {
    await authorize(req, policyReadPermission);
    const plan = await plans.resolve(req.body);
    res.json(await policies.evaluatePlan(plan, new Date()));
  });

  // A dry run against a draft document, before an admin saves it.
  router.post('/v1/policies/dry-run', async (req, res) => {
    await authorize(req, policyReadPermission);
    const body = parseBody(dryRunBody, req.body);
    const draft = policies.parseDraft(body.policy);
    const plan = await plans.resolve(body.plan);
    res.json(await policies.evaluatePlan(plan, new Date(), draft));
  });

  router.get('/v1/freeze-windows', async (req, res) => {
    await authorize(req, policyReadPermission);
    res.json({ items: await policies.listFreezeWindows() });
  });

  router.post('/v1/freeze-windows', async (req, res) => {
    await audited(req, 'freeze-window-create', {}, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      const window = await policies.addFreezeWindow(
        req.body,
        actorOf(credentials),
        new Date(),
      );
      res.status(201).json(window);
    });
  });

  router.delete('/v1/freeze-windows/:id', async (req, res) => {
    const { id } = req.params;
    await audited(req, 'freeze-window-delete', { windowId: id }, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      await policies.deleteFreezeWindow(id, actorOf(credentials), new Date());
      res.status(204).end();
    });
  });

  router.get('/v1/freeze-status', async (req, res) => {
    await authorize(req, policyReadPermission);
    res.json(
      await policies.freezeStatus(
        {
          entityRef: one(req.query.entityRef, 'entityRef'),
          cluster: one(req.query.cluster, 'cluster'),
          namespace: one(req.query.namespace, 'namespace'),
        },
        new Date(),
      ),
    );
  });

  // The freeze calendar: every interval in a period of at most 62 days (four weeks by default).
  router.get('/v1/freeze-calendar', async (req, res) => {
    await authorize(req, policyReadPermission);
    const { from, to } = calendarPeriod(
      one(req.query.from, 'from'),
      one(req.query.to, 'to'),
      new Date(),
    );
    res.json({
      from: from.toISOString(),
      to: to.toISOString(),
      items: (await policies.freezeCalendar(from, to)).map(o => ({
        ...o,
        start: o.start.toISOString(),
        end: o.end.toISOString(),
      })),
    });
  });

  router.get('/v1/freeze-overrides', async (req, res) => {
    await authorize(req, policyReadPermission);
    res.json({ items: await policies.activeOverrides(new Date()) });
  });

  // Break glass: an admin lifts freezes in a scope for a while, with a reason on record.
  router.post('/v1/freeze-overrides', async (req, res) => {
    await audited(req, 'freeze-override-create', {}, async () => {
      const credentials = await authorize(req, freezeManagePermission);
      const input = parseBody(overrideBody, req.body);
      res
        .status(201)
        .json(
          await policies.breakGlass(input, actorOf(credentials), new Date()),
        );
    });
  });
}
