import { ConfigReader } from '@backstage/config';
import { request } from 'node:http';
import { readTlsServerConfig } from './config';
import { startTlsBackend } from './__testUtils__/tlsBackend';

function get(port: number, path: string) {
  return new Promise<{
    status: number;
    headers: Record<string, unknown>;
    body: string;
  }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', chunk => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe("Sentinel's root HTTP router without sentinel.tls (the embedded default)", () => {
  let started: Awaited<ReturnType<typeof startTlsBackend>>;
  beforeAll(async () => {
    started = await startTlsBackend({});
  });
  afterAll(() => started?.backend.stop());

  it("serves plain HTTP on backend.listen with backend-defaults' health, middleware and error bodies", async () => {
    expect(
      await get(started.port, '/.backstage/health/v1/liveness'),
    ).toMatchObject({
      status: 200,
    });
    const unauthenticated = await get(started.port, '/api/whoami');
    expect(unauthenticated.status).toBe(401);
    expect(JSON.parse(unauthenticated.body).error.name).toBe(
      'AuthenticationError',
    );
    // helmet
    expect(unauthenticated.headers['x-content-type-options']).toBe('nosniff');
    expect(unauthenticated.headers['content-security-policy']).toBeDefined();
    const missing = await get(started.port, '/api/nothing-here');
    expect(missing.status).toBe(404);
  });

  it('opens no other listener', async () => {
    await expect(
      get(started.healthPort, '/.backstage/health/v1/liveness'),
    ).rejects.toThrow(/ECONNREFUSED/);
    await expect(get(started.internalPort, '/api/whoami')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe('sentinel.tls config', () => {
  const read = (data: object) => readTlsServerConfig(new ConfigReader(data));
  const files = {
    certFile: 'server.crt',
    keyFile: 'server.key',
    caFile: 'ca.crt',
  };

  it('is off without sentinel.tls', () => {
    expect(read({ backend: { https: true } })).toBeUndefined();
  });

  it('requires client certificates by default, resolves paths, debounces 500 ms', () => {
    expect(read({ sentinel: { tls: files } })).toEqual({
      files: {
        certFile: `${process.cwd()}/server.crt`,
        keyFile: `${process.cwd()}/server.key`,
        caFile: `${process.cwd()}/ca.crt`,
        crlFile: undefined,
      },
      requireClientCertificate: true,
      reloadDebounceMs: 500,
      healthListen: undefined,
      internalListen: undefined,
    });
  });

  it.each([
    [
      'with backend.https',
      { backend: { https: true }, sentinel: { tls: files } },
      /backend.https and sentinel.tls are both set/,
    ],
    [
      'requiring client certificates without a CA',
      { sentinel: { tls: { certFile: 'a', keyFile: 'b' } } },
      /caFile is required/,
    ],
    [
      'serving the whole API in plain HTTP beyond loopback',
      {
        sentinel: {
          tls: { ...files, internalListen: { host: '0.0.0.0', port: 7009 } },
        },
      },
      /internalListen.host must be a loopback address/,
    ],
  ])('refuses to start %s', (_, data, message) => {
    expect(() => read(data)).toThrow(message);
  });
});
