import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  type V1Service,
} from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import simulatedCluster from './simulatedCluster';

const repoRoot = resolve(__dirname, '../../..');

/** The demo catalog's services that name a traffic router, by their workloads' names. */
function routedInCatalog(): Map<string, string> {
  const entities = parseAllDocuments(
    readFileSync(join(repoRoot, 'examples/entities.yaml'), 'utf8'),
  ).map(doc => doc.toJSON());
  const routed = new Map<string, string>();
  for (const entity of entities) {
    const annotations = entity?.metadata?.annotations ?? {};
    const router = annotations['sentinel.io/traffic-router'];
    if (!router) continue;
    for (const ref of String(annotations['sentinel.io/workloads']).split(',')) {
      routed.set(ref.trim().split('/')[3], router);
    }
  }
  return routed;
}

/** Whether a Service's selector picks pods with these labels. */
function selects(service: V1Service, labels: Record<string, string>) {
  const selector = service.spec?.selector ?? {};
  return (
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([key, value]) => labels[key] === value)
  );
}

describe('the simulated cluster of the embedded default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simulated-cluster-'));
  const kubeconfigPath = join(dir, 'simulated-cluster.kubeconfig');
  const kubeConfig = new KubeConfig();
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    // As app-config.yaml starts it, without the Prometheus beside it.
    backend = await startTestBackend({
      features: [
        createBackendPlugin({
          pluginId: 'sentinel',
          register: env => env.registerInit({ deps: {}, init: async () => {} }),
        }),
        simulatedCluster,
        mockServices.rootConfig.factory({
          data: {
            sentinel: {
              simulatedCluster: {
                enabled: true,
                kubeconfigPath,
                podReadyDelayMs: 10,
              },
            },
          },
        }),
      ],
    });
    kubeConfig.loadFromFile(kubeconfigPath);
  });

  afterAll(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every workload a Service that selects its running pods', async () => {
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const [deployments, statefulSets, services] = await Promise.all([
      apps.listDeploymentForAllNamespaces(),
      apps.listStatefulSetForAllNamespaces(),
      core.listServiceForAllNamespaces(),
    ]);
    const workloads = [...deployments.items, ...statefulSets.items];
    expect(workloads.map(w => w.metadata?.name).sort()).toEqual([
      'cart',
      'checkout',
      'ledger',
      'orders',
      'payments-api',
      'storefront',
    ]);
    for (const workload of workloads) {
      const { name, namespace } = workload.metadata!;
      const labels = workload.spec!.template.metadata!.labels!;
      const service = services.items.find(
        s => s.metadata?.namespace === namespace && selects(s, labels),
      );
      expect({ workload: name, service: service?.metadata?.name }).toEqual({
        workload: name,
        service: name,
      });
      // Its pods, once the controller made them, are what the Service sends traffic to.
      const selector = Object.entries(service!.spec!.selector!)
        .map(([key, value]) => `${key}=${value}`)
        .join(',');
      const pods = await core.listNamespacedPod({
        namespace: namespace!,
        labelSelector: selector,
      });
      expect(pods.items.length).toBe(workload.spec!.replicas);
    }
  });

  it('routes the services the catalog says are routed: an NGINX Ingress and an HTTPRoute to their Services', async () => {
    const networking = kubeConfig.makeApiClient(NetworkingV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const routed = routedInCatalog();
    expect(Object.fromEntries(routed)).toEqual({
      cart: 'gateway-api',
      checkout: 'nginx',
    });

    const ingresses = await networking.listIngressForAllNamespaces();
    expect(
      ingresses.items.map(i => ({
        name: i.metadata?.name,
        namespace: i.metadata?.namespace,
        ingressClassName: i.spec?.ingressClassName,
        backends: i.spec?.rules?.flatMap(rule =>
          rule.http!.paths.map(path => path.backend.service?.name),
        ),
      })),
    ).toEqual([
      {
        name: 'checkout',
        namespace: 'shop',
        ingressClassName: 'nginx',
        backends: ['checkout'],
      },
    ]);
    // Not an NGINX canary itself: Sentinel's nginx router adds the canary beside it.
    expect(
      ingresses.items[0].metadata?.annotations?.[
        'nginx.ingress.kubernetes.io/canary'
      ],
    ).toBeUndefined();

    const routes = await custom.listClusterCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      plural: 'httproutes',
    });
    expect(
      routes.items.map((r: any) => ({
        name: r.metadata.name,
        namespace: r.metadata.namespace,
        backendRefs: r.spec.rules.flatMap((rule: any) => rule.backendRefs),
      })),
    ).toEqual([
      {
        name: 'cart',
        namespace: 'shop',
        backendRefs: [{ name: 'cart', port: 80 }],
      },
    ]);
  });
});
