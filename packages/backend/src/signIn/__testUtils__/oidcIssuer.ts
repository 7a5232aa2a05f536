import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type ClientMetadata,
} from 'oidc-provider';

/** What the issuer knows of a person: the claims it vouches for. */
export interface IssuerAccount {
  email: string;
  /** Whether the issuer checked the address; Backstage's OIDC module trusts only verified ones. */
  email_verified: boolean;
  name: string;
  preferred_username: string;
}

/**
 * Storage for the issuer's sessions, interactions, codes and tokens, in memory; clients come
 * from `clients`, so the test registers the backend's client once it knows its callback URL
 * (as an operator registers Sentinel with the company's identity provider).
 */
function memoryAdapter(clients: Map<string, ClientMetadata>) {
  const store = new Map<string, AdapterPayload>();
  const uids = new Map<string, string>();
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload) {
        store.set(key(id), payload);
        if (payload.uid) uids.set(payload.uid, id);
      },
      async find(id) {
        if (model === 'Client') {
          return clients.get(id) as AdapterPayload | undefined;
        }
        return store.get(key(id));
      },
      async findByUid(uid) {
        const id = uids.get(uid);
        return id === undefined ? undefined : store.get(key(id));
      },
      async findByUserCode() {
        return undefined;
      },
      async consume(id) {
        const payload = store.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, payload] of store) {
          if (payload.grantId === grantId) store.delete(k);
        }
      },
    };
  };
}

const readForm = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
};

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    c =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[
        c
      ]!),
  );

/**
 * A real OpenID Connect issuer (panva's `oidc-provider`) on the loopback interface, for tests
 * of sign-in: discovery, JWKS (an RS256 key made at start), the authorization, token and
 * userinfo endpoints, with a login page of its own at /interaction/:uid (a form asking for
 * the login name; the test plays the person who fills it in). Sentinel is a first-party
 * client: no consent screen, its grant is made on login, as a company's IdP does for its
 * own portal.
 */
export class TestOidcIssuer {
  readonly accounts = new Map<string, IssuerAccount>();
  readonly #clients = new Map<string, ClientMetadata>();
  #server?: Server;
  #port: number;

  /** On `port` (known before it starts), or on a free one chosen when it starts. */
  constructor(options: { port?: number } = {}) {
    this.#port = options.port ?? 0;
  }

  /** The issuer's URL, e.g. http://127.0.0.1:41234 (also its `iss`). */
  get url(): string {
    if (!this.#port) throw new Error('the issuer has not started');
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Where Backstage's OIDC module discovers the issuer. */
  get metadataUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  /** Registers a confidential web client (client_secret_basic, authorization code). */
  registerClient(client: {
    clientId: string;
    clientSecret: string;
    redirectUri: string;
  }) {
    this.#clients.set(client.clientId, {
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: [client.redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
  }

  async start(): Promise<void> {
    const server = createServer();
    server.listen(this.#port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;

    const signingKey = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    }).privateKey.export({ format: 'jwk' });
    const accounts = this.accounts;
    const provider = new Provider(this.url, {
      adapter: memoryAdapter(this.#clients),
      jwks: { keys: [{ ...signingKey, kid: 'test-issuer-1', alg: 'RS256' }] },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
      },
      features: { devInteractions: { enabled: false } },
      // Lifetimes in seconds, stated (the defaults print a notice each).
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        Grant: 3600,
        IdToken: 600,
        Interaction: 600,
        RefreshToken: 3600,
        Session: 3600,
      },
      interactions: {
        url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      },
      async findAccount(_ctx, id) {
        const account = accounts.get(id);
        return (
          account && {
            accountId: id,
            claims: async () => ({ sub: id, ...account }),
          }
        );
      },
      // Refresh tokens to the clients allowed the grant, as Keycloak issues them, and as
      // Okta or Entra ID do for the offline_access scope (which this library would drop
      // without a consent prompt).
      async issueRefreshToken(_ctx, client) {
        return client.grantTypeAllowed('refresh_token');
      },
      // First party: the grant is made when the person logs in, without a consent screen.
      async loadExistingGrant(ctx) {
        const { client, session } = ctx.oidc;
        if (!client || !session?.accountId) return undefined;
        const grantId = session.grantIdFor(client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({
          clientId: client.clientId,
          accountId: session.accountId,
        });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    const callback = provider.callback();

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const login = req.url?.match(/^\/interaction\/([\w-]+)$/);
      if (!login) {
        callback(req, res);
        return;
      }
      this.#loginPage(provider, req, res).catch(error => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  }

  /** GET: the login form. POST: the person's login name; an unknown one gets the form again. */
  async #loginPage(
    provider: Provider,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    const details = await provider.interactionDetails(req, res);
    let error = '';
    if (req.method === 'POST') {
      const login = (await readForm(req)).get('login') ?? '';
      if (this.accounts.has(login)) {
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: login } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      error = `<p role="alert">No account ${escapeHtml(login)}</p>`;
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<html><body><h1>Sign in to the test issuer</h1>${error}` +
        `<form method="post" action="/interaction/${details.uid}">` +
        `<input name="login" autofocus><button type="submit">Sign in</button>` +
        `</form></body></html>`,
    );
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise(resolve => this.#server!.close(resolve));
  }
}
