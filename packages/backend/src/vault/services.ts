import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type LifecycleService,
  type LoggerService,
  type RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader, type Config } from '@backstage/config';
import { ConfigSources } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { readVaultConfig } from './config';
import { LeasedCredentials } from './LeasedCredentials';
import { registerVaultMetrics } from './metrics';
import { useRotatingCredentials } from './rotatingCredentials';
import { VaultAwareRootHealth } from './rootHealth';
import type { VaultStatus } from './status';
import { createVaultSubstitution, isVaultReference } from './substitution';
import { VaultClient } from './VaultClient';

/** Sentinel's connection to Vault, when `vault` is configured. */
export interface VaultService {
  client?: VaultClient;
  /** The dynamic PostgreSQL credentials, with `vault.database`. */
  databaseCredentials?: LeasedCredentials;
  status(): VaultStatus | undefined;
}

export const vaultServiceRef = createServiceRef<VaultService>({
  id: 'sentinel.vault',
  scope: 'root',
});

/** Options of {@link vaultServiceFactories}. */
export interface VaultServiceOptions {
  /** Command line (`--config` files); `process.argv` by default. */
  argv?: string[];
  /** Environment for `${VAR}` substitution; `process.env` by default. */
  env?: Record<string, string | undefined>;
  /** Watch the config files (as Backstage's root config does); true by default. */
  watch?: boolean;
}

/**
 * Secrets from Vault (docs/security.md, "Secrets from Vault"): the root config service with
 * `${vault:<mount>/data/<path>#<key>}` substitution from KV v2, the Vault service (login, token
 * and lease renewal, status and metrics), the database service taking rotating PostgreSQL
 * credentials from Vault's database secrets engine with `vault.database`, and the root health
 * service saying whether Vault's secrets are still valid. Without `vault` in app-config each
 * behaves as Backstage's default.
 */
export function vaultServiceFactories(options: VaultServiceOptions = {}) {
  const env = options.env ?? process.env;
  // The client the config was loaded with: the root config service makes it (the `vault` keys
  // are in the config it loads) and the Vault service takes it over.
  let configClient: VaultClient | undefined;
  const startupLogger = consoleLogger();

  const rootConfig = createServiceFactory({
    service: coreServices.rootConfig,
    deps: {},
    async factory() {
      const argv = options.argv ?? process.argv;
      // First the `vault` keys, with Vault's references left empty.
      const withoutVault = await ConfigSources.toConfig(
        ConfigSources.default({
          argv,
          env,
          watch: false,
          substitutionFunc: async name =>
            isVaultReference(name) ? undefined : env[name]?.trim(),
        }),
      );
      withoutVault.close();
      const vaultConfig = readVaultConfig(withoutVault);
      if (vaultConfig) {
        configClient = new VaultClient({
          address: vaultConfig.address,
          role: vaultConfig.role,
          authMount: vaultConfig.authMount,
          tokenPath: vaultConfig.tokenPath,
          requestTimeoutMs: vaultConfig.requestTimeoutMs,
          logger: startupLogger,
        });
      }
      const source = ConfigSources.default({
        argv,
        env,
        watch: options.watch,
        substitutionFunc: createVaultSubstitution(configClient, env),
      });
      console.log(`Loading config from ${source}`);
      return await ConfigSources.toConfig(source);
    },
  });

  const vault = createServiceFactory({
    service: vaultServiceRef,
    deps: {
      config: coreServices.rootConfig,
      rootLogger: coreServices.rootLogger,
      rootLifecycle: coreServices.rootLifecycle,
    },
    async factory({
      config,
      rootLogger,
      rootLifecycle,
    }): Promise<VaultService> {
      const vaultConfig = readVaultConfig(config);
      if (!vaultConfig) {
        return { status: () => undefined };
      }
      const logger = rootLogger.child({ service: 'vault' });
      const client =
        configClient ??
        new VaultClient({
          address: vaultConfig.address,
          role: vaultConfig.role,
          authMount: vaultConfig.authMount,
          tokenPath: vaultConfig.tokenPath,
          requestTimeoutMs: vaultConfig.requestTimeoutMs,
          logger,
        });
      client.setLogger(logger);
      await client.login();
      let databaseCredentials: LeasedCredentials | undefined;
      const status = (): VaultStatus => ({
        connection: client.state(),
        database: databaseCredentials && {
          username: databaseCredentials.current().username,
          validUntil: databaseCredentials.current().expiresAt,
        },
      });
      const metrics = registerVaultMetrics(status);
      if (vaultConfig.database) {
        databaseCredentials = new LeasedCredentials(client, {
          path: `${vaultConfig.database.mount}/creds/${vaultConfig.database.role}`,
          logger,
        });
        await databaseCredentials.start();
        databaseCredentials.onRotate(() => metrics.rotated());
      }
      rootLifecycle.addShutdownHook(() => {
        databaseCredentials?.stop();
        client.close();
      });
      return { client, databaseCredentials, status };
    },
  });

  const database = createServiceFactory({
    service: coreServices.database,
    deps: {
      config: coreServices.rootConfig,
      lifecycle: coreServices.lifecycle,
      logger: coreServices.logger,
      pluginMetadata: coreServices.pluginMetadata,
      rootLifecycle: coreServices.rootLifecycle,
      rootLogger: coreServices.rootLogger,
      vault: vaultServiceRef,
    },
    async createRootContext({ config, rootLifecycle, rootLogger, vault: v }) {
      const credentials = v.databaseCredentials;
      if (!credentials) {
        // backend-defaults' database service, as it is.
        return DatabaseManager.fromConfig(
          config.getOptional('backend.database')
            ? config
            : new ConfigReader({
                backend: {
                  database: {
                    client: 'better-sqlite3',
                    connection: ':memory:',
                  },
                },
              }),
          { rootLifecycle, rootLogger },
        );
      }
      return rotatingDatabaseManager(config, credentials, {
        rootLifecycle,
        rootLogger,
      });
    },
    async factory({ pluginMetadata, lifecycle, logger }, manager) {
      return manager.forPlugin(pluginMetadata.getId(), { lifecycle, logger });
    },
  });

  const rootHealth = createServiceFactory({
    service: coreServices.rootHealth,
    deps: {
      lifecycle: coreServices.rootLifecycle,
      vault: vaultServiceRef,
    },
    async factory({ lifecycle, vault: v }) {
      return new VaultAwareRootHealth(lifecycle, () => v.status());
    },
  });

  return [rootConfig, vault, database, rootHealth] as const;
}

