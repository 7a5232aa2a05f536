import type {
  PlanStatus,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { writeAudit } from '../../audit/auditRecord';
import { approvalRefusal, approvalsRequired } from '../approvals';
import { json, type DecisionRow, type PlanRow } from './planRows';
import type {
  ApprovalStore,
  PlanApprovalRequest,
  PlanApprovalResult,
  PlanChange,
} from './PlanStore';

/**
 * People's approvals of plans that wait for them, in the plans' database: each approval is
 * counted under a lock on its plan, with its audit record, and the plan is approved once
 * enough distinct people have approved it.
 */
export class DatabaseApprovalStore implements ApprovalStore {
  readonly #knex: Knex;
  readonly #isPostgres: boolean;
  readonly #onChange?: (change: PlanChange) => void;

  constructor(
    knex: Knex,
    options: { onChange?: (change: PlanChange) => void } = {},
  ) {
    this.#knex = knex;
    this.#isPostgres = knex.client.config.client === 'pg';
    this.#onChange = options.onChange;
  }

  async approve(
    id: string,
    request: PlanApprovalRequest,
  ): Promise<PlanApprovalResult> {
    const result = await this.#approveInTransaction(id, request);
    if (result.kind === 'approved') {
      this.#onChange?.({
        planId: id,
        status: 'approved',
        transitions: [{ to: 'approved', message: result.message }],
      });
      return { kind: 'approved' };
    }
    if (result.kind === 'recorded') {
      this.#onChange?.({
        planId: id,
        status: 'pending_approval',
        transitions: [],
      });
    }
    return result;
  }

  async #approveInTransaction(
    id: string,
    request: PlanApprovalRequest,
  ): Promise<
    | Exclude<PlanApprovalResult, { kind: 'approved' }>
    | { kind: 'approved'; message: string }
  > {
    return this.#knex.transaction(async tx => {
      // Locked, so two approvers at once are counted one after the other.
      const query = tx<PlanRow>('plans').where({ id });
      if (this.#isPostgres) query.forUpdate();
      const plan = await query.first('status', 'submitted_by');
      if (!plan) return { kind: 'missing' };
      if (plan.status !== 'pending_approval') {
        return { kind: 'conflict', status: plan.status as PlanStatus };
      }
      const [approvals, verdicts] = await Promise.all([
        tx('plan_approvals').where({ plan_id: id }).select('approver'),
        tx<DecisionRow>('plan_decisions')
          .where({ plan_id: id })
          .select('verdict'),
      ]);
      const refusal = approvalRefusal({
        actor: request.actor,
        submittedBy: plan.submitted_by,
        approvers: approvals.map(a => a.approver),
        requireDistinctApprover: request.requireDistinctApprover,
      });
      if (refusal) {
        // The refusal is recorded, in its own transaction: this one rolls back.
        return { kind: 'refused', reason: refusal };
      }
      await tx('plan_approvals').insert({
        plan_id: id,
        approver: request.actor,
        comment: request.comment ?? null,
        approved_at: request.at,
      });
      const count = approvals.length + 1;
      const required = approvalsRequired(
        verdicts.map(v => json(v.verdict) as Verdict | null),
      );
      const said = request.comment ? `: ${request.comment}` : '';
      await writeAudit(tx, request.audit, request.at);
      if (count < required) {
        await tx('plan_events').insert({
          plan_id: id,
          at: request.at,
          status: 'pending_approval',
          actor: request.actor,
          message: `approved (${count} of ${required} approvers)${said}`,
        });
        return { kind: 'recorded', count, required };
      }
      const message =
        required > 1
          ? `approved (${count} of ${required} approvers)${said}`
          : `approved${said}`;
      await tx('plans').where({ id }).update({
        status: 'approved',
        status_reason: message,
        updated_at: request.at,
        next_check_at: request.at,
        held_since: null,
        approved_by: request.actor,
      });
      await tx('plan_events').insert({
        plan_id: id,
        at: request.at,
        status: 'approved',
        actor: request.actor,
        message,
      });
      return { kind: 'approved' as const, message };
    });
  }
}
