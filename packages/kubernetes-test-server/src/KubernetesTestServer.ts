import { randomUUID } from 'node:crypto';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
} from 'node:https';
import type { TLSSocket } from 'node:tls';
import { AddressInfo } from 'node:net';
import { WorkloadController } from './controller/WorkloadController';
import { injectFault, type KubernetesTestServerFaults } from './faults';
import { clone } from './objects';
import { PatchError, type JsonObject } from './patch';
import { renderPodMetrics } from './podMetrics';
import { forbiddenStatus, requestAttributes } from './rbac/attributes';
import { Authenticator } from './rbac/authentication';
import {
  AuthorizationLog,
  type AuthorizationRecord,
} from './rbac/AuthorizationLog';
import { BOOTSTRAP_POLICY } from './rbac/bootstrap';
import { RbacAuthorizer, type RoleRef } from './rbac/RbacAuthorizer';
import type { RbacPermission, UserInfo } from './rbac/rules';
import { selfSubjectAccessReview } from './rbac/selfSubjectAccessReview';
import { parseJson, readBody, sendJson } from './requests';
import { RESOURCE_NAMES, RESOURCES, type ResourceName } from './resources';
import { parseTarget, Router } from './router';
import { StatusError, statusBody } from './status';
import { ObjectStore } from './store';
import { WatchHub } from './watch';
import { WriteLog, type WriteRecord } from './writeLog';

export { READY_AFTER_ANNOTATION } from './controller/pods';
export type { KubernetesTestServerFaults } from './faults';
export type { WatchEventType } from './store';

/**
 * Options for {@link KubernetesTestServer}.
 *
 * @public
 */
export interface KubernetesTestServerOptions {
  /** The bearer token clients must present; a random one by default. */
  token?: string;
  /** How many watch events the server retains for watches that resume (default 1000). */
  historyLimit?: number;
  /** How often a watch with allowWatchBookmarks=true receives a BOOKMARK (default 5000 ms). */
  bookmarkIntervalMs?: number;
  /**
   * Serve HTTPS with this key and certificate (PEM) instead of plain http.
   * The certificate must name the host (e.g. IP SAN 127.0.0.1); `ca` (PEM,
   * the certificate itself by default) goes into the kubeconfig. Clients
   * built on client-go, kubectl among them, send the bearer token only over TLS.
   */
  tls?: {
    key: string;
    cert: string;
    ca?: string;
    /**
     * Also authenticate clients by certificate, as the kube-apiserver's
     * `--client-ca-file`: a client certificate that chains to this CA (PEM)
     * is the user of its CN, in the groups of its O fields (O=system:masters
     * is an administrator). A request with neither a valid certificate nor a
     * token is a 401. See `trustClientCertificates` to change it.
     */
    clientCa?: string;
  };
  /**
   * Run the built-in workload controller: Deployments and StatefulSets get
   * pods and a status that moves towards their spec (see the README). Off by
   * default, so that status stays exactly as written.
   */
  controller?: boolean;
  /**
   * How long a controller-made pod takes to become ready (default 300 ms). A pod template
   * annotation `test.sentinel.io/ready-after-ms` sets it per workload.
   */
  podReadyDelayMs?: number;
  /** How soon the controller reacts to a spec change (default 20 ms). */
  controllerTickMs?: number;
  /**
   * Multiplies `spec.progressDeadlineSeconds` (600 s by default) to scale time
   * down for tests; 1 by default, e.g. 0.001 turns 600 s into 600 ms.
   */
  progressDeadlineScale?: number;
}

/**
 * A Kubernetes API test server (workloads, pods, services, events, Ingresses,
 * HTTPRoutes, ServiceAccounts and RBAC) that speaks the real REST protocol
 * (JSON only), so that `@kubernetes/client-node` and kubectl can drive it.
 * This class is the HTTP front (TLS, authentication, RBAC authorization,
 * faults, the pods' metrics); the store, routes, watches, the authorizer and
 * the controller live in modules of their own.
 *
 * @public
 */
