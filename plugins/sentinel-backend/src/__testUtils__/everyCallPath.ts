import { mockServices } from '@backstage/backend-test-utils';
import type { KubernetesTestServer } from '@internal/kubernetes-test-server';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { TrafficRoute } from '@internal/backstage-plugin-sentinel-node';
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { WorkloadInventory } from '../inventory/WorkloadInventory';
import { KubernetesClusterDriver } from '../kubernetes/KubernetesClusterDriver';
import { GatewayApiRouter } from '../rollouts/traffic/GatewayApiRouter';
import { NginxIngressRouter } from '../rollouts/traffic/NginxIngressRouter';
import { eventually, ownership } from './execution';

/**
 * Every Kubernetes API call Sentinel makes on a target cluster, path by path: the workload
 * inventory, the driver, the candidate operations of canary and blue/green rollouts, and both
 * traffic routers, each driven through its public methods (the only calls written here are
 * the administrator's, who changes workloads for the inventory to see), so that a test can
 * run them all under a role and see which rules they need.
 */

export const cart: WorkloadRef = {
  cluster: 'k8s',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
};
export const ledger: WorkloadRef = {
  cluster: 'k8s',
  namespace: 'payments',
  kind: 'StatefulSet',
  name: 'ledger',
};

function workload(ref: WorkloadRef) {
  return {
    metadata: {
      name: ref.name,
      namespace: ref.namespace,
      labels: { app: ref.name },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: ref.name } },
      template: {
        metadata: { labels: { app: ref.name } },
        spec: { containers: [{ name: 'app', image: `${ref.name}:1.0.0` }] },
      },
    },
  };
}

const backend = (service: string) => ({
  service: { name: service, port: { number: 80 } },
});

/**
 * What the call paths work on, seeded in process: Deployment cart in shop with its Service
 * and the Ingress and HTTPRoute in front of it, and StatefulSet ledger in payments.
 */
export function seedTargetCluster(server: KubernetesTestServer): void {
  server.addDeployment(workload(cart));
  server.addStatefulSet(workload(ledger));
  const namespace = cart.namespace;
  server.addObject({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'cart', namespace },
    spec: { selector: { app: 'cart' }, ports: [{ name: 'http', port: 80 }] },
  });
  server.addObject({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/cart', pathType: 'Prefix', backend: backend('cart') },
            ],
          },
        },
      ],
    },
  });
  server.addObject({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'shop', namespace },
    spec: {
      parentRefs: [{ name: 'gateway' }],
      rules: [{ backendRefs: [{ name: 'cart', port: 80 }] }],
    },
  });
}

/** The test server, its administrator, and the identity the call paths run as. */
export interface CallPathContext {
  server: KubernetesTestServer;
  admin: KubeConfig;
  as: KubeConfig;
}

const retry = { baseDelayMs: 1 };

const params = (ref: WorkloadRef) => ({
  name: ref.name,
  namespace: ref.namespace,
});

/** The inventory lists both kinds in every namespace, then sees a change through its watch. */
async function inventoryPath({ admin, as }: CallPathContext) {
  const logger = mockServices.logger.mock();
  const inventory = new WorkloadInventory(
    [{ name: 'k8s', kubeConfig: as }],
    ownership,
    logger,
  );
  const failures = () =>
    logger.warn.mock.calls.map(call => String(call[1] ?? call[0])).join('; ');
  await inventory.start();
  try {
    await eventually(
      async () => inventory.state(cart) && inventory.state(ledger),
      `the inventory listing cart and ledger (${failures()})`,
      5_000,
    );
    const apps = admin.makeApiClient(AppsV1Api);
    const body = [{ op: 'replace', path: '/spec/replicas', value: 5 }];
    await apps.patchNamespacedDeploymentScale({ ...params(cart), body });
    await apps.patchNamespacedStatefulSetScale({ ...params(ledger), body });
    await eventually(
      async () =>
        inventory.state(cart)?.replicas === 5 &&
        inventory.state(ledger)?.replicas === 5,
      `the inventory watching cart and ledger scaled to 5 (${failures()})`,
      5_000,
    );
  } finally {
    await inventory.stop();
  }
}

