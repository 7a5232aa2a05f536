import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import knexFactory, { type Knex } from 'knex';

/**
 * A Kubernetes auth role (`auth/kubernetes/role/<name>`).
 *
 * @public
 */
export interface KubernetesAuthRole {
  /** Service accounts that may log in (`bound_service_account_names`; `*` for any). */
  boundServiceAccountNames: string[];
  /** Their namespaces (`bound_service_account_namespaces`; `*` for any). */
  boundServiceAccountNamespaces: string[];
  /** Policies of the tokens it issues. */
  policies: string[];
  /** The tokens' TTL in seconds (`token_ttl`). */
  tokenTtl: number;
  /** The most a token may be renewed to, in seconds from its login (`token_max_ttl`); none by default. */
  tokenMaxTtl?: number;
}

/**
 * A policy as Vault's ACL policies say it: path (a trailing `*` matches any suffix, `+` one
 * segment) to capabilities (`read`, `update`, `create`, `list`, `delete`, `sudo`, `deny`).
 *
 * @public
 */
export type VaultPolicy = Record<string, string[]>;

/**
 * A role of the database secrets engine (`database/roles/<name>`), on the engine's PostgreSQL.
 *
 * @public
 */
export interface DatabaseRole {
  /** SQL run to create a user; `{{name}}`, `{{password}}` and `{{expiration}}` are replaced, as Vault does. */
  creationStatements: string[];
  /** SQL run when a lease ends or is revoked; by default Vault's for PostgreSQL plus ending the user's sessions. */
  revocationStatements?: string[];
  /** SQL run when a lease is renewed; by default `ALTER ROLE ... VALID UNTIL`. */
  renewStatements?: string[];
  /** Seconds (`default_ttl`). */
  defaultTtl: number;
  /** Seconds from creation (`max_ttl`). */
  maxTtl: number;
}

/**
 * Where the database secrets engine creates users: a PostgreSQL superuser connection.
 *
 * @public
 */
export interface DatabaseConnection {
  /** PostgreSQL's host. */
  host: string;
  /** PostgreSQL's port. */
  port: number;
  /** A user that may create and drop roles. */
  user: string;
  /** Its password. */
  password: string;
  /** The database to connect to; `postgres` by default. */
  database?: string;
}

/**
 * Options of {@link VaultTestServer}.
 *
 * @public
 */
export interface VaultTestServerOptions {
  /** Where `database/creds/<role>` creates users; without it the database engine answers 400. */
  database?: DatabaseConnection;
  /** The root token (every policy); random by default. */
  rootToken?: string;
}

/**
 * A lease the server handed out (the database engine's).
 *
 * @public
 */
export interface VaultLease {
  /** `database/creds/<role>/<id>`. */
  leaseId: string;
  /** The database role it was issued for. */
  role: string;
  /** The PostgreSQL user it created. */
  username: string;
  /** When it was issued. */
  issuedAt: Date;
  /** When it ends unless renewed (or ended). */
  expiresAt: Date;
  /** How many times it was renewed. */
  renewals: number;
  /** Whether it was revoked (by its end, its token's end, or a revocation). */
  revoked: boolean;
}

interface TokenEntry {
  accessor: string;
  policies: string[];
  ttl: number;
  expiresAt: number;
  maxExpiresAt: number;
  metadata: Record<string, string>;
  root: boolean;
  timer?: NodeJS.Timeout;
}

interface KvVersion {
  data: Record<string, unknown>;
  created: Date;
  deleted?: Date;
}

interface LeaseEntry extends VaultLease {
  maxExpiresAt: number;
  /** The token that created it: Vault revokes a token's leases when the token ends. */
  token: string;
  timer?: NodeJS.Timeout;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly errors: string[]) {
    super(errors.join(', '));
  }
}

const permissionDenied = () => new HttpError(403, ['permission denied']);

