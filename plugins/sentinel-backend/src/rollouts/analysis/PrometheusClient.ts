import { STATUS_CODES } from 'node:http';
import { metrics, type Counter } from '@opentelemetry/api';
import { fetch } from 'undici';
import { z } from 'zod';
import {
  PrometheusAccess,
  type PrometheusAccessOptions,
} from './prometheusAccess';

/**
 * What one PromQL check of a canary analysis found. Analysis never promotes blind: a query
 * that Prometheus could not answer, or that matched no series, is not a pass.
 */
export type QueryOutcome =
  | { kind: 'value'; value: number }
  /** Prometheus answered, but no series matched (no traffic yet, a wrong label). */
  | { kind: 'no_data' }
  /** Prometheus did not answer in time, or answered with an error. */
  | { kind: 'unavailable'; reason: string };

// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
const sample = z.tuple([z.number(), z.string()]);
const response = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(
          z.object({ metric: z.record(z.string(), z.string()), value: sample }),
        ),
      }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
    ]),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string(),
  }),
]);

export interface PrometheusClientOptions extends PrometheusAccessOptions {
  /** e.g. http://prometheus.monitoring:9090 */
  baseUrl: string;
  /** How long one query may take before it counts as unavailable. Default 5 s. */
  timeoutMs?: number;
}

let errorCounter: Counter | undefined;

/** Failed queries: Prometheus's HTTP status (400/422 for a query it refused), or `network`. */
function prometheusErrors(): Counter {
  if (!errorCounter) {
    errorCounter = metrics
      .getMeter('sentinel')
      .createCounter('sentinel_prometheus_errors_total', {
        description:
          'Failed Prometheus queries of canary analysis, by HTTP status or network',
      });
    // From 0 for an unreachable Prometheus, the failure that matters most: its first
    // occurrence after a start then shows as an increase.
    errorCounter.add(0, { code: 'network' });
  }
  return errorCounter;
}

/** Instant queries against Prometheus's HTTP API, reduced to one number per check. */
export class PrometheusClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #access: PrometheusAccess;

  constructor(options: PrometheusClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#access = new PrometheusAccess(options);
    prometheusErrors();
  }

  /**
   * The value of `promql` at `at` (now by default). A query that returns several series is
   * an error in the check, not a value: a canary check must aggregate to one number.
   */
  async query(promql: string, at?: Date): Promise<QueryOutcome> {
    const body = new URLSearchParams({ query: promql });
    if (at) body.set('time', String(at.getTime() / 1000));
    let json: unknown;
    try {
      const res = await fetch(`${this.#baseUrl}/api/v1/query`, {
        method: 'POST',
        body,
        headers: this.#access.headers(),
        dispatcher: this.#access.dispatcher(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // Prometheus answers a query error (400, 422, 503) with a JSON error body; anything
      // else not 2xx (401 from its web config or a proxy) is a refusal to name.
      if (!res.ok) prometheusErrors().add(1, { code: String(res.status) });
      if (!res.ok && ![400, 422, 503].includes(res.status)) {
        await res.body?.cancel();
        return {
          kind: 'unavailable',
          reason: `Prometheus at ${this.#baseUrl} answered ${res.status} ${
            res.statusText || STATUS_CODES[res.status]
          }${
            res.status === 401 || res.status === 403
              ? ' (check sentinel.prometheus.basicAuth)'
              : ''
          }`,
        };
      }
      json = await res.json();
    } catch (error) {
      prometheusErrors().add(1, { code: 'network' });
      return {
        kind: 'unavailable',
        reason: `Prometheus at ${this.#baseUrl} did not answer: ${describe(
          error,
        )}`,
      };
    }
    const parsed = response.safeParse(json);
    if (!parsed.success) {
      return {
        kind: 'unavailable',
        reason: `Prometheus at ${
          this.#baseUrl
        } answered something that is not a query result`,
      };
    }
    const result = parsed.data;
    if (result.status === 'error') {
      return {
        kind: 'unavailable',
        reason: `Prometheus refused the query: ${result.error}`,
      };
    }
    if (result.data.resultType === 'scalar') {
      return valueOf(result.data.result[1]);
    }
    const series = result.data.result;
    if (series.length === 0) return { kind: 'no_data' };
    if (series.length > 1) {
      return {
        kind: 'unavailable',
        reason: `the query returned ${series.length} series; aggregate it to one (e.g. sum(...))`,
      };
    }
    return valueOf(series[0].value[1]);
  }
}

function valueOf(text: string): QueryOutcome {
  const value = Number(text);
  // NaN: a ratio over no traffic (0/0) says nothing about health.
  return Number.isNaN(value) ? { kind: 'no_data' } : { kind: 'value', value };
}

/** fetch's error and its cause: "fetch failed" alone does not say a certificate was refused. */
function describe(error: unknown): string {
  const { message, cause } = (error ?? {}) as {
    message?: unknown;
    cause?: { message?: unknown };
  };
  if (typeof message !== 'string') return String(error);
  return typeof cause?.message === 'string'
    ? `${message}: ${cause.message}`
    : message;
}
