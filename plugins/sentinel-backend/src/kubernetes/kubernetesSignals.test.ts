import { KubernetesTestServer } from '@internal/kubernetes-test-server';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { scoreInterval } from '../rollouts/analysis/healthScore';
import { kubernetesSignals } from './kubernetesSignals';

const deployment = (ready: number, conditions: object[] = []) => ({
  spec: { replicas: 2 } as never,
  status: { readyReplicas: ready, conditions } as never,
});
const pod = (container: object): Pick<V1Pod, 'status'> => ({
  status: {
    containerStatuses: [
      {
        name: 'app',
        ready: true,
        restartCount: 0,
        image: 'x',
        imageID: 'x',
        ...container,
      },
    ],
  } as never,
});

describe('kubernetesSignals', () => {
  it('reads a healthy workload as healthy', () => {
    const signals = kubernetesSignals(deployment(2), [pod({}), pod({})]);
    expect(signals).toEqual({
      readyRatio: 1,
      restarts: 0,
      restartCount: 0,
      oomKilled: false,
      crashLoopBackOff: false,
      progressDeadlineExceeded: false,
    });
    expect(
      scoreInterval([], signals).checks.every(c => c.verdict === 'pass'),
    ).toBe(true);
  });

  it('counts only the restarts since the interval began', () => {
    const pods = [pod({ restartCount: 3 }), pod({ restartCount: 1 })];
    expect(kubernetesSignals(deployment(2), pods, 4).restarts).toBe(0);
    expect(kubernetesSignals(deployment(2), pods, 2).restarts).toBe(2);
  });

  it('sees a crash loop, an OOM kill and a rollout past its progress deadline', () => {
    const looping = kubernetesSignals(deployment(1), [
      pod({ state: { waiting: { reason: 'CrashLoopBackOff' } } }),
    ]);
    expect(looping).toMatchObject({ crashLoopBackOff: true, readyRatio: 0.5 });
    const killed = kubernetesSignals(deployment(2), [
      pod({
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
      }),
    ]);
    expect(killed.oomKilled).toBe(true);
    const stuck = kubernetesSignals(
      deployment(0, [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
        },
      ]),
      [],
    );
    expect(stuck.progressDeadlineExceeded).toBe(true);
    expect(scoreInterval([], stuck).reason).toMatch(/progress deadline/);
  });

  it('sees a -broken rollout of the simulated cluster pass its progress deadline, as read through the API', async () => {
    const server = new KubernetesTestServer({
      controller: true,
      podReadyDelayMs: 0,
    });
    await server.start();
    try {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(server.kubeconfig());
      const apps = kubeConfig.makeApiClient(AppsV1Api);
      const core = kubeConfig.makeApiClient(CoreV1Api);
      server.addDeployment({
        metadata: { name: 'cart', namespace: 'shop', labels: { app: 'cart' } },
        spec: {
          replicas: 2,
          progressDeadlineSeconds: 1,
          selector: { matchLabels: { app: 'cart' } },
          template: {
            metadata: { labels: { app: 'cart' } },
            spec: {
              containers: [{ name: 'app', image: 'shop/cart:2.0.0-broken' }],
            },
          },
        },
      });
      const read = async () =>
        kubernetesSignals(
          await apps.readNamespacedDeployment({
            name: 'cart',
            namespace: 'shop',
          }),
          (
            await core.listNamespacedPod({
              namespace: 'shop',
              labelSelector: 'app=cart',
            })
          ).items,
        );
      let signals = await read();
      const deadline = Date.now() + 15_000;
      while (!signals.progressDeadlineExceeded && Date.now() < deadline) {
        await new Promise(r => setTimeout(r, 200));
        signals = await read();
      }
      expect(signals).toMatchObject({
        progressDeadlineExceeded: true,
        readyRatio: 0,
      });
    } finally {
      await server.stop();
    }
  });
});
