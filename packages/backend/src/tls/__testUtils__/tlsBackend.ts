import {
  coreServices,
  createBackendPlugin,
  type BackendFeature,
} from '@backstage/backend-plugin-api';
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import express from 'express';
import { request as httpsRequest, type Agent } from 'node:https';
import { createServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  clientCertificateHttpAuthServiceFactory,
  clientCertificateTokenHandlerServiceFactory,
} from '../clientCertificateAuth';
import { sentinelRootHttpRouterServiceFactory } from '../rootHttpRouterServiceFactory';
import { CapturedLogs } from './capturedLogs';

/** Ports free on loopback right now, for listeners whose address must be known in advance. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>(resolve => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map(
    server => (server.address() as { port: number }).port,
  );
  await Promise.all(
    servers.map(server => new Promise(resolve => server.close(resolve))),
  );
  return ports;
}

const held: Array<() => void> = [];
const arrived: Array<() => void> = [];

/**
 * Requests to `GET /api/whoami/held` wait until this is called; the promise returned by
 * `heldRequestArrived()` resolves when one has reached the handler.
 */
export function releaseHeldRequests() {
  held.splice(0).forEach(release => release());
}

export function heldRequestArrived(): Promise<void> {
  return new Promise(resolve => arrived.push(resolve));
}

/**
 * A plugin that says who called: `GET /api/whoami` answers the caller's principal as the
 * plugin's httpAuth sees it (401 without credentials); `GET /api/whoami/held` answers the same
 * once the test releases it (a request in flight).
 */
export const whoamiPlugin = createBackendPlugin({
  pluginId: 'whoami',
  register(env) {
    env.registerInit({
      deps: {
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
      },
      async init({ httpRouter, httpAuth }) {
        const router = express.Router();
        router.get('/', (req, res, next) => {
          httpAuth
            .credentials(req, { allow: ['user', 'service'] })
            .then(credentials => res.json({ principal: credentials.principal }))
            .catch(next);
        });
        router.get('/held', (req, res, next) => {
          httpAuth
            .credentials(req, { allow: ['user', 'service'] })
            .then(async credentials => {
              const release = new Promise<void>(resolve => held.push(resolve));
              arrived.splice(0).forEach(resolve => resolve());
              await release;
              res.json({ principal: credentials.principal });
            })
            .catch(next);
        });
        httpRouter.use(router);
        httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      },
    });
  },
});

export interface TlsBackendFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  crlFile?: string;
}

/**
 * A Backstage backend as packages/backend builds it (backend-defaults' services, Sentinel's root
 * HTTP router and client-certificate auth) serving with `sentinel.tls`, on SQLite in memory,
 * external access from `externalAccess`, plus `features`. Logs are kept. (startTestBackend
 * insists on its own root HTTP router.)
 */
export async function startTlsBackend(options: {
  /** The TLS files; without them the backend serves plain HTTP (no sentinel.tls). */
  files?: TlsBackendFiles;
  externalAccess?: JsonObject[];
  config?: JsonObject;
  features?: Array<BackendFeature | Promise<{ default: BackendFeature }>>;
}) {
  const [port, healthPort, internalPort] = await freePorts(3);
  const logs = new CapturedLogs();
  const config: JsonObject = {
    ...options.config,
    backend: {
      baseUrl: `${options.files ? 'https' : 'http'}://localhost:${port}`,
      listen: { host: '127.0.0.1', port },
      auth: { externalAccess: options.externalAccess ?? [] },
      database: { client: 'better-sqlite3', connection: ':memory:' },
      ...(options.config?.backend as JsonObject | undefined),
    },
    ...(options.files && {
      discovery: {
        endpoints: [
          {
            target: {
              internal: `http://127.0.0.1:${internalPort}/api/{{pluginId}}`,
            },
            plugins: ['*'],
          },
        ],
      },
    }),
    sentinel: {
      ...(options.config?.sentinel as JsonObject | undefined),
      ...(options.files && {
        tls: {
          ...options.files,
          reloadDebounce: { milliseconds: 50 },
          healthListen: { host: '127.0.0.1', port: healthPort },
          internalListen: { host: '127.0.0.1', port: internalPort },
        },
      }),
    },
  };
  const backend = createBackend();
  for (const feature of [
    sentinelRootHttpRouterServiceFactory(),
    clientCertificateHttpAuthServiceFactory,
    clientCertificateTokenHandlerServiceFactory,
    mockServices.rootConfig.factory({ data: config }),
    logs.factory,
    whoamiPlugin,
    ...(options.features ?? []),
  ]) {
    backend.add(feature);
  }
  await backend.start();
  return { backend, logs, port, healthPort, internalPort };
}

export interface ClientCredentials {
  cert: string;
  key: string;
}

export type Outcome =
  | {
      status: number;
      body: string;
      /** The server certificate this connection was given (sha256 fingerprint). */
      serverFingerprint: string;
    }
  | { error: string; message: string };

/**
 * One HTTPS request to the listener on 127.0.0.1 (server name localhost), on a connection of
 * its own unless `agent` is given, trusting `ca` for the server's certificate.
 */
export function call(options: {
  port: number;
  path: string;
  ca: string | string[];
  client?: ClientCredentials;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  agent?: Agent;
}): Promise<Outcome> {
  return new Promise(resolve => {
    const body =
      options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: options.port,
        path: options.path,
        method: options.method ?? 'GET',
        ca: options.ca,
        ...options.client,
        agent: options.agent ?? false,
        headers: {
          ...(body && { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
      },
      res => {
        const socket = res.socket as TLSSocket;
        const serverFingerprint = socket.getPeerCertificate().fingerprint256;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', chunk => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            serverFingerprint,
          }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? 'unknown', message: error.message }),
    );
    req.end(body);
  });
}
