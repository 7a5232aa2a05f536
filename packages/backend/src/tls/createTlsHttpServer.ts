import type { LoggerService } from '@backstage/backend-plugin-api';
import type { ExtendedHttpServer } from '@backstage/backend-defaults/rootHttpRouter';
import {
  createServer as createHttpServer,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ListenAddress, TlsServerConfig } from './config';
import { readTlsCredentials } from './certificateFiles';
import { createTlsMetrics } from './metrics';
import { TlsCredentialsWatcher } from './TlsCredentialsWatcher';

/**
 * What the plain health listener answers, exactly these paths and nothing else: Backstage's
 * readiness and liveness, and Sentinel's readiness (its plan store answers). None needs
 * credentials and none says more than up or down.
 */
export const HEALTH_PATHS: readonly string[] = [
  '/.backstage/health/v1/readiness',
  '/.backstage/health/v1/liveness',
  '/api/sentinel/health',
];

/** Passes GET and HEAD of the health paths to `app`; a 404 for everything else. */
export function healthOnly(app: RequestListener): RequestListener {
  const paths = new Set(HEALTH_PATHS);
  return (req, res) => {
    // Compared as sent, with no normalisation, so `/api/sentinel/health/../v1` is not health.
    const path = (req.url ?? '').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && paths.has(path)) {
      app(req, res);
      return;
    }
    res.statusCode = 404;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        error: {
          name: 'NotFoundError',
          message: 'This port serves only the health endpoints',
        },
        response: { statusCode: 404 },
      }),
    );
  };
}

function listen(server: Server, { host, port }: ListenAddress) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server, graceful: boolean) {
  return new Promise<void>((resolve, reject) => {
    if (graceful) server.closeIdleConnections();
    else server.closeAllConnections();
    server.close(error => (error ? reject(error) : resolve()));
  });
}

/**
 * TLS 1.2 suites: forward secrecy and AEAD only (Mozilla's "intermediate" list). Node's default
 * also offers CBC suites and plain RSA key exchange, which a scanner reports as weak. TLS 1.3's
 * suites are all strong and stay Node's.
 */
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The backend's listener when `sentinel.tls` is set: HTTPS on `backend.listen`, requiring a
 * client certificate that chains to the CA bundle (unknown CA, expired, not yet valid and
 * revoked certificates never reach HTTP), its certificates reloaded from their files without a
 * restart; beside it, optionally, a plain listener for the health endpoints only (kubelet
 * probes carry no client certificate) and a plain loopback listener for Backstage's calls
 * between plugins (discovery's internal URL). Shaped like backend-defaults' createHttpServer,
 * so the rest of the root HTTP router is Backstage's own.
 */
export async function createTlsHttpServer(
  app: RequestListener,
  listenAddress: ListenAddress,
  tls: TlsServerConfig,
  deps: { logger: LoggerService },
): Promise<ExtendedHttpServer> {
  const { logger } = deps;
  const metrics = createTlsMetrics();
  const fixed = {
    minVersion: 'TLSv1.2' as const,
    ciphers: TLS12_CIPHERS,
    requestCert: tls.requireClientCertificate,
    rejectUnauthorized: tls.requireClientCertificate,
  };
  // Throws at start when the files do not make a TLS context: no listener without them.
  const initial = await readTlsCredentials(tls.files);
  const server = createHttpsServer({ ...initial.context, ...fixed }, app);
  const watcher = TlsCredentialsWatcher.start({
    files: tls.files,
    debounceMs: tls.reloadDebounceMs,
    logger,
    metrics,
    initial,
    // New handshakes get the new context; connections already open keep theirs.
    onChange: credentials =>
      server.setSecureContext({ ...credentials.context, ...fixed }),
  });

  server.on(
    'tlsClientError',
    (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      const reason =
        (socket.authorizationError as unknown as string | null) ??
        error.code ??
        'unknown';
      metrics.refused(reason);
      // The socket is closed by now: its peer's address and certificate are gone with it.
      logger.info(`TLS client refused: ${reason}`);
    },
  );

  const extras: Array<{
    name: string;
    server: Server;
    address: ListenAddress;
  }> = [];
  if (tls.healthListen) {
    extras.push({
      name: 'health endpoints (plain HTTP)',
      server: createHttpServer(healthOnly(app)),
      address: tls.healthListen,
    });
  }
  if (tls.internalListen) {
    extras.push({
      name: 'calls between plugins (plain HTTP, loopback)',
      server: createHttpServer(app),
      address: tls.internalListen,
    });
  } else {
    logger.warn(
      'sentinel.tls.internalListen is not set: Backstage plugins calling each other through discovery will fail unless discovery.endpoints points them elsewhere',
    );
  }

  return Object.assign(server, {
    async start() {
      await listen(server, listenAddress);
      logger.info(
        `Listening on ${listenAddress.host}:${listenAddress.port} (HTTPS${
          tls.requireClientCertificate ? ', client certificates required' : ''
        })`,
      );
      for (const extra of extras) {
        await listen(extra.server, extra.address);
        logger.info(
          `Listening on ${extra.address.host}:${extra.address.port} for ${extra.name}`,
        );
      }
    },
    async stop() {
      watcher.stop();
      // As backend-defaults does: in development drop every connection, else let requests end.
      const graceful = process.env.NODE_ENV !== 'development';
      await Promise.all([
        close(server, graceful),
        ...extras.map(extra => close(extra.server, graceful)),
      ]);
    },
    port() {
      const address = server.address();
      if (typeof address === 'string' || address === null) {
        throw new Error(`Unexpected server address '${address}'`);
      }
      return address.port;
    },
  });
}