const DEFAULT_REVOCATION = [
  'ALTER ROLE "{{name}}" NOLOGIN',
  `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}'`,
  'DROP ROLE IF EXISTS "{{name}}"',
];
const DEFAULT_RENEW = [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'`];

/**
 * A Vault API test server: the endpoints of Vault's documented HTTP API that Sentinel uses,
 * answered as Vault answers them, with faults a test sets (sealed, expired tokens, latency,
 * revoked leases, not listening).
 *
 * @public
 */
export class VaultTestServer {
  /** A token with every policy (`root`), for tests that act as an administrator. */
  readonly rootToken: string;
  readonly #options: VaultTestServerOptions;
  #server?: Server;
  #port?: number;
  readonly #sockets = new Set<Socket>();
  #db?: Knex;
  #sealed = false;
  #latencyMs = 0;
  readonly #tokens = new Map<string, TokenEntry>();
  readonly #serviceAccountJwts = new Map<
    string,
    { namespace: string; name: string }
  >();
  readonly #kubernetesRoles = new Map<string, KubernetesAuthRole>();
  readonly #policies = new Map<string, VaultPolicy>();
  readonly #kv = new Map<string, KvVersion[]>();
  readonly #kvMounts = new Set<string>(['secret']);
  readonly #databaseRoles = new Map<string, DatabaseRole>();
  readonly #leases = new Map<string, LeaseEntry>();
  /** Every request answered: method, path and status (tests assert on what the client did). */
  readonly requests: Array<{ method: string; path: string; status: number }> =
    [];

  constructor(options: VaultTestServerOptions = {}) {
    this.#options = options;
    this.rootToken =
      options.rootToken ?? `hvs.${randomBytes(18).toString('base64url')}`;
    this.#tokens.set(this.rootToken, {
      accessor: randomUUID(),
      policies: ['root'],
      ttl: 0,
      expiresAt: Infinity,
      maxExpiresAt: Infinity,
      metadata: {},
      root: true,
    });
  }

  /** Starts listening (port 0, a free one, by default); again on the same port after {@link VaultTestServer.stopListening}. */
  async start(
    options: {
      /** The port; the previous one when listening again, else a free one. */
      port?: number;
      /** The address; 127.0.0.1 by default. */
      host?: string;
    } = {},
  ) {
    if (this.#options.database && !this.#db) {
      const { database } = this.#options;
      this.#db = knexFactory({
        client: 'pg',
        connection: {
          host: database.host,
          port: database.port,
          user: database.user,
          password: database.password,
          database: database.database ?? 'postgres',
        },
        pool: { min: 0, max: 2 },
      });
    }
    const server = createServer((req, res) => {
      this.#handle(req, res);
    });
    server.on('connection', socket => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? this.#port ?? 0, host, () => resolve());
    });
    this.#server = server;
    const address = server.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    return { url: this.url, port: this.#port };
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get url(): string {
    if (this.#port === undefined) throw new Error('not started');
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Fault: Vault unreachable. Stops listening and drops open connections; {@link VaultTestServer.start} listens again. */
  async stopListening() {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Stops listening, ends every lease timer (leases are not revoked) and closes the database connection. */
  async stop() {
    await this.stopListening();
    for (const lease of this.#leases.values()) clearTimeout(lease.timer);
    for (const token of this.#tokens.values()) clearTimeout(token.timer);
    await this.#db?.destroy();
    this.#db = undefined;
  }

  // Setup, as an operator configures Vault.

  /** `vault policy write <name>`. */
  writePolicy(name: string, policy: VaultPolicy) {
    this.#policies.set(name, policy);
  }

  /** `vault write auth/kubernetes/role/<name>`. */
  writeKubernetesRole(name: string, role: KubernetesAuthRole) {
    this.#kubernetesRoles.set(name, role);
  }

  /**
   * A service account token the cluster would issue and TokenReview would accept (the real
   * Vault asks the Kubernetes API; this server knows the tokens it made).
   */
  issueServiceAccountToken(namespace: string, name: string): string {
    const part = (value: object) =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const jwt = [
      part({ alg: 'RS256', kid: randomUUID() }),
      part({
        iss: 'https://kubernetes.default.svc',
        sub: `system:serviceaccount:${namespace}:${name}`,
        jti: randomUUID(),
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.#serviceAccountJwts.set(jwt, { namespace, name });
    return jwt;
  }

  /** Fault: the cluster no longer accepts this service account token. */
  revokeServiceAccountToken(jwt: string) {
    this.#serviceAccountJwts.delete(jwt);
  }

  /** Writes a new version of a KV v2 secret (`vault kv put <mount>/<path>`). */
  writeKv(mount: string, path: string, data: Record<string, unknown>) {
    this.#kvMounts.add(mount);
    const key = `${mount}/${path}`;
    const versions = this.#kv.get(key) ?? [];
    versions.push({ data, created: new Date() });
    this.#kv.set(key, versions);
    return versions.length;
  }

  /** `vault write database/roles/<name>`. */
  writeDatabaseRole(name: string, role: DatabaseRole) {
    this.#databaseRoles.set(name, role);
  }

  // Faults and inspection.

  /** Fault: sealed (every request but `sys/health` answers 503, as a sealed Vault does). */
  seal() {
    this.#sealed = true;
  }

  /** Ends the sealed fault. */
  unseal() {
    this.#sealed = false;
  }

  /** Whether the server is sealed. */
  get sealed() {
    return this.#sealed;
  }

  /** Fault: each answer waits this long first. */
  setLatency(ms: number) {
    this.#latencyMs = ms;
  }

  /**
   * Fault: these tokens (all but the root token by default) end now; using one answers 403. As
   * in Vault, the leases a token created are revoked with it.
   */
  async expireTokens(tokens?: string[]) {
    for (const [token, entry] of this.#tokens) {
      if (entry.root) continue;
      if (!tokens || tokens.includes(token)) await this.#endToken(token);
    }
  }

  async #endToken(token: string) {
    const entry = this.#tokens.get(token);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#tokens.delete(token);
    for (const lease of this.#leases.values()) {
      if (lease.token === token) await this.#revoke(lease);
    }
  }

  #scheduleToken(token: string, entry: TokenEntry) {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      this.#endToken(token).catch(() => {});
    }, Math.max(0, entry.expiresAt - Date.now()));
    entry.timer.unref();
  }

  /** The client tokens issued by logins that are still valid. */
  activeTokens(): string[] {
    const now = Date.now();
    return [...this.#tokens]
      .filter(([, t]) => !t.root && t.expiresAt > now)
      .map(([token]) => token);
  }

  /** The leases handed out, revoked ones included. */
  leases(): VaultLease[] {
    return [...this.#leases.values()].map(
      ({ timer: _timer, maxExpiresAt: _max, token: _token, ...lease }) => ({
        ...lease,
      }),
    );
  }

  /** Fault: revokes a lease now (as `vault lease revoke` does: the revocation statements run). */
  async revokeLease(leaseId: string) {
    const lease = this.#leases.get(leaseId);
    if (!lease) throw new Error(`no lease ${leaseId}`);
    await this.#revoke(lease);
  }

  // The API.

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://vault');
    const path = url.pathname;
    let status = 500;
    let body: unknown;
    try {
      const raw = await readBody(req);
      if (this.#latencyMs) {
        await new Promise(resolve => setTimeout(resolve, this.#latencyMs));
      }
      const input = raw ? JSON.parse(raw) : {};
      [status, body] = await this.#route(req, path, url, input);
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        body = { errors: error.errors };
      } else {
        status = 500;
        body = { errors: [String((error as Error)?.message ?? error)] };
      }
    }
    this.requests.push({ method: req.method ?? 'GET', path, status });
    if (res.destroyed) return;
    if (status === 204) {
      res.writeHead(204).end();
      return;
    }
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify(body));
  }

  async #route(
    req: IncomingMessage,
    path: string,
    url: URL,
    input: Record<string, any>,
  ): Promise<[number, unknown]> {
    const method = req.method ?? 'GET';
    if (path === '/v1/sys/health' && (method === 'GET' || method === 'HEAD')) {
      return [this.#sealed ? 503 : 200, this.#health()];
    }
    if (!path.startsWith('/v1/')) throw new HttpError(404, []);
    if (this.#sealed) throw new HttpError(503, ['Vault is sealed']);
    const apiPath = path.slice('/v1/'.length);

    if (apiPath === 'auth/kubernetes/login' && method === 'POST') {
      return [200, this.#login(input)];
    }

    const token = this.#token(req);
    if (
      apiPath === 'auth/token/renew-self' &&
      (method === 'POST' || method === 'PUT')
    ) {
      return [200, this.#renewSelf(token, input)];
    }
    if (apiPath === 'auth/token/lookup-self' && method === 'GET') {
      const entry = this.#tokens.get(token)!;
      return [
        200,
        envelope({
          data: {
            accessor: entry.accessor,
            policies: entry.policies,
            ttl: entry.root
              ? 0
              : Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000)),
            meta: entry.metadata,
            renewable: !entry.root,
          },
        }),
      ];
    }
    if (
      apiPath === 'sys/leases/renew' &&
      (method === 'PUT' || method === 'POST')
    ) {
      this.#authorize(token, apiPath, 'update');
      return [200, await this.#renewLease(input)];
    }
    if (
      apiPath === 'sys/leases/revoke' &&
      (method === 'PUT' || method === 'POST')
    ) {
      this.#authorize(token, apiPath, 'update');
      const lease = this.#leases.get(String(input.lease_id ?? ''));
      if (lease) await this.#revoke(lease);
      return [204, undefined];
    }
    const creds = /^database\/creds\/([^/]+)$/.exec(apiPath);
    if (creds && method === 'GET') {
      this.#authorize(token, apiPath, 'read');
      return [200, await this.#createCredentials(creds[1], token)];
    }
    const kv = /^([^/]+)\/data\/(.+)$/.exec(apiPath);
    if (kv && this.#kvMounts.has(kv[1]) && method === 'GET') {
      this.#authorize(token, apiPath, 'read');
      return [200, this.#readKv(kv[1], kv[2], url.searchParams.get('version'))];
    }
    // Vault answers an unknown path with 403 to a token without access to it, 404 otherwise.
    this.#authorize(token, apiPath, method === 'GET' ? 'read' : 'update');
    throw new HttpError(404, []);
  }

  #health() {
    return {
      initialized: true,
      sealed: this.#sealed,
      standby: false,
      performance_standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
      server_time_utc: Math.floor(Date.now() / 1000),
      version: '1.15.0',
      cluster_name: 'vault-test-server',
      cluster_id: '00000000-0000-0000-0000-000000000000',
    };
  }

  #login(input: Record<string, any>) {
    const role = this.#kubernetesRoles.get(String(input.role ?? ''));
    if (!role) {
      throw new HttpError(400, [`invalid role name "${input.role ?? ''}"`]);
    }
    const account = this.#serviceAccountJwts.get(String(input.jwt ?? ''));
    if (!account) throw permissionDenied();
    const allowed = (bound: string[], value: string) =>
      bound.includes('*') || bound.includes(value);
    if (!allowed(role.boundServiceAccountNames, account.name)) {
      throw new HttpError(403, ['service account name not authorized']);
    }
    if (!allowed(role.boundServiceAccountNamespaces, account.namespace)) {
      throw new HttpError(403, ['namespace not authorized']);
    }
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const now = Date.now();
    const metadata = {
      role: String(input.role),
      service_account_name: account.name,
      service_account_namespace: account.namespace,
    };
    const entry: TokenEntry = {
      accessor: randomUUID(),
      policies: ['default', ...role.policies],
      ttl: role.tokenTtl,
      expiresAt: now + role.tokenTtl * 1000,
      maxExpiresAt: role.tokenMaxTtl ? now + role.tokenMaxTtl * 1000 : Infinity,
      metadata,
      root: false,
    };
    this.#tokens.set(token, entry);
    this.#scheduleToken(token, entry);
    return envelope({ auth: authBlock(token, entry, role.tokenTtl) });
  }

  #renewSelf(token: string, input: Record<string, any>) {
    const entry = this.#tokens.get(token)!;
    if (entry.root) {
      return envelope({ auth: authBlock(token, entry, 0) });
    }
    const increment = parseDuration(input.increment) ?? entry.ttl;
    const now = Date.now();
    entry.expiresAt = Math.min(now + increment * 1000, entry.maxExpiresAt);
    this.#scheduleToken(token, entry);
    const ttl = Math.round((entry.expiresAt - now) / 1000);
    return envelope({ auth: authBlock(token, entry, ttl) });
  }

  #token(req: IncomingMessage): string {
    const header = req.headers['x-vault-token'];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
    const entry = token ? this.#tokens.get(token) : undefined;
    if (!token || !entry) throw permissionDenied();
    if (entry.expiresAt <= Date.now()) {
      void this.#endToken(token).catch(() => {});
      throw permissionDenied();
    }
    return token;
  }

  #authorize(token: string, path: string, capability: string) {
    const entry = this.#tokens.get(token)!;
    if (entry.policies.includes('root')) return;
    let best: { path: string; capabilities: string[] } | undefined;
    for (const name of entry.policies) {
      for (const [pattern, capabilities] of Object.entries(
        this.#policies.get(name) ?? {},
      )) {
        if (!matchesPolicyPath(pattern, path)) continue;
        // Vault uses the most specific matching path; here, the longest pattern.
        if (!best || pattern.length > best.path.length) {
          best = { path: pattern, capabilities };
        } else if (pattern === best.path) {
          best.capabilities = [...best.capabilities, ...capabilities];
        }
      }
    }
    if (
      !best ||
      best.capabilities.includes('deny') ||
      !best.capabilities.includes(capability)
    ) {
      throw permissionDenied();
    }
  }

  #readKv(mount: string, path: string, versionParam: string | null) {
    const versions = this.#kv.get(`${mount}/${path}`);
    if (!versions?.length) throw new HttpError(404, []);
    const number = versionParam ? Number(versionParam) : versions.length;
    const version = versions[number - 1];
    if (!version || version.deleted) throw new HttpError(404, []);
    return envelope({
      data: {
        data: version.data,
        metadata: {
          created_time: version.created.toISOString(),
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version: number,
        },
      },
    });
  }

  async #createCredentials(roleName: string, token: string) {
    const role = this.#databaseRoles.get(roleName);
    if (!role) throw new HttpError(400, [`unknown role: ${roleName}`]);
    const db = this.#db;
    if (!db) throw new HttpError(400, ['no database connection configured']);
    // Vault's PostgreSQL plugin: v-<auth>-<role>-<random>-<unix time>, at most 63 characters.
    const username = `v-k8s-${roleName.slice(0, 8)}-${randomBytes(10).toString(
      'hex',
    )}-${Math.floor(Date.now() / 1000)}`;
    const password = randomBytes(16).toString('base64url');
    const now = Date.now();
    const expiresAt = now + role.defaultTtl * 1000;
    await this.#runStatements(role.creationStatements, {
      name: username,
      password,
      expiration: new Date(expiresAt).toISOString(),
    });
    const leaseId = `database/creds/${roleName}/${randomBytes(12).toString(
      'base64url',
    )}`;
    const lease: LeaseEntry = {
      leaseId,
      role: roleName,
      username,
      issuedAt: new Date(now),
      expiresAt: new Date(expiresAt),
      renewals: 0,
      revoked: false,
      maxExpiresAt: now + role.maxTtl * 1000,
      token,
    };
    this.#leases.set(leaseId, lease);
    this.#schedule(lease);
    return envelope({
      lease_id: leaseId,
      renewable: true,
      lease_duration: role.defaultTtl,
      data: { username, password },
    });
  }

  async #renewLease(input: Record<string, any>) {
    const lease = this.#leases.get(String(input.lease_id ?? ''));
    if (!lease || lease.revoked || lease.expiresAt.getTime() <= Date.now()) {
      throw new HttpError(400, ['lease not found']);
    }
    const role = this.#databaseRoles.get(lease.role)!;
    const increment = parseDuration(input.increment) ?? role.defaultTtl;
    const now = Date.now();
    const expiresAt = Math.min(now + increment * 1000, lease.maxExpiresAt);
    await this.#runStatements(role.renewStatements ?? DEFAULT_RENEW, {
      name: lease.username,
      expiration: new Date(expiresAt).toISOString(),
    });
    lease.expiresAt = new Date(expiresAt);
    lease.renewals += 1;
    this.#schedule(lease);
    const ttl = Math.round((expiresAt - now) / 1000);
    const warnings =
      ttl < increment
        ? [
            `TTL of "${increment}s" exceeded the effective max_ttl of "${ttl}s"; TTL value is capped accordingly`,
          ]
        : null;
    return {
      ...envelope({
        lease_id: lease.leaseId,
        renewable: true,
        lease_duration: ttl,
      }),
      warnings,
    };
  }

  #schedule(lease: LeaseEntry) {
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => {
      this.#revoke(lease).catch(() => {});
    }, Math.max(0, lease.expiresAt.getTime() - Date.now()));
    lease.timer.unref();
  }

  async #revoke(lease: LeaseEntry) {
    if (lease.revoked) return;
    lease.revoked = true;
    clearTimeout(lease.timer);
    const role = this.#databaseRoles.get(lease.role)!;
    await this.#runStatements(role.revocationStatements ?? DEFAULT_REVOCATION, {
      name: lease.username,
    });
  }

  async #runStatements(statements: string[], values: Record<string, string>) {
    const db = this.#db!;
    await db.transaction(async tx => {
      for (const statement of statements) {
        const sql = statement.replace(
          /\{\{(\w+)\}\}/g,
          (_, key: string) => values[key] ?? `{{${key}}}`,
        );
        await tx.raw(sql.replace(/\?/g, '\\?'));
      }
    });
  }
}

function authBlock(token: string, entry: TokenEntry, ttl: number) {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.metadata,
    lease_duration: ttl,
    renewable: !entry.root,
    entity_id: '',
    token_type: 'service',
    orphan: true,
  };
}

function envelope(fields: Record<string, unknown>) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: null,
    ...fields,
  };
}

/** Seconds from Vault's duration forms: a number of seconds, "90", "90s", "5m", "1h". */
function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !value) return undefined;
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (!match) throw new HttpError(400, [`invalid duration "${value}"`]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]]!;
  return Number(match[1]) * unit;
}

/**
 * Vault's policy path matching: a trailing `*` is a prefix; `+` is one path segment.
 *
 * @public
 */
export function matchesPolicyPath(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const parts = (glob ? pattern.slice(0, -1) : pattern).split('+');
  const regex = parts
    .map(part => part.replace(/[.*?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${regex}${glob ? '.*' : ''}$`).test(path);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