export class KubernetesTestServer {
  /** The bearer token clients must present. */
  readonly token: string;
  private readonly tls?: KubernetesTestServerOptions['tls'];
  private readonly store: ObjectStore;
  private readonly watches: WatchHub;
  private readonly router: Router;
  private readonly authenticator: Authenticator;
  private readonly authorizer: RbacAuthorizer;
  private readonly authorizationLog: AuthorizationLog;
  private readonly writeLog = new WriteLog();
  private readonly controller?: WorkloadController;
  private server?: Server;
  private serverUrl?: string;
  private faults: KubernetesTestServerFaults = {};

  constructor(options: KubernetesTestServerOptions = {}) {
    this.token = options.token ?? randomUUID();
    this.tls = options.tls;
    this.store = new ObjectStore(options.historyLimit ?? 1000);
    this.watches = new WatchHub(this.store, {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    });
    this.router = new Router(this.store, this.watches);
    for (const [resource, object] of BOOTSTRAP_POLICY) {
      this.store.bootstrap(resource, object);
    }
    this.authenticator = new Authenticator(this.token, this.store);
    this.authorizer = new RbacAuthorizer(this.store);
    this.authorizationLog = new AuthorizationLog(this.store);
    if (options.controller) {
      this.controller = new WorkloadController(this.store, {
        podReadyDelayMs: options.podReadyDelayMs ?? 300,
        tickMs: options.controllerTickMs ?? 20,
        progressDeadlineScale: options.progressDeadlineScale ?? 1,
      });
    }
  }

