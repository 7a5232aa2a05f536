import {
  policyReadPermission,
  policyUpdatePermission,
} from '@internal/backstage-plugin-sentinel-common';
import type { PlanService } from '../../plans/PlanService';
import type { PolicyService } from '../../policy/PolicyService';
import type { PolicyEvaluation } from '../../policy/types';
import { actorOf } from '../../audit/auditRecord';
import type { ApiRouter } from '../apiRouter';
import type { RouteSupport } from '../routeSupport';
import {
  dryRunPolicy,
  evaluatePolicy,
  getPolicy,
  getPolicyHistory,
  replacePolicy,
} from './policies.api';

/** The policy document, its history and dry runs (policies.api.ts). */
export function addPolicyRoutes(
  api: ApiRouter,
  plans: PlanService,
  policies: PolicyService,
  { authorize, audited }: RouteSupport,
) {
  api.route(getPolicy, async ({ req, reply }) => {
    await authorize(req, policyReadPermission);
    reply(200, (await policies.current({ latest: true })).document);
  });

  api.route(replacePolicy, async ({ req, input, reply }) => {
    await audited(req, 'policy-update', {}, async () => {
      const credentials = await authorize(req, policyUpdatePermission);
      const saved = await policies.replace(
        input.body(),
        actorOf(credentials),
        new Date(),
      );
      reply(200, saved.document);
    });
  });

  api.route(getPolicyHistory, async ({ req, input, reply }) => {
    await authorize(req, policyReadPermission);
    const { limit } = input.query();
    reply(200, { items: await policies.history(limit) });
  });

  // A dry run: the same validation and verdicts as a submission, and nothing stored.
  api.route(evaluatePolicy, async ({ req, input, reply }) => {
    await authorize(req, policyReadPermission);
    const plan = await plans.resolve(input.body());
    reply(200, asApiEvaluation(await policies.evaluatePlan(plan, new Date())));
  });

  // A dry run against a draft document, before an admin saves it.
  api.route(dryRunPolicy, async ({ req, input, reply }) => {
    await authorize(req, policyReadPermission);
    const body = input.body();
    const draft = policies.parseDraft(body.policy);
    const plan = await plans.resolve(body.plan);
    reply(
      200,
      asApiEvaluation(await policies.evaluatePlan(plan, new Date(), draft)),
    );
  });
}

/** The verdicts as the API documents them: without what the engine adds for the metrics. */
function asApiEvaluation({ outcome, decisions }: PolicyEvaluation) {
  return {
    outcome,
    decisions: decisions.map(({ index, verdict }) => ({ index, verdict })),
  };
}
