import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  eventually,
  freePort,
  repoRoot,
  startBackendProcess,
  type BackendProcess,
} from '../replicas/__testUtils__/backendProcess';
import { TestOidcIssuer } from './__testUtils__/oidcIssuer';
import { refreshSession, signInWithOidc } from './__testUtils__/signInFlow';

// People sign in to the real backend (packages/backend, in a process of its own) with OIDC,
// against a real OpenID Connect issuer on the loopback interface, through the authorization
// code flow a browser's popup goes through. The backend runs production's `auth` block as
// app-config.production.yaml ships it (the variables and secret files as the Deployment gives
// them) and production's role bindings (environments/production/config.yaml): operators are
// group:default/sre, everyone else signed in is a viewer.

jest.setTimeout(600_000);

const optimizer = { Authorization: 'Bearer dev-optimizer-token' };
const appOrigin = 'http://localhost:3000';

/** The issuer's people: claims it vouches for, keyed by the login they type. */
const accounts = {
  // sre (operator) and team-shop, which owns cart, checkout and orders.
  ann: { email: 'ann@example.com', name: 'Ann Operator' },
  // sre (operator) and team-payments, which owns payments-api.
  bob: { email: 'bob@example.com', name: 'Bob Payments' },
  // team-shop, not sre: a viewer.
  vera: { email: 'vera@example.com', name: 'Vera Viewer' },
  // Known to the issuer, not to the catalog.
  mallory: { email: 'mallory@example.com', name: 'Mallory Outsider' },
};

/** Who the catalog knows: the org beside examples/entities.yaml's services and owners. */
const org = [
  ...['sre', 'team-shop', 'team-payments', 'sentinel-admins'].map(name => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name },
    spec: { type: 'team', children: [] },
  })),
  ...[
    ['ann', ['sre', 'team-shop']],
    ['bob', ['sre', 'team-payments']],
    ['vera', ['team-shop']],
  ].map(([name, memberOf]) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name },
    spec: {
      profile: {
        email: accounts[name as 'ann'].email,
        displayName: accounts[name as 'ann'].name,
      },
      memberOf,
    },
  })),
];

/**
 * app-config.production.yaml's `auth`, with the secret files it reads ($file under
 * /etc/sentinel/secrets/, mounted from Secret sentinel-auth) in `secretsDir` instead.
 */
function productionAuth(secretsDir: string) {
  const text = readFileSync(
    join(repoRoot, 'app-config.production.yaml'),
    'utf8',
  );
  return parse(text.replaceAll('/etc/sentinel/secrets/', `${secretsDir}/`))
    .auth;
}

const scale = (namespace: string, name: string, replicas: number) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale',
      target: { cluster: 'demo', namespace, name },
      params: { replicas },
      rationale: 'queue depth',
      confidence: 0.9,
    },
  ],
});

