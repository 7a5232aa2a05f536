/* eslint-disable new-cap -- openapi-fetch names its methods after HTTP verbs (client.GET) */
import { ResponseError } from '@backstage/errors';
import createClient from 'openapi-fetch';
import type { WorkloadRef } from '../annotations';
import type { components, operations, paths } from '../generated/openapi';

/**
 * A plan as the API returns it (generated from openapi.yaml).
 *
 * @public
 */
export type ApiPlan = components['schemas']['Plan'];
/**
 * A plan submission as the API takes it (generated from openapi.yaml).
 *
 * @public
 */
export type ApiPlanSubmission = components['schemas']['PlanSubmission'];
/**
 * Whether changes are frozen now, by which window, and the next window.
 *
 * @public
 */
export type ApiFreezeStatus =
  operations['getFreezeStatus']['responses']['200']['content']['application/json'];
/**
 * A managed workload with its live state, rollout and health (GET /v1/workloads).
 *
 * @public
 */
export type ApiWorkload =
  operations['listWorkloads']['responses']['200']['content']['application/json']['items'][number];
/**
 * Filters and paging of `listWorkloads`.
 *
 * @public
 */
export type ListWorkloadsQuery = NonNullable<
  operations['listWorkloads']['parameters']['query']
>;
/**
 * A canary or blue/green rollout (GET /v1/rollouts).
 *
 * @public
 */
export type ApiRollout =
  operations['listRollouts']['responses']['200']['content']['application/json']['items'][number];
/**
 * A rollout with its timeline and every analyzed interval (`GET /v1/rollouts/{id}`).
 *
 * @public
 */
export type ApiRolloutDetail =
  operations['getRollout']['responses']['200']['content']['application/json'];
/**
 * Filters and paging of `listRollouts`.
 *
 * @public
 */
export type ListRolloutsQuery = NonNullable<
  operations['listRollouts']['parameters']['query']
>;
/**
 * What a person can do to a rollout.
 *
 * @public
 */
export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort';
/**
 * Filters and paging of `listPlans`.
 *
 * @public
 */
export type ListPlansQuery = NonNullable<
  operations['listPlans']['parameters']['query']
>;

/**
 * The policy document with its version (GET/PUT /v1/policies).
 *
 * @public
 */
export type ApiPolicyDocument = components['schemas']['PolicyDocument'];
/**
 * One stored version of the policy document, who saved it and when.
 *
 * @public
 */
export type ApiPolicyVersion =
  operations['getPolicyHistory']['responses']['200']['content']['application/json']['items'][number];
/**
 * The verdicts a plan would get now (POST /v1/policies/evaluate).
 *
 * @public
 */
export type ApiPolicyEvaluation = components['schemas']['PolicyEvaluation'];
/**
 * A stored change-freeze window, one-off or recurring.
 *
 * @public
 */
export type ApiFreezeWindow = components['schemas']['FreezeWindow'];
/**
 * A new change-freeze window, as POST /v1/freeze-windows takes it.
 *
 * @public
 */
export type ApiFreezeWindowInput = components['schemas']['FreezeWindowInput'];
/**
 * Every freeze interval in a period, recurrences resolved (GET /v1/freeze-calendar).
 *
 * @public
 */
export type ApiFreezeCalendar =
  operations['getFreezeCalendar']['responses']['200']['content']['application/json'];
/**
 * A break-glass override lifting freezes in a scope until it expires.
 *
 * @public
 */
export type ApiFreezeOverride = components['schemas']['FreezeOverride'];
/**
 * Who holds which Sentinel role (GET/PUT /v1/rbac/bindings).
 *
 * @public
 */
export type ApiRoleBindings =
  operations['getRoleBindings']['responses']['200']['content']['application/json'];
/**
 * A change of the role bindings: the version read, the new roles and why.
 *
 * @public
 */
export type ApiRoleBindingsInput = NonNullable<
  operations['putRoleBindings']['requestBody']
>['content']['application/json'];
/**
 * One entry of the audit trail.
 *
 * @public
 */
export type ApiAuditEvent =
  operations['listAuditEvents']['responses']['200']['content']['application/json']['items'][number];
/**
 * Filters and paging of `listAuditEvents`.
 *
 * @public
 */
export type ListAuditQuery = NonNullable<
  operations['listAuditEvents']['parameters']['query']
>;

/**
 * A page of items and the cursor of the next one (null on the last page).
 *
 * @public
 */
