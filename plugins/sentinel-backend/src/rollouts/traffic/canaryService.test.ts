import type { V1Service } from '@kubernetes/client-node';
import type { TrafficRoute } from '@internal/backstage-plugin-sentinel-node';
import {
  canaryService,
  checkCluster,
  checkWeight,
  isUpToDate,
  updatedService,
} from './canaryService';

const route: TrafficRoute = {
  cluster: 'k8s',
  namespace: 'shop',
  workload: 'cart',
  candidate: 'cart-canary',
  rolloutId: 'r-1',
};

const stable: V1Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'cart',
    namespace: 'shop',
    uid: 'u-1',
    resourceVersion: '7',
    labels: { app: 'cart', team: 'checkout' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec: {
    type: 'LoadBalancer',
    clusterIP: '10.0.0.7',
    selector: { app: 'cart', 'pod-template-hash': 'abc123' },
    ports: [
      {
        name: 'http',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        nodePort: 30080,
      },
      { name: 'grpc', port: 9090, targetPort: 'grpc', protocol: 'TCP' },
    ],
  },
};

describe('canaryService', () => {
  it('copies the ports, selects only the candidate pods and is a ClusterIP Service', () => {
    expect(canaryService(stable, route)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'cart-canary',
        namespace: 'shop',
        labels: {
          app: 'cart',
          team: 'checkout',
          'app.kubernetes.io/managed-by': 'sentinel',
          'sentinel.io/candidate': 'cart-canary',
        },
        annotations: { 'sentinel.io/rollout-id': 'r-1' },
      },
      spec: {
        type: 'ClusterIP',
        // Blue/green's pin to the stable pods' version would select no candidate pod.
        selector: { app: 'cart', 'sentinel.io/candidate': 'cart-canary' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
          { name: 'grpc', port: 9090, targetPort: 'grpc', protocol: 'TCP' },
        ],
      },
    });
  });

  it.each([
    ['no selector', {}],
    ['only a version pin', { 'pod-template-hash': 'abc123' }],
  ])('refuses a stable Service with %s', (_, selector) => {
    expect(() =>
      canaryService({ ...stable, spec: { ...stable.spec, selector } }, route),
    ).toThrow(
      'Service cart in shop has no selector, so Sentinel cannot derive one for cart-canary from it',
    );
  });
});

describe('isUpToDate and updatedService', () => {
  const desired = canaryService(stable, route);
  const created: V1Service = {
    ...desired,
    metadata: { ...desired.metadata, uid: 'u-2', resourceVersion: '9' },
    spec: { ...desired.spec, clusterIP: '10.0.0.8' },
  };

  it.each<[string, V1Service, boolean]>([
    ['as created', created, true],
    [
      'with labels someone added',
      {
        ...created,
        metadata: {
          ...created.metadata,
          labels: { ...created.metadata?.labels, extra: 'x' },
        },
      },
      true,
    ],
    [
      'of an earlier rollout',
      {
        ...created,
        metadata: {
          ...created.metadata,
          annotations: { 'sentinel.io/rollout-id': 'r-0' },
        },
      },
      false,
    ],
    [
      'with a stale selector',
      { ...created, spec: { ...created.spec, selector: { app: 'cart' } } },
      false,
    ],
    [
      'with stale ports',
      {
        ...created,
        spec: { ...created.spec, ports: [{ name: 'http', port: 80 }] },
      },
      false,
    ],
  ])('a canary Service %s: up to date %s', (_, current, expected) => {
    expect(isUpToDate(current, desired)).toBe(expected);
    expect(isUpToDate(updatedService(current, desired), desired)).toBe(true);
  });

  it('keeps what the API server set when it brings a Service up to date', () => {
    const stale: V1Service = {
      ...created,
      spec: { ...created.spec, selector: { app: 'cart' } },
    };
    const updated = updatedService(stale, desired);
    expect(updated.metadata?.resourceVersion).toBe('9');
    expect(updated.metadata?.uid).toBe('u-2');
    expect(updated.spec?.clusterIP).toBe('10.0.0.8');
    expect(updated.spec?.selector).toEqual(desired.spec?.selector);
  });
});

describe('checkWeight', () => {
  it.each([0, 1, 50, 100])('takes %s', weight => {
    expect(() => checkWeight(weight)).not.toThrow();
  });

  it.each([-1, 101, 12.5, Number.NaN])('refuses %s', weight => {
    expect(() => checkWeight(weight)).toThrow(
      `a traffic weight is a whole percentage from 0 to 100, not ${weight}`,
    );
  });
});

describe('checkCluster', () => {
  it('refuses a route in another cluster', () => {
    expect(() => checkCluster({ name: 'nginx', cluster: 'eu' }, route)).toThrow(
      'the nginx traffic router of cluster eu cannot route traffic in cluster k8s',
    );
    expect(() =>
      checkCluster({ name: 'nginx', cluster: 'k8s' }, route),
    ).not.toThrow();
  });
});