/** The driver: reads, scales, changes, restores and follows both kinds. */
async function driverPath({ as }: CallPathContext) {
  const driver = new KubernetesClusterDriver('k8s', as, { retry });
  for (const ref of [cart, ledger]) {
    const before = (await driver.getWorkload(ref))!;
    let after = await driver.apply(
      ref,
      { verb: 'scale', replicas: before.replicas + 1 },
      { expectedResourceVersion: before.resourceVersion },
    );
    after = await driver.apply(
      ref,
      { verb: 'rollout', containers: { app: { image: `${ref.name}:1.1.0` } } },
      { expectedResourceVersion: after.resourceVersion },
    );
    await driver.restore(before, { expected: after });
    await driver.rolloutStatus(ref);
  }
  if (await driver.getWorkload({ ...cart, name: 'missing' })) {
    throw new Error('read a Deployment that does not exist');
  }
}

/** Canary and blue/green: the candidate, its health, the Service switch, its removal. */
async function candidatesPath({ as }: CallPathContext) {
  const { candidates } = new KubernetesClusterDriver('k8s', as, { retry });
  const spec = {
    name: 'cart-canary',
    rolloutId: 'r-1',
    containers: { app: { image: 'cart:2.0.0' } },
    replicas: 1,
  };
  const candidate = { ...cart, name: spec.name };
  await candidates.ensureCandidate(cart, spec);
  await candidates.ensureCandidate(cart, { ...spec, replicas: 2 });
  await candidates.healthSignals(candidate);
  await candidates.podTemplateHash(cart);
  await candidates.podTemplateHash(candidate);
  const service = await candidates.findService(cart);
  if (service?.name !== 'cart') throw new Error('found no Service of cart');
  await candidates.setServiceSelector(cart.namespace, {
    name: service.name,
    selector: { ...service.selector, 'pod-template-hash': 'green' },
  });
  await candidates.setServiceSelector(cart.namespace, service);
  await candidates.removeCandidate(candidate);
}

const route = (rolloutId: string): TrafficRoute => ({
  cluster: 'k8s',
  namespace: cart.namespace,
  workload: 'cart',
  candidate: 'cart-canary',
  rolloutId,
});

/**
 * NGINX: the canary Service and Ingress created, brought up to date (another rollout's), the
 * stable Ingress found by listing and by name, and both removed.
 */
async function nginxPath({ as }: CallPathContext) {
  const found = new NginxIngressRouter('k8s', as, { retry });
  const named = new NginxIngressRouter('k8s', as, { retry, ingress: 'shop' });
  await found.setWeight(route('r-1'), 10);
  await found.setWeight(route('r-2'), 20);
  await named.setWeight(route('r-2'), 30);
  await found.reset(route('r-2'));
}

/** Gateway API: the HTTPRoute found by listing and by name, weighted and put back. */
async function gatewayApiPath({ as }: CallPathContext) {
  const found = new GatewayApiRouter('k8s', as, { retry });
  const named = new GatewayApiRouter('k8s', as, { retry, httpRoute: 'shop' });
  await found.setWeight(route('r-1'), 10);
  await named.setWeight(route('r-1'), 50);
  await named.reset(route('r-1'));
  await found.setWeight(route('r-1'), 10);
  await found.reset(route('r-1'));
}

export const CALL_PATHS: Array<
  [string, (context: CallPathContext) => Promise<void>]
> = [
  ['the workload inventory', inventoryPath],
  ['the driver', driverPath],
  ['the candidates of canary and blue/green rollouts', candidatesPath],
  ['the NGINX Ingress router', nginxPath],
  ['the Gateway API router', gatewayApiPath],
];

/** Runs every call path in turn; the first failure ends it. */
export async function runEveryCallPath(context: CallPathContext) {
  for (const [, path] of CALL_PATHS) {
    await path(context);
  }
}
