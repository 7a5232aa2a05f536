/** Where the Prometheus scrape endpoint listens (docs/observability.md), from the environment. */
export interface MetricsEndpointSettings {
  host: string;
  port: number;
  path: string;
}

/**
 * Environment variables rather than app-config: the endpoint must exist before the backend
 * loads its config. A value that makes no sense stops the backend with the variable's name,
 * rather than leaving a fleet unscraped without anyone noticing.
 */
export function metricsEndpointSettings(
  env: Record<string, string | undefined>,
): MetricsEndpointSettings | undefined {
  const portText = env.SENTINEL_METRICS_PORT?.trim() || '9464';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
    throw new Error(
      `SENTINEL_METRICS_PORT must be a port number from 0 to 65535 (0 turns the metrics endpoint off), not "${portText}"`,
    );
  }
  const port = Number(portText);
  if (port === 0) return undefined;
  const path = env.SENTINEL_METRICS_PATH?.trim() || '/metrics';
  if (!path.startsWith('/') || /[\s?#]/.test(path)) {
    throw new Error(
      `SENTINEL_METRICS_PATH must be a path starting with "/", without spaces, "?" or "#", not "${path}"`,
    );
  }
  const host = env.SENTINEL_METRICS_HOST?.trim() || '0.0.0.0';
  return { host, port, path };
}
