import { readFileSync, rmSync } from 'node:fs';
import { backstageCli, printConfig } from './__testUtils__/backstageConfig';
import { containerOf, materialize } from './__testUtils__/container';
import { kustomize, only } from './__testUtils__/render';
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
    ];
    expect(open).toEqual(expect.arrayContaining(needed));
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

    it('points at nothing on the loopback interface', () => {
      const loopback = strings(config()).filter(([, value]) =>
        /\b(127\.0\.0\.1|localhost|::1)\b/.test(value),
      );
      expect(loopback).toEqual([]);
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
