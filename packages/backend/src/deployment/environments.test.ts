import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { backstageCli, printConfig } from './__testUtils__/backstageConfig';
import { containerOf, materialize } from './__testUtils__/container';
import { kustomize, only, repoRoot } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';

jest.setTimeout(120_000);

const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;

/** Every string in a configuration, with its key path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      strings(v, path ? `${path}.${k}` : k),
    );
  }
  return [];
}

describe.each(ENVIRONMENTS)('environment %s', name => {
  const rendering = kustomize(`environments/${name}`);

  it('renders with kubectl kustomize, without a warning', () => {
    expect(rendering.warnings).toBe('');
    expect(rendering.objects.length).toBeGreaterThan(0);
  });

  it('validates every object against the Kubernetes schemas of its kind', () => {
    expect(rendering.objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('runs the image as Node running the backend package', () => {
    const container = only(
      rendering.objects,
      'Deployment',
      'sentinel',
    ).spec.template.spec.containers.find(
      (c: { name: string }) => c.name === 'backend',
    );
    // The image's entrypoint would try to execute a directory otherwise (exit 126).
    expect(container.command).toEqual(['node']);
    expect(container.args[0]).toBe('packages/backend');
  });

  it('serves the portal over HTTPS at the host of its base URL', () => {
    const { env } = containerOf(rendering.objects);
    const host = new URL(env.SENTINEL_BASE_URL).hostname;
    const ingress = only(rendering.objects, 'Ingress', 'sentinel');
    expect(new URL(env.SENTINEL_BASE_URL).protocol).toBe('https:');
    expect(ingress.spec.rules.map((r: { host: string }) => r.host)).toEqual([
      host,
    ]);
    expect(ingress.spec.tls[0].hosts).toEqual([host]);
  });

  it('lets its pods reach exactly the ports their configuration names', () => {
    const { env } = containerOf(rendering.objects);
    const policy = only(rendering.objects, 'NetworkPolicy', 'sentinel');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const open = policy.spec.egress.flatMap((rule: any) =>
      rule.ports.map((p: { port: number }) => p.port),
    );
    const portOf = (url: string) =>
      Number(new URL(url).port) || (url.startsWith('https') ? 443 : 80);
    const needed = [
      53,
      Number(env.POSTGRES_PORT),
      portOf(env.REDIS_URL),
      portOf(env.PROMETHEUS_URL),
      portOf(env.SENTINEL_OPTIMIZER_JWKS_URL),
      portOf(env.SENTINEL_OIDC_METADATA_URL),
    ];
    expect(open).toEqual(expect.arrayContaining(needed));
  });

  it('is scraped by Prometheus on the port the backend serves its metrics on', () => {
    const deployment = only(rendering.objects, 'Deployment', 'sentinel');
    const { env } = containerOf(rendering.objects);
    const port = Number(env.SENTINEL_METRICS_PORT ?? 9464);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
      'prometheus.io/path': env.SENTINEL_METRICS_PATH ?? '/metrics',
    });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toContainEqual({
      name: 'metrics',
      containerPort: port,
    });
    // The headless Service whose SRV record deploy/prometheus/prometheus.yml resolves.
    const metrics = only(rendering.objects, 'Service', 'sentinel-metrics');
    expect(metrics.spec.clusterIP).toBe('None');
    expect(deployment.spec.template.metadata.labels).toMatchObject(
      metrics.spec.selector,
    );
    expect(metrics.spec.ports).toEqual([
      { name: 'metrics', port, targetPort: 'metrics' },
    ]);
    const job = parse(
      readFileSync(join(repoRoot, 'deploy/prometheus/prometheus.yml'), 'utf8'),
    ).scrape_configs.find(
      (c: { job_name: string }) => c.job_name === `sentinel-${name}`,
    );
    expect(job.dns_sd_configs[0].names).toEqual([
      `_metrics._tcp.sentinel-metrics.${deployment.metadata.namespace}.svc.cluster.local`,
    ]);
    const policy = only(rendering.objects, 'NetworkPolicy', 'sentinel');
    const fromMonitoring = policy.spec.ingress.filter((rule: any) =>
      rule.from.some(
        (peer: any) =>
          peer.namespaceSelector?.matchLabels?.[
            'kubernetes.io/metadata.name'
          ] === 'monitoring',
      ),
    );
    expect(
      fromMonitoring.flatMap((rule: any) =>
        rule.ports.map((p: { port: number }) => p.port),
      ),
    ).toContain(port);
  });

  it('spreads its replicas over zones and nodes, and probes them', () => {
    const pod = only(rendering.objects, 'Deployment', 'sentinel').spec.template
      .spec;
    expect(
      pod.topologySpreadConstraints.map(
        (c: { topologyKey: string }) => c.topologyKey,
      ),
    ).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    const backend = pod.containers[0];
    expect(backend.readinessProbe.httpGet.path).toBe('/api/sentinel/health');
    expect(backend.livenessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/liveness',
    );
    expect(backend.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  describe('with exactly the environment and files its Deployment gives the backend', () => {
    const view = containerOf(rendering.objects);
    const { root, configFiles } = materialize(view);
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const configArgs = configFiles.flatMap(file => ['--config', file]);

    it('refers to nothing the rendering does not provide', () => {
      expect(view.missing).toEqual([]);
    });

    it('sets every environment variable its configuration substitutes', () => {
      // Backstage drops a key whose variable is unset, without a word: check them here.
      const unset = configFiles.flatMap(file =>
        [...readFileSync(file, 'utf8').matchAll(/(?<!\$)\$\{(\w+)\}/g)]
          .map(match => match[1])
          .filter(variable => view.env[variable] === undefined)
          .map(variable => `${variable} (${file.replace(root, '')})`),
      );
      expect(unset).toEqual([]);
    });

    it('passes config:check: every variable set, every included file there, the schema met', () => {
      const check = backstageCli(['config:check', ...configArgs], view.env);
      expect(check.stderr).not.toMatch(/error|Error|missing/);
      expect(check.status).toBe(0);
    });

    it('signs people in with OIDC, never as guest, with the client secret from its file', () => {
      const { auth } = printConfig(configArgs, view.env);
      expect(Object.keys(auth.providers)).toEqual(['oidc']);
      const oidc = auth.providers.oidc.production;
      expect(new URL(oidc.metadataUrl).protocol).toBe('https:');
      expect(oidc.metadataUrl).toMatch(/\/\.well-known\/openid-configuration$/);
      expect(oidc.clientId).toBeTruthy();
      // The files the Deployment mounts from Secret sentinel-auth (placeholders here).
      expect(oidc.clientSecret).toBe(
        'placeholder for sentinel-auth/oidc-client-secret',
      );
      expect(auth.session.secret).toBe(
        'placeholder for sentinel-auth/session-secret',
      );
      // Asks who you are when the provider has no session; a refresh token for reloads.
      expect(oidc.prompt).toBe('auto');
      expect(oidc.additionalScopes).toContain('offline_access');
      expect(oidc.signIn.resolvers).toEqual([
        { resolver: 'emailMatchingUserEntityProfileEmail' },
      ]);
      expect(auth.environment).toBe('production');
    });

    it("offers the sign-in page OIDC only, and none of the provider's settings", () => {
      const print = backstageCli(
        [
          'config:print',
          '--frontend',
          '--package',
          'app',
          '--format',
          'json',
          ...configArgs,
        ],
        view.env,
      );
      expect(print.status).toBe(0);
      expect(JSON.parse(print.stdout).auth).toEqual({
        environment: 'production',
        providers: { oidc: {} },
      });
    });

    it('analyzes canaries with a Prometheus of its own, and no simulated cluster', () => {
      const config = printConfig(configArgs, view.env);
      expect(config.sentinel.prometheus.baseUrl).toMatch(/^https?:\/\//);
      expect(config.sentinel.simulatedCluster?.enabled).toBe(false);
    });
  });
});

describe.each(['staging', 'production'])(
  'environment %s, as run for real',
  name => {
    const view = containerOf(kustomize(`environments/${name}`).objects);
    const { root, configFiles } = materialize(view);
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    const config = () =>
      printConfig(
        configFiles.flatMap(file => ['--config', file]),
        view.env,
      );

    it("points at nothing on the loopback interface but the pod's own internal listener", () => {
      // With sentinel.tls, plugins call each other on the plain listener that only the pod's
      // loopback reaches (docs/adr/013-mtls-listener.md): that address, and nothing else.
      const loaded = config();
      const internal = loaded.sentinel.tls.internalListen;
      expect(internal.host).toBe('127.0.0.1');
      const allowed = new Set([
        'sentinel.tls.internalListen.host',
        'discovery.endpoints[0].target.internal',
      ]);
      expect(loaded.discovery.endpoints).toEqual([
        {
          target: {
            internal: `http://127.0.0.1:${internal.port}/api/{{pluginId}}`,
          },
          plugins: ['*'],
        },
      ]);
      const loopback = strings(loaded).filter(
        ([path, value]) =>
          !allowed.has(path) && /\b(127\.0\.0\.1|localhost|::1)\b/.test(value),
      );
      expect(loopback).toEqual([]);
    });

    it("serves mTLS with the listener certificate's files, each from the Secret cert-manager writes", () => {
      // The paths sentinel.tls reads, as the container's file system has them: a file there is
      // one the Deployment mounts, and its placeholder says which Secret and key it came from.
      const { tls } = config().sentinel;
      const secretName = only(
        kustomize(`environments/${name}`).objects,
        'Certificate',
        'sentinel-listener',
      ).spec.secretName;
      expect(tls.requireClientCertificate ?? true).toBe(true);
      expect(
        Object.fromEntries(
          ['certFile', 'keyFile', 'caFile'].map(key => [
            key,
            readFileSync(tls[key], 'utf8').trim(),
          ]),
        ),
      ).toEqual({
        certFile: `placeholder for ${secretName}/tls.crt`,
        keyFile: `placeholder for ${secretName}/tls.key`,
        caFile: `placeholder for ${secretName}/ca.crt`,
      });
      // Every path is under root, where materialize put the container's files.
      for (const key of ['certFile', 'keyFile', 'caFile']) {
        expect(tls[key].startsWith(root)).toBe(true);
      }
    });

    it('carries events between replicas on the events bus, kept in PostgreSQL', () => {
      // Signals and notifications from one replica reach browsers connected to the others
      // (packages/backend/src/replicas/replicas.test.ts shows it with two backends).
      expect(config().events?.useEventBus).toBe('always');
      expect(config().backend.database.client).toBe('pg');
    });

    it('analyzes canaries at a production pace, not the demo one', () => {
      expect(
        config().sentinel.rollouts.analysis.intervalSeconds,
      ).toBeGreaterThanOrEqual(30);
    });
  },
);
