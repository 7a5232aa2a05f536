import { ConfigReader } from '@backstage/config';
import {
  KubernetesTestServer,
  TestPki,
  type IssuedCertificate,
} from '@internal/kubernetes-test-server';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { readClusterConfigs } from './clusterConfig';
import { KubernetesClusterDriver } from './KubernetesClusterDriver';

jest.setTimeout(60_000);

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

// A cluster Sentinel reaches with a client certificate (sentinel.clusters[].clientCertFile),
// renewed in place while plans run: the Kubernetes API test server authenticates by client
// certificate (as the kube-apiserver's --client-ca-file) and is then told to refuse the old one.
describe('Kubernetes client certificates rotated without a restart', () => {
  const pki = new TestPki();
  const serverCa = pki.ca('apiserver-ca');
  const clientCa = pki.ca('client-ca');
  const serving = serverCa.issue('127.0.0.1', {
    usage: 'server',
    subjectAltNames: ['IP:127.0.0.1'],
  });
  const server = new KubernetesTestServer({
    tls: {
      key: serving.key,
      cert: serving.cert,
      ca: serverCa.cert,
      clientCa: clientCa.cert,
    },
  });
  const issue = (label: string) =>
    clientCa.issue('sentinel', {
      usage: 'client',
      organization: 'system:masters',
      label,
    });
  const certFile = pki.path('sentinel', 'tls.crt');
  const keyFile = pki.path('sentinel', 'tls.key');
  /** Replaces a file at once (rename), as cert-manager's csi driver or Vault Agent would. */
  const replace = (file: string, content: string) => {
    writeFileSync(`${file}.new`, content);
    renameSync(`${file}.new`, file);
  };
  const fingerprint = (certificate: IssuedCertificate) =>
    new X509Certificate(certificate.cert).fingerprint256;

  beforeAll(async () => {
    await server.start();
    server.addDeployment({
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'web:1.0.0' }] },
        },
      },
      status: { replicas: 2, readyReplicas: 2 },
    });
  });
  afterAll(async () => {
    await server.stop();
    pki.remove();
  });

  it('keeps the driver working while the certificate is renewed and the old one revoked', async () => {
    const first = issue('first');
    replace(keyFile, first.key);
    replace(certFile, first.cert);
    const [cluster] = readClusterConfigs(
      new ConfigReader({
        sentinel: {
          clusters: [
            {
              name: 'prod-eu',
              url: server.url,
              caFile: serverCa.certFile,
              clientCertFile: certFile,
              clientKeyFile: keyFile,
            },
          ],
        },
      }),
    );
    // One attempt per call: a refusal would be a failed call, not hidden by a retry.
    const driver = new KubernetesClusterDriver('prod-eu', cluster.kubeConfig, {
      retry: { attempts: 1, baseDelayMs: 10 },
    });
    const failures: unknown[] = [];
    let calls = 0;
    let running = true;
    const plans = (async () => {
      while (running) {
        try {
          const web = await driver.getWorkload({
            cluster: 'prod-eu',
            namespace: 'shop',
            kind: 'Deployment',
            name: 'web',
          });
          if (web?.replicas !== 2) failures.push(web);
        } catch (error) {
          failures.push(error);
        }
        calls += 1;
        await new Promise(r => setTimeout(r, 5));
      }
    })();
    const until = async (condition: () => boolean, what: string) => {
      const deadline = Date.now() + 10_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(r => setTimeout(r, 20));
      }
    };
    const seen = () => server.clientCertificates();

    try {
      await until(
        () => seen().has(fingerprint(first)),
        'the first certificate',
      );
      // Renewed: the key first, then the certificate, so for a moment they do not match.
      const second = issue('second');
      replace(keyFile, second.key);
      await new Promise(r => setTimeout(r, 50));
      replace(certFile, second.cert);
      await until(
        () => seen().has(fingerprint(second)),
        'a request with the renewed certificate',
      );
      const firstCount = seen().get(fingerprint(first));
      // The old one revoked: the server refuses it on any new connection.
      clientCa.revoke(first);
      server.trustClientCertificates({
        ca: clientCa.cert,
        crl: clientCa.crl(),
      });
      const callsAtRevocation = calls;
      await until(() => calls > callsAtRevocation + 50, 'more calls');

      expect(failures).toEqual([]);
      // Nothing went out with the old certificate after the renewed one was taken up.
      expect(seen().get(fingerprint(first))).toBe(firstCount);
      expect(seen().get(fingerprint(second))).toBeGreaterThan(50);
    } finally {
      running = false;
      await plans;
    }

    // The revocation is real: a client still holding the old certificate is refused.
    const stale = new KubeConfig();
    stale.loadFromOptions({
      clusters: [{ name: 'c', server: server.url, caData: b64(serverCa.cert) }],
      users: [
        { name: 'u', certData: b64(first.cert), keyData: b64(first.key) },
      ],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    await expect(
      stale
        .makeApiClient(AppsV1Api)
        .readNamespacedDeployment({ name: 'web', namespace: 'shop' }),
    ).rejects.toMatchObject({ code: 401 });
  });
});
