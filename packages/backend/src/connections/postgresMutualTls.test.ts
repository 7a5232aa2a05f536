import { DatabaseManager } from '@backstage/backend-defaults/database';
import { ConfigReader, type Config } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { TestPki } from '@internal/kubernetes-test-server';
import {
  startPostgresCluster,
  type PostgresCluster,
} from '@internal/vault-test-server';
import { randomBytes } from 'node:crypto';
import {
  loadProductionConfig,
  PodFiles,
} from './__testUtils__/productionConfig';

jest.setTimeout(60_000);

// Sentinel's database connection as app-config.production.yaml configures it, against a
// PostgreSQL of the test's own that takes only TLS connections with a client certificate
// (pg_hba `hostssl ... cert clientcert=verify-full`).
describe('PostgreSQL over mutual TLS', () => {
  const pki = new TestPki();
  const serverCa = pki.ca('postgres-server-ca');
  const clientCa = pki.ca('postgres-client-ca');
  const otherCa = pki.ca('someone-elses-ca');
  const server = serverCa.issue('localhost', {
    usage: 'server',
    subjectAltNames: ['DNS:localhost'],
  });
  const client = clientCa.issue('sentinel', { usage: 'client' });
  const files = new PodFiles(pki.path('etc'));
  let postgres: PostgresCluster;

  beforeAll(async () => {
    postgres = await startPostgresCluster({
      tls: server,
      clientCaFile: clientCa.certFile,
    });
    postgres.psql('CREATE ROLE sentinel LOGIN CREATEDB');
  });
  afterAll(() => {
    postgres?.stop();
    pki.remove();
  });

  /** The pod's files: the CA, the client certificate, and a password PostgreSQL never asks. */
  function podFiles(options: { ca?: string } = {}) {
    files.write('secrets/postgres-password', randomBytes(12).toString('hex'));
    files.write('tls/postgres-ca.crt', options.ca ?? serverCa.cert);
    files.write('postgres-client/tls.crt', client.cert);
    files.write('postgres-client/tls.key', client.key);
  }

  const production = (host = 'localhost') =>
    loadProductionConfig(
      files,
      {
        SENTINEL_BASE_URL: 'https://sentinel.example.com',
        POSTGRES_HOST: host,
        POSTGRES_PORT: String(postgres.port),
        POSTGRES_USER: 'sentinel',
      },
      ['backend.database'],
    );

  /** Connects as the sentinel plugin does and asks the server who it is talking to. */
  async function whoAmI(config: Config) {
    const database = DatabaseManager.fromConfig(config).forPlugin('sentinel', {
      logger: mockServices.logger.mock(),
      lifecycle: mockServices.lifecycle.mock(),
    });
    const knex = await database.getClient();
    try {
      const { rows } = await knex.raw(
        'SELECT current_user AS "user", ssl, client_dn AS "clientDn" FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return rows[0];
    } finally {
      await knex.destroy();
    }
  }

  it('connects with the client certificate, verifying the server by its CA and host name', async () => {
    podFiles();
    await expect(whoAmI(await production())).resolves.toEqual({
      user: 'sentinel',
      ssl: true,
      clientDn: '/CN=sentinel',
    });
  });

  it('refuses a server whose certificate another CA signed', async () => {
    podFiles({ ca: otherCa.cert });
    await expect(whoAmI(await production())).rejects.toThrow(
      'unable to verify the first certificate',
    );
  });

  it('refuses a server whose certificate names another host', async () => {
    podFiles();
    await expect(whoAmI(await production('127.0.0.1'))).rejects.toThrow(
      "IP: 127.0.0.1 is not in the cert's list",
    );
  });

  it('is refused by the server without a client certificate', async () => {
    podFiles();
    const config = (await production()).get<any>();
    const { cert, key, ...ssl } = config.backend.database.connection.ssl;
    expect(cert).toBe(client.cert.trim());
    expect(key).toBe(client.key.trim());
    config.backend.database.connection.ssl = ssl;
    await expect(whoAmI(new ConfigReader(config))).rejects.toThrow(
      'connection requires a valid client certificate',
    );
  });
});
