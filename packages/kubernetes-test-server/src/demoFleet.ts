import type { JsonObject } from './patch';

/**
 * One workload of the demo fleet, and how traffic reaches it: every workload has a Service
 * named like it; `routing` adds the object a traffic router splits for canaries.
 *
 * @public
 */
export interface DemoWorkload {
  /** Its namespace, which also holds its Service and routing. */
  namespace: string;
  /** What runs it. */
  kind: 'Deployment' | 'StatefulSet';
  /** Its name, and its Service's, Ingress's or HTTPRoute's; its pods are labelled `app: <name>`. */
  name: string;
  /** The image of its one container, `app`. */
  image: string;
  /** Its replicas, all ready when seeded. */
  replicas: number;
  /**
   * `nginx`: an Ingress (class nginx) to its Service, beside which Sentinel's nginx router adds
   * a canary Ingress. `gateway-api`: an HTTPRoute to its Service, whose backendRefs Sentinel's
   * gateway-api router weighs.
   */
  routing?: 'nginx' | 'gateway-api';
}

/**
 * The demo fleet behind examples/entities.yaml, which the embedded default's simulated
 * cluster serves. examples/entities.yaml names the routed services' traffic routers with
 * `sentinel.io/traffic-router`.
 *
 * @public
 */
export const DEMO_FLEET: readonly DemoWorkload[] = [
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'cart',
    image: 'shop/cart:1.4.2',
    replicas: 3,
    routing: 'gateway-api',
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    image: 'shop/checkout:2.0.1',
    replicas: 2,
    routing: 'nginx',
  },
  {
    namespace: 'payments',
    kind: 'Deployment',
    name: 'payments-api',
    image: 'payments/api:5.1.0',
    replicas: 3,
  },
  {
    namespace: 'payments',
    kind: 'StatefulSet',
    name: 'ledger',
    image: 'payments/ledger:1.9.0',
    replicas: 3,
  },
  {
    namespace: 'production',
    kind: 'Deployment',
    name: 'orders',
    image: 'shop/orders:3.2.0',
    replicas: 4,
  },
  // Runs in the cluster, but no catalog entity lists it yet: "Put a service under Sentinel".
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'storefront',
    image: 'shop/storefront:3.1.0',
    replicas: 2,
  },
];

/**
 * The demo shop's host name, on the Ingress and the HTTPRoute alike.
 *
 * @public
 */
export const DEMO_HOST = 'shop.demo.local';

const HTTP_PORT = { name: 'http', port: 80, targetPort: 'http' };

function workload(w: DemoWorkload): JsonObject {
  const labels = { app: w.name };
  return {
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: { name: w.name, namespace: w.namespace, labels },
    spec: {
      replicas: w.replicas,
      // StatefulSets name their governing (headless) Service.
      ...(w.kind === 'StatefulSet' && { serviceName: w.name }),
      // A minute, so a broken image in the demo is rolled back while you watch.
      progressDeadlineSeconds: 60,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: w.image,
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: {
                requests: { cpu: '250m', memory: '256Mi' },
                limits: { memory: '512Mi' },
              },
            },
          ],
        },
      },
    },
    status: {
      replicas: w.replicas,
      readyReplicas: w.replicas,
      availableReplicas: w.replicas,
      updatedReplicas: w.replicas,
    },
  };
}

/**
 * The Service in front of the workload's pods, selecting them by `app` only: blue/green pins it
 * to one pod-template-hash, and a canary's pods (which keep `app`) take a share through it
 * unless a router splits traffic.
 */
function service(w: DemoWorkload): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: w.name, namespace: w.namespace, labels: { app: w.name } },
    spec: {
      selector: { app: w.name },
      ports: [HTTP_PORT],
      // A StatefulSet's pods are reached one by one (ledger-0, ...): headless.
      ...(w.kind === 'StatefulSet'
        ? { clusterIP: 'None' }
        : { type: 'ClusterIP' }),
    },
  };
}

/** The stable Ingress that Sentinel's nginx router finds by its backend, the Service. */
function ingress(w: DemoWorkload): JsonObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: w.name, namespace: w.namespace, labels: { app: w.name } },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: DEMO_HOST,
          http: {
            paths: [
              {
                path: `/${w.name}`,
                pathType: 'Prefix',
                backend: { service: { name: w.name, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  };
}

/** The HTTPRoute that Sentinel's gateway-api router finds by its backendRef, the Service. */
function httpRoute(w: DemoWorkload): JsonObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: w.name, namespace: w.namespace, labels: { app: w.name } },
    spec: {
      // The demo's Gateway is not simulated: the test server does not serve Gateways.
      parentRefs: [{ name: 'demo-gateway' }],
      hostnames: [DEMO_HOST],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: `/${w.name}` } }],
          backendRefs: [{ name: w.name, port: HTTP_PORT.port }],
        },
      ],
    },
  };
}

/**
 * The demo fleet as Kubernetes objects, to seed with `KubernetesTestServer.addObject`: each
 * workload (status included, as if it had run a while), its Service, and the Ingress or
 * HTTPRoute of the routed ones.
 *
 * @public
 */
export function demoFleetObjects(
  fleet: readonly DemoWorkload[] = DEMO_FLEET,
): JsonObject[] {
  return fleet.flatMap(w => [
    workload(w),
    service(w),
    ...(w.routing === 'nginx' ? [ingress(w)] : []),
    ...(w.routing === 'gateway-api' ? [httpRoute(w)] : []),
  ]);
}
