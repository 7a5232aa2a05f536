import { rmSync } from 'node:fs';
import { printConfig } from './__testUtils__/backstageConfig';
import { pluginsWithDatabase } from './__testUtils__/backendPlugins';
import { containerOf, materialize } from './__testUtils__/container';
import { kustomize, only, type KubeObject } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';
import { secretReferences } from './__testUtils__/secrets';

jest.setTimeout(120_000);

/** The pods that match a selector's labels. */
const selects = (
  selector: Record<string, string>,
  labels: Record<string, string>,
) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The secret a file the backend reads comes from: volume, source and key. */
function fileSource(deployment: KubeObject, path: string) {
  const pod = deployment.spec.template.spec;
  for (const mount of pod.containers[0].volumeMounts) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    const volume = pod.volumes.find((v: any) => v.name === mount.name);
    const sources = volume.secret
      ? [{ name: volume.secret.secretName, items: volume.secret.items }]
      : volume.projected.sources.map((s: any) => s.secret);
    for (const source of sources) {
      const item = source.items.find(
        (i: { path: string }) => `${mount.mountPath}/${i.path}` === path,
      );
      if (item)
        return { secret: source.name as string, key: item.key as string };
    }
  }
  throw new Error(`no secret file at ${path}`);
}

describe('the plugins the backend gives a database', () => {
  it('are the ones deploy/README.md counts PostgreSQL connections for', () => {
    // A plugin added here (or one that starts using a database) changes the connection
    // budget: update max_connections (deploy/k8s/data-services) and deploy/README.md.
    expect(pluginsWithDatabase()).toEqual([
      'app',
      'auth',
      'catalog',
      'events',
      'notifications',
      'scaffolder',
      'sentinel',
      'user-settings',
    ]);
  });
});

