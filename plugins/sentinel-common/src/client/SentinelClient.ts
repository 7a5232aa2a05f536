/* eslint-disable new-cap -- openapi-fetch names its methods after HTTP verbs (client.GET) */
import { ResponseError } from '@backstage/errors';
import createClient from 'openapi-fetch';
import type { WorkloadRef } from '../annotations';
import type { components, operations, paths } from '../generated/openapi';

/** A plan as the API returns it (generated from openapi.yaml). */
export type ApiPlan = components['schemas']['Plan'];
/** A plan submission as the API takes it (generated from openapi.yaml). */
export type ApiPlanSubmission = components['schemas']['PlanSubmission'];
/** Whether changes are frozen now, by which window, and the next window. */
export type ApiFreezeStatus =
  operations['getFreezeStatus']['responses']['200']['content']['application/json'];
/** A managed workload with its live state, rollout and health (GET /v1/workloads). */
export type ApiWorkload =
  operations['listWorkloads']['responses']['200']['content']['application/json']['items'][number];
/** Filters and paging of `listWorkloads`. */
export type ListWorkloadsQuery = NonNullable<
  operations['listWorkloads']['parameters']['query']
>;
/** A canary or blue/green rollout (GET /v1/rollouts). */
export type ApiRollout =
  operations['listRollouts']['responses']['200']['content']['application/json']['items'][number];
/** A rollout with its timeline and every analyzed interval (GET /v1/rollouts/{id}). */
export type ApiRolloutDetail =
  operations['getRollout']['responses']['200']['content']['application/json'];
/** Filters and paging of `listRollouts`. */
export type ListRolloutsQuery = NonNullable<
  operations['listRollouts']['parameters']['query']
>;
/** What a person can do to a rollout. */
export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort';
/** Filters and paging of `listPlans`. */
export type ListPlansQuery = NonNullable<
  operations['listPlans']['parameters']['query']
>;

/** The policy document with its version (GET/PUT /v1/policies). */
export type ApiPolicyDocument = components['schemas']['PolicyDocument'];
/** One stored version of the policy document, who saved it and when. */
export type ApiPolicyVersion =
  operations['getPolicyHistory']['responses']['200']['content']['application/json']['items'][number];
/** The verdicts a plan would get now (POST /v1/policies/evaluate). */
export type ApiPolicyEvaluation = components['schemas']['PolicyEvaluation'];
/** A stored change-freeze window, one-off or recurring. */
export type ApiFreezeWindow = components['schemas']['FreezeWindow'];
/** A new change-freeze window, as POST /v1/freeze-windows takes it. */
export type ApiFreezeWindowInput = components['schemas']['FreezeWindowInput'];
/** Every freeze interval in a period, recurrences resolved (GET /v1/freeze-calendar). */
export type ApiFreezeCalendar =
  operations['getFreezeCalendar']['responses']['200']['content']['application/json'];
/** A break-glass override lifting freezes in a scope until it expires. */
export type ApiFreezeOverride = components['schemas']['FreezeOverride'];
/** Who holds which Sentinel role (GET/PUT /v1/rbac/bindings). */
export type ApiRoleBindings =
  operations['getRoleBindings']['responses']['200']['content']['application/json'];
/** A change of the role bindings: the version read, the new roles and why. */
export type ApiRoleBindingsInput = NonNullable<
  operations['putRoleBindings']['requestBody']
>['content']['application/json'];
/** One entry of the audit trail. */
export type ApiAuditEvent =
  operations['listAuditEvents']['responses']['200']['content']['application/json']['items'][number];
/** Filters and paging of `listAuditEvents`. */
export type ListAuditQuery = NonNullable<
  operations['listAuditEvents']['parameters']['query']
>;

/** A page of items and the cursor of the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Everything a Sentinel frontend does with the backend; `SentinelClient` implements it over
 * HTTP, tests and other frontends may bring their own.
 */
