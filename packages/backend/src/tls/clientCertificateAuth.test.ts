import {
  optimizerPlan as plan,
  startSentinelOverTls,
} from './__testUtils__/sentinelOverTls';
import { TestPki } from '@internal/kubernetes-test-server';
import { call, type startTlsBackend } from './__testUtils__/tlsBackend';

// The optimizer's restrictions, as app-config.yaml gives them to its token and certificate.
const optimizerRestrictions = [
  {
    plugin: 'sentinel',
    permission: [
      'sentinel.plan.create',
      'sentinel.plan.read',
      'sentinel.workload.read',
      'sentinel.policy.read',
    ],
  },
];

describe('a client certificate as external access (type client-certificate)', () => {
  const pki = new TestPki();
  const ca = pki.ca('sentinel-ca');
  const server = ca.issue('localhost', {
    usage: 'server',
    subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
  });
  const optimizer = ca.issue('inframind');
  // Valid, from the trusted CA, but no externalAccess entry names it.
  const unmapped = ca.issue('someone-else');
  // Mapped by its SPIFFE ID, whatever its common name.
  const spiffe = ca.issue('workload-7f3a', {
    subjectAltNames: ['URI:spiffe://sentinel.test/ns/ops/sa/runbooks'],
  });

  let started: Awaited<ReturnType<typeof startTlsBackend>>;
  const sentinel = (options: {
    client: { cert: string; key: string };
    method?: string;
    path?: string;
    body?: unknown;
    token?: string;
  }) =>
    call({
      port: started.port,
      ca: ca.cert,
      path: `/api/sentinel/v1${options.path ?? '/action-plans'}`,
      method: options.method,
      body: options.body,
      client: options.client,
      headers: options.token
        ? { Authorization: `Bearer ${options.token}` }
        : {},
    });

  beforeAll(async () => {
    started = await startSentinelOverTls({
      pki,
      files: {
        certFile: server.certFile,
        keyFile: server.keyFile,
        caFile: ca.certFile,
      },
      externalAccess: [
        {
          type: 'client-certificate',
          options: {
            certificate: 'CN=inframind',
            subject: 'external:inframind',
          },
          accessRestrictions: optimizerRestrictions,
        },
        {
          type: 'static',
          options: {
            token: 'optimizer-token-1',
            subject: 'external:inframind',
          },
          accessRestrictions: optimizerRestrictions,
        },
        {
          type: 'client-certificate',
          options: {
            certificate: 'URI:spiffe://sentinel.test/ns/ops/sa/runbooks',
            subject: 'external:runbooks',
          },
          accessRestrictions: [{ plugin: 'sentinel' }],
        },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await started?.backend.stop();
    pki.remove();
  });

  it('lets the optimizer submit a plan with its certificate alone, as external:inframind with the system role', async () => {
    const submitted = await sentinel({
      client: optimizer,
      method: 'POST',
      body: plan,
    });
    expect(submitted).toMatchObject({ status: 202 });
    const { id } = JSON.parse((submitted as { body: string }).body);
    const read = await sentinel({
      client: optimizer,
      path: `/action-plans/${id}`,
    });
    expect(read).toMatchObject({ status: 200 });
    expect(JSON.parse((read as { body: string }).body)).toMatchObject({
      id,
      source: 'InfraMind',
      submittedBy: 'external:inframind',
    });
  });

  it('refuses what the optimizer may not do (the audit log) by certificate as by token', async () => {
    for (const [who, credentials] of [
      ['certificate', { client: optimizer }],
      ['token', { client: unmapped, token: 'optimizer-token-1' }],
    ] as const) {
      const audit = await sentinel({ ...credentials, path: '/audit' });
      expect([who, audit]).toMatchObject([who, { status: 403 }]);
    }
  });

  it('gives a valid but unmapped certificate no identity: 401, as a caller without credentials', async () => {
    expect(await sentinel({ client: unmapped })).toMatchObject({ status: 401 });
    expect(
      await sentinel({ client: unmapped, method: 'POST', body: plan }),
    ).toMatchObject({ status: 401 });
  });

  it('takes a token over the certificate: the optimizer token through an unmapped certificate, a bad token through the optimizer certificate', async () => {
    expect(
      await sentinel({
        client: unmapped,
        token: 'optimizer-token-1',
        method: 'POST',
        body: plan,
      }),
    ).toMatchObject({ status: 202 });
    expect(
      await sentinel({ client: optimizer, token: 'not-a-token-at-all' }),
    ).toMatchObject({ status: 401 });
  });

  it("keeps the entry's access restrictions: the optimizer certificate is refused by another plugin", async () => {
    const elsewhere = await call({
      port: started.port,
      ca: ca.cert,
      path: '/api/whoami',
      client: optimizer,
    });
    expect(elsewhere).toMatchObject({ status: 403 });
    expect((elsewhere as { body: string }).body).toContain(
      "restricted to plugin(s) 'sentinel'",
    );
  });

  it('maps a certificate by a subject alternative name (a SPIFFE ID), to a subject with no Sentinel role', async () => {
    // Authenticated as external:runbooks, which no role binding names: Sentinel refuses it.
    expect(await sentinel({ client: spiffe })).toMatchObject({ status: 403 });
  });
});
