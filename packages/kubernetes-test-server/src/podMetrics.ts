/**
 * Synthetic application metrics for the test server's pods, in Prometheus's text format, so
 * that a real Prometheus can scrape the simulated cluster and canary analysis has something
 * to judge. Each ready pod serves a steady stream of requests; its image decides how well:
 *
 * - an image ending in `-errors` answers about 20 % of requests with a 500;
 * - an image ending in `-slow` answers 2 % of requests in over a second (p99 about 2 s);
 * - an image ending in `-broken` never gets ready and serves nothing;
 * - any other image answers everything with a 200 within 50 ms.
 *
 * Counters are a pure function of how long the pod has been ready, so a scrape needs no
 * timers and two scrapes of one pod always agree.
 */

/**
 * Requests each ready pod serves per second.
 *
 * @public
 */
export const REQUESTS_PER_SECOND = 10;

/** Upper bounds of the latency histogram's buckets, in seconds. */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** The share of requests at or under each bucket bound, per image behaviour. */
const LATENCY: Record<Behaviour, number[]> = {
  normal: [0.995, 1, 1, 1, 1, 1, 1],
  errors: [0.995, 1, 1, 1, 1, 1, 1],
  slow: [0.5, 0.9, 0.95, 0.97, 0.98, 1, 1],
};

const ERROR_SHARE: Record<Behaviour, number> = {
  normal: 0,
  errors: 0.2,
  slow: 0,
};

type Behaviour = 'normal' | 'errors' | 'slow';

/**
 * A pod that serves traffic, as the test server's metrics endpoint counts it.
 *
 * @public
 */
export interface ServingPod {
  /** The pod's namespace. */
  namespace: string;
  /** The pod's name. */
  name: string;
  /** The Deployment or StatefulSet that owns it. */
  workload: string;
  /** Its containers' images; an image ending in `-errors` or `-slow` makes it misbehave. */
  images: string[];
  /** When it became ready (ms since the epoch); pods that are not ready serve nothing. */
  readySince: number;
}

export function behaviourOf(images: string[]): Behaviour {
  if (images.some(i => i.endsWith('-errors'))) return 'errors';
  if (images.some(i => i.endsWith('-slow'))) return 'slow';
  return 'normal';
}

function labels(values: Record<string, string>): string {
  const pairs = Object.entries(values).map(
    ([key, value]) =>
      `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  );
  return `{${pairs.join(',')}}`;
}

/**
 * The exposition of every serving pod's counters at `now`.
 *
 * @public
 */
export function renderPodMetrics(pods: ServingPod[], now: number): string {
  const requests: string[] = [];
  const buckets: string[] = [];
  for (const pod of pods) {
    const seconds = Math.max(0, (now - pod.readySince) / 1000);
    // Counters may be fractional: rates over any window come out exact.
    const total = seconds * REQUESTS_PER_SECOND;
    const behaviour = behaviourOf(pod.images);
    const errors = total * ERROR_SHARE[behaviour];
    const base = {
      namespace: pod.namespace,
      pod: pod.name,
      workload: pod.workload,
    };
    requests.push(
      `http_requests_total${labels({ ...base, code: '200' })} ${
        total - errors
      }`,
      `http_requests_total${labels({ ...base, code: '500' })} ${errors}`,
    );
    BUCKETS.forEach((le, i) => {
      buckets.push(
        `http_request_duration_seconds_bucket${labels({
          ...base,
          le: String(le),
        })} ${total * LATENCY[behaviour][i]}`,
      );
    });
    buckets.push(
      `http_request_duration_seconds_bucket${labels({
        ...base,
        le: '+Inf',
      })} ${total}`,
      `http_request_duration_seconds_count${labels(base)} ${total}`,
    );
  }
  return [
    '# HELP http_requests_total Requests served by the pod, by status code.',
    '# TYPE http_requests_total counter',
    ...requests,
    '# HELP http_request_duration_seconds How long the pod took to answer.',
    '# TYPE http_request_duration_seconds histogram',
    ...buckets,
    '',
  ].join('\n');
}
