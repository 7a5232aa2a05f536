import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  isTerminalPlanStatus,
  parseWorkloadRef,
  sentinelTabPath,
  VERBS,
  WORKLOAD_KINDS,
  type ApiPlan,
  type ApiPlanSubmission,
  type SentinelApi,
} from '@internal/backstage-plugin-sentinel-common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  calling,
  sentinelAs,
  type SentinelCallerDeps,
} from '../sentinelCaller';
import { planSubmitExamples } from './planSubmit.examples';

/** A decision's target, given as an object or as `cluster/namespace/Kind/name`. */
export function targetOf(
  target:
    | string
    | { cluster?: string; namespace: string; kind?: string; name: string },
  index: number,
) {
  if (typeof target !== 'string') return target;
  const parsed = parseWorkloadRef(target.trim());
  if ('error' in parsed) {
    throw new InputError(`decisions[${index}].target: ${parsed.error}`);
  }
  return parsed.ref;
}

/** Statuses in which a plan the template waited for counts as a failure of the step. */
const FAILED = ['rejected', 'failed', 'rolled_back', 'cancelled'];
const POLL_MS = 2_000;

/** Polls the plan until it ends or the deadline passes; the last plan read either way. */
export async function waitForPlan(
  sentinel: Pick<SentinelApi, 'getPlan'>,
  id: string,
  timeoutMs: number,
  signal?: AbortSignal,
  pollMs = POLL_MS,
): Promise<ApiPlan> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const plan = await calling(`reading plan ${id}`, () =>
      sentinel.getPlan(id),
    );
    if (isTerminalPlanStatus(plan.status) || Date.now() >= deadline) {
      return plan;
    }
    await sleep(
      Math.min(pollMs, Math.max(0, deadline - Date.now())),
      undefined,
      {
        signal,
      },
    );
  }
}

/**
 * `sentinel:plan:submit`: a plan from a template, checked by Sentinel's policies and approved
 * like the optimizer's, as the person who runs the template.
 *
 * @public
 */
export function createPlanSubmitAction(deps: SentinelCallerDeps) {
  return createTemplateAction({
    id: 'sentinel:plan:submit',
    description:
      'Submits an action plan to Sentinel (or only evaluates it with dryRun), as the user who runs the template; optionally waits until the plan ends',
    examples: planSubmitExamples,
    schema: {
      input: {
        decisions: z =>
          z
            .array(
              z.object({
                verb: z.enum(VERBS, { description: 'What to do' }),
                target: z.union([
                  z.string({
                    description:
                      'cluster/namespace/Kind/name, as SentinelWorkloadPicker gives it',
                  }),
                  z.object({
                    cluster: z
                      .string({
                        description: 'Cluster; optional with one cluster',
                      })
                      .optional(),
                    namespace: z.string({
                      description: 'Kubernetes namespace',
                    }),
                    kind: z.enum(WORKLOAD_KINDS).default('Deployment'),
                    name: z.string({ description: 'Workload name' }),
                  }),
                ]),
                params: z
                  .record(z.string(), z.unknown(), {
                    description:
                      'Per verb: scale {replicas}, set_resources {containers}, rollout {containers, strategy}, rollback {toPlanId?}, restart {}',
                  })
                  .default({}),
                rationale: z.string().max(2000).optional(),
                confidence: z.number().min(0).max(1).optional(),
              }),
            )
            .min(1, 'at least one decision is needed'),
        source: z =>
          z
            .string({
              description: 'Who proposes the change, as plans record it',
            })
            .default('Backstage template'),
        mode: z =>
          z
            .enum(['enforce', 'shadow'], {
              description: 'shadow: evaluate and record, never apply',
            })
            .default('enforce'),
        dryRun: z =>
          z
            .boolean({
              description:
                'Only evaluate the plan against the policy in force; nothing is stored',
            })
            .default(false),
        wait: z =>
          z
            .boolean({
              description:
                'Wait until the plan ends (applied, rejected, rolled back...); the step fails unless it succeeds',
            })
            .default(false),
        timeoutSeconds: z =>
          z
            .number({ description: 'How long to wait, at most an hour' })
            .int()
            .min(1)
            .max(3600)
            .default(600),
      },
      output: {
        planId: z => z.string().optional(),
        status: z =>
          z.string({
            description: "The plan's status, or the dry run's outcome",
          }),
        verdicts: z =>
          z.array(
            z.object({
              index: z.number(),
              outcome: z.string(),
              reasons: z.array(
                z.object({ rule: z.string(), message: z.string() }),
              ),
            }),
          ),
        link: z =>
          z.string({ description: "The service's Sentinel tab in the portal" }),
      },
    },
    async handler(ctx) {
      // Defaults again: a runner may hand over the input as the template wrote it.
      const input = {
        ...ctx.input,
        source: ctx.input.source ?? 'Backstage template',
        mode: ctx.input.mode ?? 'enforce',
        timeoutSeconds: ctx.input.timeoutSeconds ?? 600,
      };
      const sentinel = await sentinelAs(
        deps,
        await ctx.getInitiatorCredentials(),
      );
      const submission = {
        source: input.source,
        mode: input.mode,
        decisions: input.decisions.map((d, index) => ({
          ...d,
          target: targetOf(d.target, index),
          params: d.params ?? {},
        })),
      } as ApiPlanSubmission;

      if (input.dryRun) {
        const evaluation = await calling('evaluating the plan', () =>
          sentinel.evaluatePolicy(submission),
        );
        ctx.output('status', evaluation.outcome);
        ctx.output(
          'verdicts',
          evaluation.decisions.map(d => ({
            index: d.index,
            outcome: d.verdict.outcome,
            reasons: d.verdict.reasons.map(r => ({
              rule: r.rule,
              message: r.message,
            })),
          })),
        );
        ctx.output('link', '/sentinel/policy');
        ctx.logger.info(`Dry run: the plan would be ${evaluation.outcome}`);
        return;
      }

      // One plan per step of a task, however often the task is retried.
      const idempotencyKey = `scaffolder:${ctx.task.id}:${
        ctx.step?.id ?? 'submit'
      }`;
      const submitted = await calling('submitting the plan', () =>
        sentinel.submitPlan(submission, { idempotencyKey }),
      );
      const entityRef = submitted.decisions[0]?.entityRef;
      const link = entityRef ? sentinelTabPath(entityRef) : '/sentinel';
      ctx.output('planId', submitted.id);
      ctx.output('link', link);
      ctx.logger.info(
        `Submitted plan ${submitted.id} (${submitted.status}); ${link}`,
      );

      const plan = input.wait
        ? await waitForPlan(
            sentinel,
            submitted.id,
            input.timeoutSeconds * 1000,
            ctx.signal,
          )
        : submitted;
      ctx.output('status', plan.status);
      ctx.output(
        'verdicts',
        plan.decisions.map(d => ({
          index: d.index,
          outcome: d.verdict?.outcome ?? 'pending',
          reasons: (d.verdict?.reasons ?? []).map(r => ({
            rule: r.rule,
            message: r.message,
          })),
        })),
      );
      if (!input.wait) return;
      if (FAILED.includes(plan.status)) {
        throw new Error(
          `Plan ${plan.id} ended ${plan.status}: ${
            plan.statusReason ?? 'no reason given'
          }`,
        );
      }
      if (!isTerminalPlanStatus(plan.status)) {
        throw new Error(
          `Plan ${plan.id} is still ${plan.status} after ${input.timeoutSeconds} s; it goes on without this task: follow it at ${link}`,
        );
      }
    },
  });
}
