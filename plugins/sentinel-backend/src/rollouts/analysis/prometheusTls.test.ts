import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import {
  startPrometheus,
  TestPki,
  type PrometheusProcess,
} from '@internal/kubernetes-test-server';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { PrometheusClient } from './PrometheusClient';
import { readPrometheusAccess } from './prometheusAccess';

jest.setTimeout(60_000);

// Canary analysis against a real Prometheus that serves HTTPS only and asks every request for
// basic auth (--web.config.file), configured as sentinel.prometheus is in production.
describe('canary analysis against Prometheus over HTTPS with basic auth', () => {
  const pki = new TestPki();
  const ca = pki.ca('prometheus-ca');
  const otherCa = pki.ca('someone-elses-ca');
  const password = randomBytes(16).toString('hex');
  const passwordFile = pki.path('secrets', 'prometheus-password');
  let prometheus: PrometheusProcess;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      targets: [],
      web: {
        tls: ca.issue('localhost', {
          usage: 'server',
          subjectAltNames: ['DNS:localhost'],
        }),
        basicAuth: { username: 'sentinel', password },
      },
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    pki.remove();
  });

  /** The client canary analysis builds from sentinel.prometheus. */
  function client(prometheusConfig: JsonObject) {
    const config = new ConfigReader({
      sentinel: {
        prometheus: { baseUrl: prometheus.url, ...prometheusConfig },
      },
    });
    return new PrometheusClient({
      ...readPrometheusAccess(config),
      baseUrl: prometheus.url,
      timeoutMs: 5_000,
    });
  }

  it('answers a check, verifying the server by the CA file and signing in with the password file', async () => {
    writeFileSync(passwordFile, `${password}\n`);
    const analysis = client({
      tls: { caFile: ca.certFile },
      basicAuth: { username: 'sentinel', passwordFile },
    });
    await expect(analysis.query('vector(1)')).resolves.toEqual({
      kind: 'value',
      value: 1,
    });
  });

  it('reports Prometheus unavailable, naming the 401, without credentials or with a wrong password', async () => {
    writeFileSync(passwordFile, 'not-the-password');
    for (const analysis of [
      client({ tls: { caFile: ca.certFile } }),
      client({
        tls: { caFile: ca.certFile },
        basicAuth: { username: 'sentinel', passwordFile },
      }),
    ]) {
      await expect(analysis.query('vector(1)')).resolves.toEqual({
        kind: 'unavailable',
        reason: `Prometheus at ${prometheus.url} answered 401 Unauthorized (check sentinel.prometheus.basicAuth)`,
      });
    }
  });

  it('takes a rotated password file at the next query', async () => {
    const analysis = client({
      tls: { caFile: ca.certFile },
      basicAuth: { username: 'sentinel', passwordFile },
    });
    writeFileSync(passwordFile, 'not-the-password');
    expect((await analysis.query('vector(1)')).kind).toBe('unavailable');
    writeFileSync(passwordFile, password);
    expect(await analysis.query('vector(1)')).toEqual({
      kind: 'value',
      value: 1,
    });
  });

  it('refuses a server whose certificate another CA signed', async () => {
    writeFileSync(passwordFile, password);
    const outcome = await client({
      tls: { caFile: otherCa.certFile },
      basicAuth: { username: 'sentinel', passwordFile },
    }).query('vector(1)');
    expect(outcome).toEqual({
      kind: 'unavailable',
      reason: expect.stringMatching(/unable to verify the first certificate/),
    });
  });

  it('refuses at start a CA file with an http:// URL, or a file it cannot read, naming the key', () => {
    const read = (prometheusConfig: JsonObject) => () =>
      readPrometheusAccess(
        new ConfigReader({ sentinel: { prometheus: prometheusConfig } }),
      );
    expect(
      read({
        baseUrl: 'http://prometheus:9090',
        tls: { caFile: ca.certFile },
      }),
    ).toThrow(
      'sentinel.prometheus.tls.caFile is set but sentinel.prometheus.baseUrl is not https://',
    );
    expect(
      read({
        baseUrl: prometheus.url,
        basicAuth: { username: 'sentinel', passwordFile: '/nonexistent' },
      }),
    ).toThrow(
      /^sentinel\.prometheus\.basicAuth\.passwordFile: cannot read \/nonexistent/,
    );
  });
});