export interface Page<T> {
  /** The items of this page. */
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Everything a Sentinel frontend does with the backend; `SentinelClient` implements it over
 * HTTP, tests and other frontends may bring their own.
 *
 * @public
 */
export interface SentinelApi {
  /**
   * Submits an action plan; the pipeline runs asynchronously. A repeated submission with the
   * same idempotency key and body returns the plan submitted first.
   */
  submitPlan(
    plan: ApiPlanSubmission,
    options?: { idempotencyKey?: string },
  ): Promise<ApiPlan>;
  /** Reads one plan, with its decisions and timeline. */
  getPlan(id: string): Promise<ApiPlan>;
  /** Lists plans, newest first. */
  listPlans(query?: ListPlansQuery): Promise<Page<ApiPlan>>;
  /** Approves a plan that waits for a person, and returns the plan after the change. */
  approvePlan(id: string, comment?: string): Promise<ApiPlan>;
  /**
   * Rejects a plan that waits for a person, saying why, and returns the plan after the change.
   */
  rejectPlan(id: string, comment: string): Promise<ApiPlan>;
  /** Cancels a plan that has not finished, rolling back what it applied. */
  cancelPlan(id: string): Promise<ApiPlan>;
  /** Whether changes in a scope are frozen now, by which window, and the next window. */
  freezeStatus(query: {
    cluster?: string;
    namespace?: string;
    entityRef?: string;
  }): Promise<ApiFreezeStatus>;
  /** Lists managed workloads with their live state, rollout and health. */
  listWorkloads(query?: ListWorkloadsQuery): Promise<Page<ApiWorkload>>;
  /** Lists canary and blue/green rollouts, newest first. */
  listRollouts(query?: ListRolloutsQuery): Promise<Page<ApiRollout>>;
  /** Reads one rollout with its timeline and every analyzed interval. */
  getRollout(id: string): Promise<ApiRolloutDetail>;
  /** Pauses, resumes, promotes (to the next step) or aborts a rollout. */
  actOnRollout(
    id: string,
    action: RolloutAction,
    reason?: string,
  ): Promise<ApiRollout>;
  /** Breaks glass: lifts freeze windows in a scope for a while, with a reason on record. */
  breakGlass(input: {
    scope: { cluster?: string; namespace?: string; entityRef?: string };
    reason: string;
    durationMinutes: number;
  }): Promise<ApiFreezeOverride>;
  /** Lists the break-glass overrides in force, newest first. */
  listFreezeOverrides(): Promise<{ items: ApiFreezeOverride[] }>;
  /** Freeze intervals from `from` (default now) to `to` (default 28 days later). */
  freezeCalendar(query?: {
    from?: string;
    to?: string;
  }): Promise<ApiFreezeCalendar>;
  /** Rolls a workload back to its state before the last applied change, as a new plan. */
  rollbackWorkload(workload: WorkloadRef, reason: string): Promise<ApiPlan>;
  /** Reads the policy document in force, with its version. */
  getPolicy(): Promise<ApiPolicyDocument>;
  /** Replaces the policy document; 409 when `document.version` is no longer the newest. */
  replacePolicy(document: ApiPolicyDocument): Promise<ApiPolicyDocument>;
  /** Lists stored versions of the policy document, newest first. */
  policyHistory(limit?: number): Promise<{ items: ApiPolicyVersion[] }>;
  /** The verdicts a submission of `plan` would get now; nothing is stored. */
  evaluatePolicy(plan: ApiPlanSubmission): Promise<ApiPolicyEvaluation>;
  /** The verdicts `plan` would get under `policy`, a draft not yet saved. */
  dryRunPolicy(
    policy: ApiPolicyDocument,
    plan: ApiPlanSubmission,
  ): Promise<ApiPolicyEvaluation>;
  /** Lists every change-freeze window. */
  listFreezeWindows(): Promise<{ items: ApiFreezeWindow[] }>;
  /** Creates a change-freeze window and returns it as stored. */
  createFreezeWindow(window: ApiFreezeWindowInput): Promise<ApiFreezeWindow>;
  /** Deletes a change-freeze window. */
  deleteFreezeWindow(id: string): Promise<void>;
  /** Reads who holds which Sentinel role: the version in force. */
  getRoleBindings(): Promise<ApiRoleBindings>;
  /**
   * Saves a new version of the role bindings; 409 when `bindings.version` is no longer the
   * newest, 400 when no admin would remain.
   */
  putRoleBindings(bindings: ApiRoleBindingsInput): Promise<ApiRoleBindings>;
  /** Queries the audit trail, newest first. */
  listAuditEvents(query?: ListAuditQuery): Promise<Page<ApiAuditEvent>>;
}

/**
 * How `SentinelClient` reaches the Sentinel backend.
 *
 * @public
 */
export interface SentinelClientOptions {
  /** The base URL of the Sentinel backend, e.g. from `discoveryApi.getBaseUrl('sentinel')`. */
  baseUrl: string | (() => Promise<string>);
  /** The fetch to use; Backstage's `fetchApi.fetch` adds the user's token. */
  fetch?: typeof fetch;
  /** A static token (the optimizer's), sent as a bearer token. */
  token?: string;
}

/**
 * A typed client of Sentinel's HTTP API, generated from its OpenAPI document. Errors are
 * thrown as Backstage `ResponseError`s carrying the server's error body.
 *
 * @public
 */
export class SentinelClient implements SentinelApi {
  readonly #options: SentinelClientOptions;