describe('people sign in with OIDC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-oidc-'));
  let issuer: TestOidcIssuer;
  /** What /api/auth/oidc/start answered while the issuer was down. */
  let startWhileIssuerDown: { status: number; body: string };
  let backend: BackendProcess;
  const signIn = (login: string) =>
    signInWithOidc({
      backendUrl: backend.baseUrl,
      appOrigin,
      env: 'production',
      login,
    });

  /** The Backstage token of a person who signed in (fails the test if they could not). */
  async function tokenOf(login: string): Promise<string> {
    const outcome = await signIn(login);
    if (!outcome.signedIn) {
      throw new Error(`${login} could not sign in: ${outcome.error.message}`);
    }
    return outcome.token;
  }

  async function sentinel(
    token: string | typeof optimizer,
    method: 'GET' | 'POST',
    path: string,
    body?: object,
  ) {
    const res = await fetch(`${backend.baseUrl}/api/sentinel${path}`, {
      method,
      headers: {
        ...(typeof token === 'string'
          ? { Authorization: `Bearer ${token}` }
          : token),
        ...(body && { 'Content-Type': 'application/json' }),
      },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** A plan the optimizer submits, once it waits for a person's approval. */
  async function pendingPlan(
    namespace: string,
    name: string,
    replicas: number,
  ) {
    const submitted = await sentinel(
      optimizer,
      'POST',
      '/v1/action-plans',
      scale(namespace, name, replicas),
    );
    expect(submitted.status).toBe(202);
    const { id } = submitted.body;
    await eventually(
      async () =>
        (
          await sentinel(optimizer, 'GET', `/v1/action-plans/${id}`)
        ).body.status === 'pending_approval',
      `plan ${id} waits for approval`,
      60_000,
    );
    return id as string;
  }

  beforeAll(async () => {
    // The issuer's address is known, but it answers only once the backend has started: the
    // backend starts during an outage of the identity provider.
    issuer = new TestOidcIssuer({ port: await freePort() });
    for (const [login, claims] of Object.entries(accounts)) {
      issuer.accounts.set(login, {
        ...claims,
        email_verified: true,
        preferred_username: login,
      });
    }
    // Claims Ann's address without the issuer having verified it.
    issuer.accounts.set('eve', {
      email: 'ann@example.com',
      email_verified: false,
      name: 'Eve',
      preferred_username: 'eve',
    });

    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    // Registered at the issuer as an operator registers Sentinel: its client id and secret,
    // and the redirect URI ${SENTINEL_BASE_URL}/api/auth/oidc/handler/frame.
    const clientSecret = randomBytes(24).toString('base64url');
    issuer.registerClient({
      clientId: 'sentinel',
      clientSecret,
      redirectUri: `${baseUrl}/api/auth/oidc/handler/frame`,
    });
    // What the Deployment gives the backend: variables from sentinel-env and files from
    // Secret sentinel-auth.
    process.env.SENTINEL_OIDC_METADATA_URL = issuer.metadataUrl;
    process.env.SENTINEL_OIDC_CLIENT_ID = 'sentinel';
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'oidc-client-secret'), clientSecret);
    writeFileSync(
      join(secrets, 'auth-session-secret'),
      randomBytes(48).toString('base64'),
    );

    const orgFile = join(dir, 'org.yaml');
    writeFileSync(orgFile, org.map(e => stringify(e)).join('---\n'));
    const kubeconfig = join(dir, 'simulated-cluster.kubeconfig');
    const productionRbac = parse(
      readFileSync(
        join(repoRoot, 'environments/production/config.yaml'),
        'utf8',
      ),
    ).sentinel.rbac;

    backend = await startBackendProcess({
      name: 'oidc',
      port,
      dir,
      overlay: {
        backend: {
          baseUrl,
          listen: { port },
          database: {
            client: 'better-sqlite3',
            connection: { directory: join(dir, 'sqlite') },
          },
        },
        auth: productionAuth(secrets),
        catalog: {
          locations: [
            {
              type: 'file',
              target: join(repoRoot, 'examples/entities.yaml'),
            },
            {
              type: 'file',
              target: orgFile,
              rules: [{ allow: ['User', 'Group'] }],
            },
          ],
        },
        sentinel: {
          // The demo fleet of examples/entities.yaml, without a Prometheus of its own.
          simulatedCluster: {
            enabled: true,
            kubeconfigPath: kubeconfig,
            prometheusPort: null,
          },
          clusters: [{ name: 'demo', kubeconfig: { path: kubeconfig } }],
          policy: {
            rules: [
              {
                id: 'approve-everything',
                kind: 'require_approval',
                reason: 'a person approves every change in this test',
              },
            ],
          },
          freezeWindows: [],
          rbac: productionRbac,
        },
      },
    });
    const whileDown = await fetch(
      `${backend.baseUrl}/api/auth/oidc/start?env=production&scope=openid`,
      { redirect: 'manual' },
    );
    startWhileIssuerDown = {
      status: whileDown.status,
      body: await whileDown.text(),
    };
    await issuer.start();

    // Signed in once the catalog holds the org (it reads its locations after start).
    await eventually(
      async () => {
        const outcome = await signIn('ann');
        if (!outcome.signedIn) throw new Error(outcome.error.message);
        return true;
      },
      'ann can sign in (the catalog has read the org)',
      60_000,
    );
  });

  afterAll(async () => {
    await backend?.stop();
    await issuer?.stop();
    delete process.env.SENTINEL_OIDC_METADATA_URL;
    delete process.env.SENTINEL_OIDC_CLIENT_ID;
    // The backend's log and config stay in `dir` when it did not come up.
    if (backend) rmSync(dir, { recursive: true, force: true });
    else console.log(`the backend's log and config are kept in ${dir}`);
  });

  it('signs a person in as the catalog User with the email the issuer verified, with their groups', async () => {
    const outcome = await signIn('ann');
    expect(outcome).toMatchObject({
      signedIn: true,
      identity: {
        type: 'user',
        userEntityRef: 'user:default/ann',
        ownershipEntityRefs: expect.arrayContaining([
          'user:default/ann',
          'group:default/sre',
          'group:default/team-shop',
        ]),
      },
      profile: expect.objectContaining({ email: 'ann@example.com' }),
    });
    // The token is a Backstage user token: Sentinel knows who is calling.
    const token = (outcome as { token: string }).token;
    const plans = await sentinel(token, 'GET', '/v1/action-plans');
    expect(plans.status).toBe(200);
  });

  it('keeps a person signed in across a reload: the refresh cookie gets a new token for the same User', async () => {
    const outcome = await signIn('ann');
    if (!outcome.signedIn) throw new Error(outcome.error.message);
    const reload = await refreshSession({
      backendUrl: backend.baseUrl,
      env: 'production',
      cookies: outcome.cookies,
    });
    expect(reload.status).toBe(200);
    expect(reload.body.backstageIdentity.identity).toEqual(outcome.identity);
    const plans = await sentinel(
      reload.body.backstageIdentity.token,
      'GET',
      '/v1/action-plans',
    );
    expect(plans.status).toBe(200);
  });

  it("gives a member of an owning team operator rights on that team's services only", async () => {
    const cart = await pendingPlan('shop', 'cart', 4);
    const paymentsApi = await pendingPlan('payments', 'payments-api', 4);
    const ann = await tokenOf('ann');

    // Ann's team, team-shop, owns cart: her approval goes through.
    const approved = await sentinel(
      ann,
      'POST',
      `/v1/action-plans/${cart}/approve`,
      {
        comment: 'fine by team-shop',
      },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.approvals).toEqual([
      expect.objectContaining({ by: 'user:default/ann' }),
    ]);

    // payments-api is team-payments': refused, and the plan still waits.
    const refused = await sentinel(
      ann,
      'POST',
      `/v1/action-plans/${paymentsApi}/approve`,
      {},
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/sentinel\.plan\.approve/);
    const waiting = await sentinel(
      ann,
      'GET',
      `/v1/action-plans/${paymentsApi}`,
    );
    expect(waiting.body.status).toBe('pending_approval');

    // Bob, of team-payments, may.
    const bob = await tokenOf('bob');
    const byBob = await sentinel(
      bob,
      'POST',
      `/v1/action-plans/${paymentsApi}/approve`,
      {},
    );
    expect(byBob.status).toBe(200);
  });

  it('lets a viewer read plans but not approve them, even for a service their team owns', async () => {
    const checkout = await pendingPlan('shop', 'checkout', 3);
    const vera = await tokenOf('vera');
    const read = await sentinel(vera, 'GET', `/v1/action-plans/${checkout}`);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('pending_approval');
    const approve = await sentinel(
      vera,
      'POST',
      `/v1/action-plans/${checkout}/approve`,
      {},
    );
    expect(approve.status).toBe(403);
  });

  it('signs people in once the identity provider answers, though it was down when the backend started', async () => {
    // Meanwhile sign-in failed: Backstage's module keeps a failed discovery for good, so
    // without ../auth/rediscovering this replica would refuse everyone until it restarted.
    expect(startWhileIssuerDown.status).toBe(500);
    expect(startWhileIssuerDown.body).toMatch(/ECONNREFUSED/);
    expect((await signIn('bob')).signedIn).toBe(true);
  });

  it('refuses a person the catalog does not know, saying why', async () => {
    const outcome = await signIn('mallory');
    expect(outcome.signedIn).toBe(false);
    expect((outcome as { error: { message: string } }).error.message).toMatch(
      /unable to resolve user identity.*catalog contains the expected User/,
    );
  });

  it("refuses an email the issuer has not verified, even a catalog User's", async () => {
    const outcome = await signIn('eve');
    expect(outcome.signedIn).toBe(false);
    expect((outcome as { error: { message: string } }).error.message).toMatch(
      /does not contain an email/,
    );
  });
});