describe.each(['staging', 'production'])(
  'environment %s: PostgreSQL and Redis',
  name => {
    const { objects } = kustomize(`environments/${name}`);
    const namespace = `sentinel-${name}`;
    const deployment = only(objects, 'Deployment', 'sentinel');
    const cluster = only(objects, 'Cluster');
    const view = containerOf(objects);
    const { env } = view;

    it('validates the CloudNativePG and Barman Cloud objects against their schemas', () => {
      const custom = objects.filter(o => /cnpg\.io\//.test(o.apiVersion));
      expect(custom.map(o => o.kind).sort()).toEqual([
        'Cluster',
        'ObjectStore',
        'ScheduledBackup',
      ]);
      expect(custom.flatMap(schemaProblems)).toEqual([]);
    });

    it('runs PostgreSQL as a primary with replicas, over TLS only, with requests and storage', () => {
      const spec = cluster.spec;
      expect(spec.instances).toBeGreaterThanOrEqual(
        name === 'production' ? 3 : 2,
      );
      expect(spec.certificates.serverCASecret).toBeTruthy();
      expect(spec.postgresql.pg_hba).toContain('hostnossl all all all reject');
      expect(spec.resources.requests).toEqual(
        expect.objectContaining({
          cpu: expect.anything(),
          memory: expect.anything(),
        }),
      );
      // Memory limited to what is requested: PostgreSQL is not the first to be evicted.
      expect(spec.resources.limits.memory).toBe(spec.resources.requests.memory);
      expect(spec.storage.size).toMatch(/^\d+Gi$/);
      expect(spec.enableSuperuserAccess).toBe(false);
      // Spread over zones: a zone lost takes at most the primary or a replica.
      expect(spec.affinity.topologyKey).toBe('topology.kubernetes.io/zone');
      // Production's commits are on two servers before Sentinel hears of them.
      expect(spec.postgresql.synchronous).toEqual(
        name === 'production' ? { method: 'any', number: 1 } : undefined,
      );
      // Argo CD never deletes it (its volumes would go with it).
      expect(
        (cluster.metadata.annotations as Record<string, string>)[
          'argocd.argoproj.io/sync-options'
        ],
      ).toBe('Prune=false,Delete=false');
    });

    it('backs it up nightly, and archives its WAL, into the object store it names', () => {
      const backup = only(objects, 'ScheduledBackup');
      const store = only(objects, 'ObjectStore');
      const archiver = cluster.spec.plugins.find(
        (p: { isWALArchiver?: boolean }) => p.isWALArchiver,
      );
      expect(backup.spec.cluster.name).toBe(cluster.metadata.name);
      expect(backup.spec.method).toBe('plugin');
      expect(backup.spec.pluginConfiguration.name).toBe(archiver.name);
      expect(archiver.parameters.barmanObjectName).toBe(store.metadata.name);
      // CloudNativePG's schedule has six fields, seconds first.
      expect(backup.spec.schedule.split(' ')).toHaveLength(6);
      expect(store.spec.configuration.destinationPath).toBe(
        `s3://sentinel-backups/${name}`,
      );
    });

    it("connects Sentinel to the Cluster's primary service, as its owner, with its password and CA", () => {
      expect(env.POSTGRES_HOST).toBe(
        `${cluster.metadata.name}-rw.${namespace}.svc`,
      );
      expect(cluster.metadata.namespace).toBe(namespace);
      expect(env.POSTGRES_PORT).toBe('5432');
      const initdb = cluster.spec.bootstrap.initdb;
      const role = cluster.spec.managed.roles.find(
        (r: { name: string }) => r.name === initdb.owner,
      );
      expect(env.POSTGRES_USER).toBe(initdb.owner);
      // Backstage creates a database per plugin when it starts.
      expect(role).toMatchObject({ login: true, createdb: true });
      expect(role.passwordSecret.name).toBe(initdb.secret.name);
      // The password file the backend reads is the owner's password.
      expect(
        fileSource(deployment, '/etc/sentinel/secrets/postgres-password'),
      ).toEqual({ secret: initdb.secret.name, key: 'password' });
      // The username CloudNativePG reads from that Secret is POSTGRES_USER.
      const credentials = only(objects, 'SealedSecret', initdb.secret.name);
      expect(credentials.spec.template.type).toBe('kubernetes.io/basic-auth');
      expect(credentials.spec.template.data.username).toBe(env.POSTGRES_USER);
      // The CA the backend trusts is the one that signs the server's certificate.
      expect(
        fileSource(deployment, '/etc/sentinel/tls/postgres-ca.crt'),
      ).toEqual({
        secret: cluster.spec.certificates.serverCASecret,
        key: 'ca.crt',
      });
      // Every secret the Cluster and the Deployment read lives in their namespace.
      expect(
        secretReferences(objects).filter(r => r.namespace !== namespace),
      ).toEqual([]);
    });

    it("signs Sentinel in to PostgreSQL with the owner's client certificate, from the CA the Cluster trusts", () => {
      const owner = cluster.spec.bootstrap.initdb.owner;
      const client = only(objects, 'Certificate', 'sentinel-postgres-client');
      expect(client.spec.commonName).toBe(owner);
      expect(client.spec.usages).toContain('client auth');
      // Issued by the CA whose ca.crt the Cluster checks client certificates against.
      const issuer = only(objects, 'Issuer', client.spec.issuerRef.name);
      expect(issuer.spec.ca.secretName).toBe(
        cluster.spec.certificates.clientCASecret,
      );
      const replication = only(
        objects,
        'Certificate',
        'sentinel-postgres-replication',
      );
      expect(replication.spec.secretName).toBe(
        cluster.spec.certificates.replicationTLSSecret,
      );
      expect(replication.spec.commonName).toBe('streaming_replica');
      expect(replication.spec.issuerRef.name).toBe(issuer.metadata.name);
      // The owner may sign in only with it, over TLS.
      expect(cluster.spec.postgresql.pg_hba).toEqual([
        'hostnossl all all all reject',
        `hostssl all ${owner} all cert clientcert=verify-full`,
      ]);
      // The files the backend reads are that Secret's.
      for (const [file, key] of [
        ['tls.crt', 'tls.crt'],
        ['tls.key', 'tls.key'],
      ]) {
        expect(
          fileSource(deployment, `/etc/sentinel/postgres-client/${file}`),
        ).toEqual({ secret: client.spec.secretName, key });
      }
    });

    describe('with the configuration the backend runs with', () => {
      const { root, configFiles } = materialize(view);
      afterAll(() => rmSync(root, { recursive: true, force: true }));
      let config: any;
      beforeAll(() => {
        config = printConfig(
          configFiles.flatMap(file => ['--config', file]),
          env,
        );
      });

      it('verifies the server certificate over TLS and presents the client certificate', () => {
        const ssl = config.backend.database.connection.ssl;
        expect(ssl.ca).toContain('placeholder for');
        expect(ssl.rejectUnauthorized).not.toBe(false);
        expect(ssl.cert).toContain('placeholder for');
        expect(ssl.key).toContain('placeholder for');
      });

      it('lets PostgreSQL take every connection the replicas may open, during a rollout too', () => {
        const pool = config.backend.database.knexConfig?.pool?.max;
        expect(typeof pool).toBe('number');
        const replicas = deployment.spec.replicas;
        const surge =
          deployment.spec.strategy?.rollingUpdate?.maxSurge ?? '25%';
        const extra =
          typeof surge === 'number'
            ? surge
            : Math.ceil((replicas * parseInt(surge, 10)) / 100);
        // Each plugin's pool, the one-connection pool that creates databases at start, and
        // the events bus's LISTEN connection (a raw connection, outside the events pool).
        const plugins = pluginsWithDatabase();
        const perReplica =
          plugins.length * pool + 1 + (plugins.includes('events') ? 1 : 0);
        // PostgreSQL keeps superuser_reserved_connections (3) for itself.
        const needed = (replicas + extra) * perReplica + 3;
        expect(
          Number(cluster.spec.postgresql.parameters.max_connections),
        ).toBeGreaterThanOrEqual(needed);
      });
    });

    it("connects Sentinel to Redis's primary, which keeps nothing on disk", () => {
      const url = new URL(env.REDIS_URL);
      const [service, serviceNamespace, svc] = url.hostname.split('.');
      expect([serviceNamespace, svc]).toEqual([namespace, 'svc']);
      const redis = only(objects, 'Service', service);
      expect(redis.spec.ports.map((p: { port: number }) => p.port)).toContain(
        Number(url.port),
      );
      const primary = only(objects, 'StatefulSet', 'redis');
      const replica = only(objects, 'StatefulSet', 'redis-replica');
      expect(
        selects(redis.spec.selector, primary.spec.template.metadata.labels),
      ).toBe(true);
      expect(
        selects(redis.spec.selector, replica.spec.template.metadata.labels),
      ).toBe(false);
      // The replica follows the primary's first pod, by its stable name.
      const args: string[] = replica.spec.template.spec.containers[0].command;
      expect(args[args.indexOf('--replicaof') + 1]).toBe(
        `${primary.metadata.name}-0.${primary.spec.serviceName}`,
      );
      const headless = only(objects, 'Service', primary.spec.serviceName);
      expect(headless.spec.clusterIP).toBe('None');
      expect(
        selects(headless.spec.selector, primary.spec.template.metadata.labels),
      ).toBe(true);
      // A cache: no snapshot, no append-only file; only expiring keys are evicted, so the
      // rate-limit ledger (no expiry) stays.
      const conf = only(objects, 'ConfigMap', 'redis').data['redis.conf'];
      expect(conf).toMatch(/^save ""$/m);
      expect(conf).toMatch(/^appendonly no$/m);
      expect(conf).toMatch(/^maxmemory-policy volatile-/m);
    });

    it('serves Redis over TLS only, with a certificate naming what Sentinel dials, to ACL users', () => {
      const url = new URL(env.REDIS_URL);
      expect(url.protocol).toBe('rediss:');
      const conf = only(objects, 'ConfigMap', 'redis').data['redis.conf'];
      expect(conf).toMatch(/^port 0$/m);
      expect(conf).toMatch(new RegExp(`^tls-port ${url.port}$`, 'm'));
      expect(conf).toMatch(/^aclfile /m);
      const server = only(objects, 'Certificate', 'redis-server');
      expect(server.spec.dnsNames).toContain(url.hostname);
      // The replica dials the primary's pod by the name in --replicaof.
      const replica = only(objects, 'StatefulSet', 'redis-replica');
      const args: string[] = replica.spec.template.spec.containers[0].command;
      expect(server.spec.dnsNames).toContain(
        args[args.indexOf('--replicaof') + 1],
      );
      // Sentinel trusts the CA that issues it, and reads its user's password from a file.
      const issuer = only(objects, 'Issuer', server.spec.issuerRef.name);
      expect(fileSource(deployment, '/etc/sentinel/tls/redis-ca.crt')).toEqual({
        secret: issuer.spec.ca.secretName,
        key: 'ca.crt',
      });
      expect(
        fileSource(deployment, '/etc/sentinel/secrets/redis-password'),
      ).toEqual({
        secret: 'sentinel-redis',
        key: 'password',
      });
    });

    it("lets only Sentinel's backend and the replica reach Redis", () => {
      const policy = only(objects, 'NetworkPolicy', 'redis');
      const allowed = policy.spec.ingress.flatMap((rule: any) =>
        rule.from.map((f: any) => f.podSelector.matchLabels),
      );
      const admits = (labels: Record<string, string>) =>
        allowed.some((selector: Record<string, string>) =>
          selects(selector, labels),
        );
      expect(admits(deployment.spec.template.metadata.labels)).toBe(true);
      expect(
        admits(
          only(objects, 'StatefulSet', 'redis-replica').spec.template.metadata
            .labels,
        ),
      ).toBe(true);
      expect(admits({ app: 'anything-else' })).toBe(false);
    });
  },
);