  constructor(options: SentinelClientOptions) {
    this.#options = options;
  }

  async #client() {
    const { baseUrl, fetch: customFetch, token } = this.#options;
    return createClient<paths>({
      baseUrl: typeof baseUrl === 'string' ? baseUrl : await baseUrl(),
      fetch: customFetch
        ? async (request: Request) =>
            customFetch(...(await plainRequest(request)))
        : undefined,
      headers: token ? { Authorization: `Bearer ${token}` } : undefined,
    });
  }

  /** {@inheritDoc SentinelApi.submitPlan} */
  async submitPlan(
    plan: ApiPlanSubmission,
    options: { idempotencyKey?: string } = {},
  ): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans', {
        body: plan,
        params: {
          header: options.idempotencyKey
            ? { 'Idempotency-Key': options.idempotencyKey }
            : {},
        },
      }),
    );
  }

  /** {@inheritDoc SentinelApi.getPlan} */
  async getPlan(id: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/action-plans/{id}', { params: { path: { id } } }),
    );
  }

  /** {@inheritDoc SentinelApi.listPlans} */
  async listPlans(
    query: ListPlansQuery = {},
  ): Promise<{ items: ApiPlan[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/action-plans', { params: { query } }),
    );
  }

  /** {@inheritDoc SentinelApi.approvePlan} */
  async approvePlan(id: string, comment?: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/approve', {
        params: { path: { id } },
        body: comment ? { comment } : {},
      }),
    );
  }

  /** {@inheritDoc SentinelApi.rejectPlan} */
  async rejectPlan(id: string, comment: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/reject', {
        params: { path: { id } },
        body: { comment },
      }),
    );
  }

  /** {@inheritDoc SentinelApi.cancelPlan} */
  async cancelPlan(id: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/cancel', {
        params: { path: { id } },
      }),
    );
  }

  /** {@inheritDoc SentinelApi.freezeStatus} */
  async freezeStatus(query: {
    cluster?: string;
    namespace?: string;
    entityRef?: string;
  }): Promise<ApiFreezeStatus> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/freeze-status', { params: { query } }),
    );
  }

  /** {@inheritDoc SentinelApi.listWorkloads} */
  async listWorkloads(
    query: ListWorkloadsQuery = {},
  ): Promise<{ items: ApiWorkload[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/workloads', { params: { query } }),
    );
  }

  /** {@inheritDoc SentinelApi.listRollouts} */
  async listRollouts(
    query: ListRolloutsQuery = {},
  ): Promise<{ items: ApiRollout[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/rollouts', { params: { query } }),
    );
  }

  /** {@inheritDoc SentinelApi.getRollout} */
  async getRollout(id: string): Promise<ApiRolloutDetail> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/rollouts/{id}', { params: { path: { id } } }),
    );
  }

  /** Pauses, resumes, promotes (to the next step) or aborts a rollout; 202 with it. */
  async actOnRollout(
    id: string,
    action: RolloutAction,
    reason?: string,
  ): Promise<ApiRollout> {
    const client = await this.#client();
    const options = {
      params: { path: { id } },
      body: reason ? { reason } : {},
    };
    const paths = {
      pause: '/v1/rollouts/{id}/pause',
      resume: '/v1/rollouts/{id}/resume',
      promote: '/v1/rollouts/{id}/promote',
      abort: '/v1/rollouts/{id}/abort',
    } as const;
    const result = await client.POST(paths[action], options);
    return await unwrap(result);
  }

  /** Break glass: lifts freeze windows in a scope for a while, with a reason on record. */
  async breakGlass(input: {
    scope: { cluster?: string; namespace?: string; entityRef?: string };
    reason: string;
    durationMinutes: number;
  }) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/freeze-overrides', { body: input }),
    );
  }

  /** {@inheritDoc SentinelApi.listFreezeOverrides} */
  async listFreezeOverrides() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/freeze-overrides'));
  }

  /** {@inheritDoc SentinelApi.freezeCalendar} */
  async freezeCalendar(query: { from?: string; to?: string } = {}) {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/freeze-calendar', { params: { query } }),
    );
  }

  /** {@inheritDoc SentinelApi.getPolicy} */
  async getPolicy() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/policies'));
  }

  /** {@inheritDoc SentinelApi.replacePolicy} */
  async replacePolicy(document: ApiPolicyDocument) {
    const client = await this.#client();
    return await unwrap(await client.PUT('/v1/policies', { body: document }));
  }

  /** {@inheritDoc SentinelApi.policyHistory} */
  async policyHistory(limit?: number) {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/policies/history', {
        params: { query: limit ? { limit } : {} },
      }),
    );
  }

  /** {@inheritDoc SentinelApi.evaluatePolicy} */
  async evaluatePolicy(plan: ApiPlanSubmission) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/policies/evaluate', { body: plan }),
    );
  }

  /** {@inheritDoc SentinelApi.dryRunPolicy} */
  async dryRunPolicy(policy: ApiPolicyDocument, plan: ApiPlanSubmission) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/policies/dry-run', { body: { policy, plan } }),
    );
  }

  /** {@inheritDoc SentinelApi.listFreezeWindows} */
  async listFreezeWindows() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/freeze-windows'));
  }

  /** {@inheritDoc SentinelApi.createFreezeWindow} */
  async createFreezeWindow(window: ApiFreezeWindowInput) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/freeze-windows', { body: window }),
    );
  }

  /** {@inheritDoc SentinelApi.deleteFreezeWindow} */
  async deleteFreezeWindow(id: string): Promise<void> {
    const client = await this.#client();
    const result = await client.DELETE('/v1/freeze-windows/{id}', {
      params: { path: { id } },
    });
    if (!result.response.ok) await unwrap(result);
  }

  /** {@inheritDoc SentinelApi.getRoleBindings} */
  async getRoleBindings() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/rbac/bindings'));
  }

  /** {@inheritDoc SentinelApi.putRoleBindings} */
  async putRoleBindings(bindings: ApiRoleBindingsInput) {
    const client = await this.#client();
    return await unwrap(
      await client.PUT('/v1/rbac/bindings', { body: bindings }),
    );
  }

  /** {@inheritDoc SentinelApi.listAuditEvents} */
  async listAuditEvents(query: ListAuditQuery = {}) {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/audit', { params: { query } }));
  }

  /** {@inheritDoc SentinelApi.rollbackWorkload} */
  async rollbackWorkload(
    workload: WorkloadRef,
    reason: string,
  ): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST(
        '/v1/workloads/{cluster}/{namespace}/{kind}/{name}/rollback',
        { params: { path: { ...workload } }, body: { reason } },
      ),
    );
  }
}

/**
 * A Request as a URL and init with the body read into a string. Backstage's fetchApi builds new
 * Requests from what it is given, in each of its middlewares; a Request whose body is a
 * stream can be built on only once ("Cannot construct a Request with a Request object that has
 * already been used"), so every POST from the browser failed.
 *
 * @public
 */
export async function plainRequest(
  request: Request,
): Promise<[string, RequestInit]> {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  return [
    request.url,
    {
      method: request.method,
      headers: request.headers,
      body: hasBody ? await request.text() : undefined,
      signal: request.signal,
    },
  ];
}

async function unwrap<T>(result: {
  data?: T;
  error?: unknown;
  response: Response;
}): Promise<T> {
  const r = result.response;
  if (r.ok && result.data !== undefined) {
    return result.data;
  }
  // openapi-fetch has read the body already; hand Backstage the text it parsed.
  throw await ResponseError.fromResponse({
    headers: r.headers,
    ok: r.ok,
    redirected: r.redirected,
    status: r.status,
    statusText: r.statusText,
    type: r.type,
    url: r.url,
    text: async () =>
      typeof result.error === 'string'
        ? result.error
        : JSON.stringify(result.error ?? ''),
  });
}