  /** Starts listening; port 0 (the default) picks a free port. */
  async start(
    options: { port?: number; host?: '127.0.0.1' } = {},
  ): Promise<{ url: string }> {
    if (this.server) {
      throw new Error('KubernetesTestServer is already started');
    }
    const host = options.host ?? '127.0.0.1';
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.requests += 1;
      this.writeLog.observe(req, res);
      return this.handle(req, res);
    };
    const server: Server = this.tls
      ? createHttpsServer(
          {
            key: this.tls.key,
            cert: this.tls.cert,
            // Asked for, not required: a client without one may still bring a token.
            ...(this.tls.clientCa && {
              requestCert: true,
              rejectUnauthorized: false,
              ca: this.tls.clientCa,
            }),
          },
          handler,
        )
      : createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on(this.tls ? 'secureConnection' : 'connection', () => {
      this.connections += 1;
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.serverUrl = `${this.tls ? 'https' : 'http'}://${host}:${port}`;
    this.controller?.start();
    return { url: this.serverUrl };
  }

  /**
   * From now on, client certificates must chain to `ca` and not be listed in
   * `crl` (PEM), for new connections; connections already open keep the
   * certificate they were verified with, as on a real API server. Needs
   * `tls.clientCa`.
   */
  trustClientCertificates(options: { ca: string; crl?: string }): void {
    if (!this.tls?.clientCa || !this.server) {
      throw new Error(
        'trustClientCertificates needs a started server with tls.clientCa',
      );
    }
    (this.server as HttpsServer).setSecureContext({
      key: this.tls.key,
      cert: this.tls.cert,
      ca: options.ca,
      ...(options.crl && { crl: options.crl }),
    });
  }

  /**
   * The SHA-256 fingerprints of the client certificates requests were
   * authenticated with, each with the number of requests, since the start.
   */
  clientCertificates(): Map<string, number> {
    return new Map(this.certificateRequests);
  }

  private readonly certificateRequests = new Map<string, number>();

  /** Connections clients opened so far (TLS handshakes, when serving https). */
  connections = 0;

  /** Requests answered so far (a watch counts once, when it starts). */
  requests = 0;

  /** A bearer token first, else a verified client certificate, as the kube-apiserver. */
  private authenticate(req: IncomingMessage): UserInfo {
    const socket = req.socket as TLSSocket;
    if (
      req.headers.authorization ||
      !this.tls?.clientCa ||
      !socket.authorized
    ) {
      return this.authenticator.authenticate(req.headers.authorization);
    }
    const peer = socket.getPeerCertificate();
    this.certificateRequests.set(
      peer.fingerprint256,
      (this.certificateRequests.get(peer.fingerprint256) ?? 0) + 1,
    );
    const organizations = peer.subject.O ?? [];
    return {
      username: String(peer.subject.CN),
      groups: [
        ...(Array.isArray(organizations) ? organizations : [organizations]),
        'system:authenticated',
      ],
    };
  }

  /** Ends every watch and stops listening. */
  async stop(): Promise<void> {
    this.disconnectWatches();
    const server = this.server;
    this.server = undefined;
    this.controller?.stop();
    if (!server) {
      return;
    }
    await new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The base URL of the running server. */
  get url(): string {
    if (!this.serverUrl) {
      throw new Error('KubernetesTestServer is not started');
    }
    return this.serverUrl;
  }

  /**
   * A kubeconfig (YAML) pointing at this server with its bearer token,
   * usable by `KubeConfig.loadFromString` and kubectl. Over plain http it
   * sets `insecure-skip-tls-verify: true`, without which
   * `@kubernetes/client-node` 2.x refuses an http: server; with `tls` it
   * carries the CA instead (kubectl sends the token only over TLS). `token`
   * (e.g. from `serviceAccountToken`) replaces the server's own, the
   * administrator's.
   */
  kubeconfig(
    options: { name?: string; namespace?: string; token?: string } = {},
  ): string {
    const name = JSON.stringify(options.name ?? 'kubernetes-test-server');
    const namespace = JSON.stringify(options.namespace ?? 'default');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${name}`,
      '  cluster:',
      `    server: ${JSON.stringify(this.url)}`,
      this.tls
        ? `    certificate-authority-data: ${Buffer.from(
            this.tls.ca ?? this.tls.cert,
          ).toString('base64')}`
        : // @kubernetes/client-node 2.x refuses an http: server unless this is set.
          '    insecure-skip-tls-verify: true',
      'users:',
      `- name: ${name}`,
      '  user:',
      `    token: ${JSON.stringify(options.token ?? this.token)}`,
      'contexts:',
      `- name: ${name}`,
      '  context:',
      `    cluster: ${name}`,
      `    user: ${name}`,
      `    namespace: ${namespace}`,
      `current-context: ${name}`,
      'preferences: {}',
      '',
    ].join('\n');
  }

  /**
   * A bearer token of the ServiceAccount `name` in `namespace`, which must
   * exist: requests with it are `system:serviceaccount:<namespace>:<name>`
   * (groups `system:serviceaccounts`, `system:serviceaccounts:<namespace>`,
   * `system:authenticated`), allowed only what RBAC grants it. It is refused
   * (401) once the ServiceAccount is deleted.
   */
  serviceAccountToken(namespace: string, name: string): string {
    return this.authenticator.issue(namespace, name);
  }

  /**
   * Seeds any object the server serves (a ServiceAccount, ClusterRole,
   * RoleBinding, Service, ...), found by its `apiVersion` and `kind`, as if it
   * had been created (namespaced objects without a namespace go to
   * `default`); returns it as stored. A manifest parsed from YAML goes in as
   * it is.
   */
  addObject(object: JsonObject): JsonObject {
    const resource = RESOURCE_NAMES.find(
      name =>
        RESOURCES[name].stored &&
        RESOURCES[name].apiVersion === object.apiVersion &&
        RESOURCES[name].kind === object.kind,
    );
    if (!resource) {
      throw new Error(
        `KubernetesTestServer does not serve ${object.apiVersion} ${object.kind}`,
      );
    }
    return this.seed(resource, object);
  }

  /**
   * What RBAC decided since the server started (or `clearAuthorizations`),
   * one record per kind of request: which rule of which role allowed it, or
   * the 403 message. The administrator's requests (`system:masters`) are not
   * RBAC's and are not recorded.
   */
  authorizations(): AuthorizationRecord[] {
    return this.authorizationLog.list();
  }

  /** Forgets what `authorizations` and `unusedPermissions` report. */
  clearAuthorizations(): void {
    this.authorizationLog.clear();
  }

  /**
   * The permissions of a Role or ClusterRole (one per verb, API group,
   * resource and name of each rule, as written) that allowed no request since
   * the server started (or `clearAuthorizations`): what a least-privilege
   * role would not grant. `describePermission` words each in a line.
   */
  unusedPermissions(role: RoleRef): RbacPermission[] {
    return this.authorizationLog.unusedPermissions(role);
  }

  /**
   * The writes answered since the server started (or `clearWrites`), one record per verb,
   * object and status code, whoever sent them: how often a client changed each object.
   */
  writes(): WriteRecord[] {
    return this.writeLog.list();
  }

  /** Forgets what `writes` reports. */
  clearWrites(): void {
    this.writeLog.clear();
  }

  /** Seeds a Deployment (status included) as if it had been created; returns it as stored. */
  addDeployment(object: JsonObject): JsonObject {
    return this.seed('deployments', object);
  }

  /** Seeds a StatefulSet (status included) as if it had been created; returns it as stored. */
  addStatefulSet(object: JsonObject): JsonObject {
    return this.seed('statefulsets', object);
  }

  /** The stored Deployment, or undefined. */
  getDeployment(namespace: string, name: string): JsonObject | undefined {
    const object = this.store.find('deployments', namespace, name);
    return object ? clone(object) : undefined;
  }

  /** The stored StatefulSet, or undefined. */
  getStatefulSet(namespace: string, name: string): JsonObject | undefined {
    const object = this.store.find('statefulsets', namespace, name);
    return object ? clone(object) : undefined;
  }

  /**
   * Ends every open watch stream, as an API server restart would; clients
   * resume from the last resourceVersion they saw.
   */
  disconnectWatches(): void {
    this.watches.disconnectAll();
  }

  /**
   * Injects faults into the requests that follow (replacing earlier ones;
   * `injectFaults({})` clears them): latency, failures with a 500 or 429
   * Status, or dropped connections.
   */
  injectFaults(faults: KubernetesTestServerFaults): void {
    this.faults = clone(faults);
  }

  /** The controller-made pods of a namespace (in-process, for tests). */
  listPods(namespace: string): JsonObject[] {
    return this.store.list('pods', namespace);
  }

  /** The current (newest) resourceVersion. */
  get currentResourceVersion(): string {
    return this.store.currentResourceVersion;
  }

  private seed(resource: ResourceName, object: JsonObject): JsonObject {
    const namespace = object.metadata?.namespace ?? 'default';
    return this.store.create(resource, namespace, object, true);
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    try {
      // The pods' own metrics endpoint (see podMetrics.ts), open as an application's usually
      // is, for Prometheus to scrape: not part of the API server, so no token.
      if (req.method === 'GET' && req.url === '/metrics') {
        const text = renderPodMetrics(
          this.controller?.servingPods() ?? [],
          Date.now(),
        );
        res.writeHead(200, {
          'Content-Type': 'text/plain; version=0.0.4',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      const user = this.authenticate(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (await injectFault(req, res, url, this.faults)) {
        return;
      }
      // As the kube-apiserver: authorized before anything is routed, so that a request
      // RBAC does not allow is a 403 whether or not its object or path exists.
      const attributes = requestAttributes(req.method ?? 'GET', url);
      const decision = this.authorizer.authorize(user, attributes);
      if (!decision.allowed) {
        const status = forbiddenStatus(
          user.username,
          attributes,
          decision.reason,
        );
        this.authorizationLog.record(
          user,
          attributes,
          decision,
          status.message,
        );
        sendJson(res, 403, status);
        return;
      }
      if (decision.grant) {
        this.authorizationLog.record(user, attributes, decision);
      }
      const body = await readBody(req);
      if (
        attributes.resourceRequest &&
        attributes.verb === 'create' &&
        attributes.apiGroup === 'authorization.k8s.io' &&
        attributes.resource === 'selfsubjectaccessreviews'
      ) {
        parseTarget(url.pathname.split('/').filter(Boolean)); // 404 when namespaced
        sendJson(
          res,
          201,
          selfSubjectAccessReview(this.authorizer, user, parseJson(body)),
        );
        return;
      }
      const answer = this.router.route(req, res, url, body);
      if (answer) {
        sendJson(res, answer.code, answer.body);
      }
    } catch (error) {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof StatusError) {
        sendJson(
          res,
          error.code,
          statusBody(error.code, error.reason, error.message, error.details),
        );
      } else if (error instanceof PatchError) {
        sendJson(
          res,
          error.code,
          statusBody(
            error.code,
            error.code === 422 ? 'Invalid' : 'BadRequest',
            error.message,
          ),
        );
      } else {
        sendJson(res, 500, statusBody(500, 'InternalError', String(error)));
      }
    }
  }
}