export interface SentinelApi {
  submitPlan(
    plan: ApiPlanSubmission,
    options?: { idempotencyKey?: string },
  ): Promise<ApiPlan>;
  getPlan(id: string): Promise<ApiPlan>;
  listPlans(query?: ListPlansQuery): Promise<Page<ApiPlan>>;
  approvePlan(id: string, comment?: string): Promise<ApiPlan>;
  rejectPlan(id: string, comment: string): Promise<ApiPlan>;
  cancelPlan(id: string): Promise<ApiPlan>;
  freezeStatus(query: {
    cluster?: string;
    namespace?: string;
    entityRef?: string;
  }): Promise<ApiFreezeStatus>;
  listWorkloads(query?: ListWorkloadsQuery): Promise<Page<ApiWorkload>>;
  listRollouts(query?: ListRolloutsQuery): Promise<Page<ApiRollout>>;
  getRollout(id: string): Promise<ApiRolloutDetail>;
  actOnRollout(
    id: string,
    action: RolloutAction,
    reason?: string,
  ): Promise<ApiRollout>;
  breakGlass(input: {
    scope: { cluster?: string; namespace?: string; entityRef?: string };
    reason: string;
    durationMinutes: number;
  }): Promise<ApiFreezeOverride>;
  listFreezeOverrides(): Promise<{ items: ApiFreezeOverride[] }>;
  /** Freeze intervals from `from` (default now) to `to` (default 28 days later). */
  freezeCalendar(query?: {
    from?: string;
    to?: string;
  }): Promise<ApiFreezeCalendar>;
  rollbackWorkload(workload: WorkloadRef, reason: string): Promise<ApiPlan>;
  getPolicy(): Promise<ApiPolicyDocument>;
  /** 409 when `document.version` is no longer the newest. */
  replacePolicy(document: ApiPolicyDocument): Promise<ApiPolicyDocument>;
  policyHistory(limit?: number): Promise<{ items: ApiPolicyVersion[] }>;
  evaluatePolicy(plan: ApiPlanSubmission): Promise<ApiPolicyEvaluation>;
  /** The verdicts `plan` would get under `policy`, a draft not yet saved. */
  dryRunPolicy(
    policy: ApiPolicyDocument,
    plan: ApiPlanSubmission,
  ): Promise<ApiPolicyEvaluation>;
  listFreezeWindows(): Promise<{ items: ApiFreezeWindow[] }>;
  createFreezeWindow(window: ApiFreezeWindowInput): Promise<ApiFreezeWindow>;
  deleteFreezeWindow(id: string): Promise<void>;
  getRoleBindings(): Promise<ApiRoleBindings>;
  /** 409 when `bindings.version` is no longer the newest; 400 when no admin would remain. */
  putRoleBindings(bindings: ApiRoleBindingsInput): Promise<ApiRoleBindings>;
  listAuditEvents(query?: ListAuditQuery): Promise<Page<ApiAuditEvent>>;
}

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

  async getPlan(id: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/action-plans/{id}', { params: { path: { id } } }),
    );
  }

  async listPlans(
    query: ListPlansQuery = {},
  ): Promise<{ items: ApiPlan[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/action-plans', { params: { query } }),
    );
  }

  async approvePlan(id: string, comment?: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/approve', {
        params: { path: { id } },
        body: comment ? { comment } : {},
      }),
    );
  }

  async rejectPlan(id: string, comment: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/reject', {
        params: { path: { id } },
        body: { comment },
      }),
    );
  }

  async cancelPlan(id: string): Promise<ApiPlan> {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/action-plans/{id}/cancel', {
        params: { path: { id } },
      }),
    );
  }

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

  async listWorkloads(
    query: ListWorkloadsQuery = {},
  ): Promise<{ items: ApiWorkload[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/workloads', { params: { query } }),
    );
  }

  async listRollouts(
    query: ListRolloutsQuery = {},
  ): Promise<{ items: ApiRollout[]; nextCursor: string | null }> {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/rollouts', { params: { query } }),
    );
  }

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

  async listFreezeOverrides() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/freeze-overrides'));
  }

  async freezeCalendar(query: { from?: string; to?: string } = {}) {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/freeze-calendar', { params: { query } }),
    );
  }

  async getPolicy() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/policies'));
  }

  async replacePolicy(document: ApiPolicyDocument) {
    const client = await this.#client();
    return await unwrap(await client.PUT('/v1/policies', { body: document }));
  }

  async policyHistory(limit?: number) {
    const client = await this.#client();
    return await unwrap(
      await client.GET('/v1/policies/history', {
        params: { query: limit ? { limit } : {} },
      }),
    );
  }

  async evaluatePolicy(plan: ApiPlanSubmission) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/policies/evaluate', { body: plan }),
    );
  }

  async dryRunPolicy(policy: ApiPolicyDocument, plan: ApiPlanSubmission) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/policies/dry-run', { body: { policy, plan } }),
    );
  }

  async listFreezeWindows() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/freeze-windows'));
  }

  async createFreezeWindow(window: ApiFreezeWindowInput) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/freeze-windows', { body: window }),
    );
  }

  async deleteFreezeWindow(id: string): Promise<void> {
    const client = await this.#client();
    const result = await client.DELETE('/v1/freeze-windows/{id}', {
      params: { path: { id } },
    });
    if (!result.response.ok) await unwrap(result);
  }

  async getRoleBindings() {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/rbac/bindings'));
  }

  async putRoleBindings(bindings: ApiRoleBindingsInput) {
    const client = await this.#client();
    return await unwrap(
      await client.PUT('/v1/rbac/bindings', { body: bindings }),
    );
  }

  async listAuditEvents(query: ListAuditQuery = {}) {
    const client = await this.#client();
    return await unwrap(await client.GET('/v1/audit', { params: { query } }));
  }

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
