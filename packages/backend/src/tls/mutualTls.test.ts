import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { HEALTH_PATHS } from './createTlsHttpServer';
import { TestPki } from '@internal/kubernetes-test-server';
import { call, startTlsBackend } from './__testUtils__/tlsBackend';

const DAY = 86_400_000;

function plainHttp(port: number, path: string) {
  return new Promise<{ status: number; body: string } | { error: string }>(
    resolve => {
      const req = httpRequest({ host: '127.0.0.1', port, path }, res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ error: error.code ?? error.message }),
      );
      req.end();
    },
  );
}

describe('the HTTPS listener with client certificates required (sentinel.tls)', () => {
  const pki = new TestPki();
  const ca = pki.ca('sentinel-ca');
  const stranger = pki.ca('stranger-ca');
  const server = ca.issue('localhost', {
    usage: 'server',
    subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
  });
  const now = Date.now();
  const clients = {
    optimizer: ca.issue('inframind'),
    unknownCa: stranger.issue('inframind', { label: 'stranger' }),
    expired: ca.issue('inframind', {
      label: 'expired',
      notBefore: new Date(now - 2 * DAY),
      notAfter: new Date(now - DAY),
    }),
    notYetValid: ca.issue('inframind', {
      label: 'not-yet-valid',
      notBefore: new Date(now + DAY),
      notAfter: new Date(now + 2 * DAY),
    }),
    revoked: ca.issue('inframind', { label: 'revoked' }),
    revokedLater: ca.issue('inframind', { label: 'revoked-later' }),
  };
  ca.revoke(clients.revoked);
  const crlFile = pki.path('crl.pem');
  writeFileSync(crlFile, ca.crl());

  let started: Awaited<ReturnType<typeof startTlsBackend>>;
  beforeAll(async () => {
    started = await startTlsBackend({
      files: {
        certFile: server.certFile,
        keyFile: server.keyFile,
        caFile: ca.certFile,
        crlFile,
      },
      externalAccess: [
        {
          type: 'client-certificate',
          options: {
            certificate: 'CN=inframind',
            subject: 'external:inframind',
          },
        },
        {
          type: 'static',
          options: { token: 'ops-token-123', subject: 'external:sentinel-ops' },
        },
      ],
    });
  });
  afterAll(async () => {
    await started?.backend.stop();
    pki.remove();
  });

  it('answers a client whose certificate chains to the CA bundle, as the principal it maps to', async () => {
    const outcome = await call({
      port: started.port,
      path: '/api/whoami',
      ca: ca.cert,
      client: clients.optimizer,
    });
    expect(outcome).toMatchObject({ status: 200 });
    expect(JSON.parse((outcome as { body: string }).body)).toEqual({
      principal: { type: 'service', subject: 'external:inframind' },
    });
  });

  // Node verifies a presented certificate once OpenSSL has finished the handshake and then
  // closes the connection, sending no alert (nodejs/node#20737): the client's request is
  // never answered, and the listener logs and counts the reason.
  it.each([
    ['from an unknown CA', 'unknownCa', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['expired', 'expired', 'CERT_HAS_EXPIRED'],
    ['not yet valid', 'notYetValid', 'CERT_NOT_YET_VALID'],
    ['revoked (in the CRL)', 'revoked', 'CERT_REVOKED'],
  ] as const)(
    'refuses a certificate %s before any HTTP is read',
    async (_, client, reason) => {
      const refused = started.logs.next(/^TLS client refused/);
      const outcome = await call({
        port: started.port,
        path: '/api/whoami',
        ca: ca.cert,
        client: clients[client],
      });
      expect(outcome).toEqual({
        error: 'ECONNRESET',
        message: expect.any(String),
      });
      expect((await refused).message).toBe(`TLS client refused: ${reason}`);
    },
  );

  it('refuses a certificate revoked while it runs, once the new CRL is written, without a restart', async () => {
    const whoami = () =>
      call({
        port: started.port,
        path: '/api/whoami',
        ca: ca.cert,
        client: clients.revokedLater,
      });
    expect(await whoami()).toMatchObject({ status: 200 });
    ca.revoke(clients.revokedLater);
    const reloaded = started.logs.next(/^TLS files reloaded/);
    writeFileSync(crlFile, ca.crl());
    await reloaded;
    const refused = started.logs.next(/^TLS client refused/);
    expect(await whoami()).toMatchObject({ error: 'ECONNRESET' });
    expect((await refused).message).toBe('TLS client refused: CERT_REVOKED');
    expect(
      await call({
        port: started.port,
        path: '/api/whoami',
        ca: ca.cert,
        client: clients.optimizer,
      }),
    ).toMatchObject({ status: 200 });
  });

  it('refuses a client without a certificate with a TLS alert: certificate_required in TLS 1.3, handshake_failure in TLS 1.2', async () => {
    expect(
      await call({ port: started.port, path: '/api/whoami', ca: ca.cert }),
    ).toEqual({
      error: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      message: expect.stringContaining('SSL alert number 116'),
    });
    const tls12 = await new Promise<{ error: string; message: string }>(
      resolve => {
        const { request } = jest.requireActual('node:https');
        request({
          host: '127.0.0.1',
          servername: 'localhost',
          port: started.port,
          path: '/api/whoami',
          ca: ca.cert,
          maxVersion: 'TLSv1.2',
          agent: false,
        })
          .on('error', (error: NodeJS.ErrnoException) =>
            resolve({ error: error.code!, message: error.message }),
          )
          .end();
      },
    );
    expect(tls12.message).toContain('SSL alert number 40');
  });

  it('refuses plain HTTP on the TLS port', async () => {
    const refused = started.logs.next(/^TLS client refused/);
    expect(await plainHttp(started.port, '/api/whoami')).toEqual({
      error: 'ECONNRESET',
    });
    expect((await refused).message).toMatch(/^TLS client refused: ERR_SSL_/);
  });

  it('answers the health endpoints, and nothing else, on the plain health port', async () => {
    for (const path of HEALTH_PATHS.filter(p => p.startsWith('/.backstage'))) {
      expect(await plainHttp(started.healthPort, path)).toMatchObject({
        status: 200,
      });
    }
    for (const path of [
      '/api/whoami',
      '/.backstage/health/v1/readiness/../../../../api/whoami',
      '/api/whoami?x=/.backstage/health/v1/liveness',
    ]) {
      expect(await plainHttp(started.healthPort, path)).toMatchObject({
        status: 404,
      });
    }
  });

  it('serves calls between plugins on loopback without a certificate, with a token only', async () => {
    expect(await plainHttp(started.internalPort, '/api/whoami')).toMatchObject({
      status: 401,
    });
    const withToken = await new Promise<string>(resolve => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: started.internalPort,
          path: '/api/whoami',
          headers: { Authorization: 'Bearer ops-token-123' },
        },
        res => {
          let body = '';
          res.on('data', chunk => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        },
      ).end();
    });
    expect(JSON.parse(withToken).principal.subject).toBe(
      'external:sentinel-ops',
    );
  });
});
