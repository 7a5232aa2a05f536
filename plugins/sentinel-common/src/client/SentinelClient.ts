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
export class SentinelClient {
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
    scope: { cluster?: string; namespace?: string };
    reason: string;
    durationMinutes: number;
  }) {
    const client = await this.#client();
    return await unwrap(
      await client.POST('/v1/freeze-overrides', { body: input }),
    );
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
