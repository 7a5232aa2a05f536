import { metricsEndpointSettings } from './metricsEndpoint';

describe('metricsEndpointSettings', () => {
  it('listens on 0.0.0.0:9464/metrics unless told otherwise', () => {
    expect(metricsEndpointSettings({})).toEqual({
      host: '0.0.0.0',
      port: 9464,
      path: '/metrics',
    });
    expect(
      metricsEndpointSettings({
        SENTINEL_METRICS_PORT: '9100',
        SENTINEL_METRICS_HOST: '127.0.0.1',
        SENTINEL_METRICS_PATH: '/internal/metrics',
      }),
    ).toEqual({ host: '127.0.0.1', port: 9100, path: '/internal/metrics' });
  });

  it('turns the endpoint off with port 0', () => {
    expect(metricsEndpointSettings({ SENTINEL_METRICS_PORT: '0' })).toBe(
      undefined,
    );
  });

  it('refuses a setting that makes no sense, naming the variable', () => {
    expect(() =>
      metricsEndpointSettings({ SENTINEL_METRICS_PORT: 'ninety' }),
    ).toThrow(/SENTINEL_METRICS_PORT must be a port number/);
    expect(() =>
      metricsEndpointSettings({ SENTINEL_METRICS_PORT: '70000' }),
    ).toThrow(/SENTINEL_METRICS_PORT/);
    expect(() =>
      metricsEndpointSettings({ SENTINEL_METRICS_PATH: 'metrics' }),
    ).toThrow(/SENTINEL_METRICS_PATH must be a path starting with "\/"/);
  });
});
