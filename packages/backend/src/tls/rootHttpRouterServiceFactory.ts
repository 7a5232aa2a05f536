import {
  coreServices,
  createServiceFactory,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import {
  createHealthRouter,
  createHttpServer,
  DefaultRootHttpRouter,
  MiddlewareFactory,
  readHttpServerOptions,
  type RootHttpRouterFactoryOptions,
} from '@backstage/backend-defaults/rootHttpRouter';
import { readDurationFromConfig, type Config } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import express from 'express';
import type { Server } from 'node:http';
import { readTlsServerConfig } from './config';
import { createTlsHttpServer } from './createTlsHttpServer';

/**
 * backend.server's timeouts and limits, applied as backend-defaults applies them: a number of
 * milliseconds or a duration.
 */
function applyServerSettings(
  server: Server,
  backend: Config | undefined,
  logger: LoggerService,
) {
  const settings = backend?.getOptionalConfig('server');
  if (!settings) return;
  const duration = (key: string) => {
    if (!settings.has(key)) return undefined;
    const value = settings.getOptional(key);
    if (typeof value === 'number') return value;
    try {
      return durationToMilliseconds(readDurationFromConfig(settings, { key }));
    } catch (error) {
      logger.warn(
        `Failed to parse backend.server.${key} as duration: ${error}; left at Node's default`,
      );
      return undefined;
    }
  };
  const timeouts = {
    headersTimeout: duration('headersTimeout'),
    requestTimeout: duration('requestTimeout'),
    keepAliveTimeout: duration('keepAliveTimeout'),
    timeout: duration('timeout'),
    maxHeadersCount: settings.getOptionalNumber('maxHeadersCount'),
    maxRequestsPerSocket: settings.getOptionalNumber('maxRequestsPerSocket'),
  };
  for (const [key, value] of Object.entries(timeouts)) {
    if (value !== undefined) Object.assign(server, { [key]: value });
  }
}

/**
 * The root HTTP router of Backstage's backend-defaults (0.18, Backstage 1.55.0), built from the
 * same exported parts (DefaultRootHttpRouter, MiddlewareFactory, createHealthRouter,
 * createHttpServer), with one difference: when `sentinel.tls` is set, the server is HTTPS with
 * client certificates required and certificates reloaded from their files
 * (createTlsHttpServer; ADR 013).
 * Without `sentinel.tls` it is backend-defaults' server, as configured by `backend.listen`
 * and `backend.https`. Takes backend-defaults' options (`indexPath`, `configure`).
 */
export function sentinelRootHttpRouterServiceFactory(
  options: RootHttpRouterFactoryOptions = {},
) {
  return createServiceFactory({
    service: coreServices.rootHttpRouter,
    deps: {
      config: coreServices.rootConfig,
      rootLogger: coreServices.rootLogger,
      lifecycle: coreServices.rootLifecycle,
      health: coreServices.rootHealth,
    },
    async factory({ config, rootLogger, lifecycle, health }) {
      const { indexPath, configure = ctx => ctx.applyDefaults() } = options;
      const logger = rootLogger.child({ service: 'rootHttpRouter' });
      const app = express();
      const backend = config.getOptionalConfig('backend');
      const httpOptions = readHttpServerOptions(backend);
      const tls = readTlsServerConfig(config);
      const server = tls
        ? await createTlsHttpServer(app, httpOptions.listen, tls, { logger })
        : await createHttpServer(app, httpOptions, { logger });

      const router = DefaultRootHttpRouter.create({ indexPath });
      const middleware = MiddlewareFactory.create({ config, logger });
      const routes = router.handler();
      const healthRouter = createHealthRouter({ config, health });
      configure({
        app,
        server,
        routes,
        middleware,
        config,
        logger,
        lifecycle,
        healthRouter,
        applyDefaults() {
          if (process.env.NODE_ENV === 'development') {
            app.set('json spaces', 2);
          }
          const trustProxy = config.getOptional('backend.trustProxy');
          if (trustProxy !== undefined) {
            app.set('trust proxy', trustProxy);
          }
          applyServerSettings(server, backend, logger);
          app.use(middleware.helmet());
          app.use(middleware.cors());
          app.use(middleware.compression());
          app.use(middleware.logging());
          app.use(middleware.rateLimit());
          app.use(healthRouter);
          app.use(routes);
          app.use(middleware.notFound());
          app.use(middleware.error());
        },
      });

      if (config.has('backend.lifecycle.serverShutdownDelay')) {
        const delay = durationToMilliseconds(
          readDurationFromConfig(config, {
            key: 'backend.lifecycle.serverShutdownDelay',
          }),
        );
        lifecycle.addBeforeShutdownHook(
          () => new Promise<void>(resolve => setTimeout(resolve, delay)),
        );
      }
      lifecycle.addShutdownHook(() => server.stop());
      await server.start();
      return router;
    },
  });
}