/**
 * Backstage's database manager, given the current credentials for `backend.database.connection`
 * (which must then be an object without user and password), with every plugin's knex client
 * taking new credentials as they rotate.
 */
function rotatingDatabaseManager(
  config: Config,
  credentials: LeasedCredentials,
  options: { rootLifecycle: RootLifecycleService; rootLogger: LoggerService },
) {
  const connection = config.getOptional('backend.database.connection');
  if (config.getString('backend.database.client') !== 'pg') {
    throw new Error(
      'vault.database gives PostgreSQL credentials: backend.database.client must be pg',
    );
  }
  if (typeof connection !== 'object' || connection === null) {
    throw new Error(
      'With vault.database, backend.database.connection must be an object (host, port, ssl), not a connection string: user and password come from Vault',
    );
  }
  const withCredentials = () => {
    const { username, password } = credentials.current();
    return ConfigReader.fromConfigs([
      { context: 'app-config', data: config.get() as JsonObject },
      {
        context: 'vault',
        data: {
          backend: {
            database: { connection: { user: username, password } },
          },
        },
      },
    ]);
  };
  // Databases of plugins that start later are made with the credentials of that moment.
  let manager = DatabaseManager.fromConfig(withCredentials(), options);
  credentials.onRotate(() => {
    manager = DatabaseManager.fromConfig(withCredentials());
  });
  return {
    forPlugin(
      pluginId: string,
      deps: { lifecycle: LifecycleService; logger: LoggerService },
    ) {
      const service = manager.forPlugin(pluginId, deps);
      let client: ReturnType<typeof service.getClient> | undefined;
      return {
        migrations: service.migrations,
        getClient() {
          client ??= service.getClient().then(knex => {
            useRotatingCredentials(
              knex,
              () => credentials.current(),
              credential => credentials.refused(credential),
            );
            return knex;
          });
          return client;
        },
      };
    },
  };
}

/** Logs of the Vault client while the config loads, before Backstage's logger exists. */
function consoleLogger(): LoggerService {
  const log =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, meta?: Error | object) => {
      if (level === 'debug') return;
      const detail = meta instanceof Error ? ` ${meta.message}` : '';
      console[level === 'info' ? 'log' : level](`[vault] ${message}${detail}`);
    };
  const logger: LoggerService = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: () => logger,
  };
  return logger;
}
