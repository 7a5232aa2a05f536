import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { selfSignedCertificate } from '../certificate';
import { KubernetesTestServer } from '../KubernetesTestServer';

/** A fresh self-signed certificate for 127.0.0.1, in a temporary folder. */
export async function certificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubernetes-test-server-'));
  try {
    return selfSignedCertificate({
      keyFile: join(dir, 'key.pem'),
      certFile: join(dir, 'cert.pem'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether a kubectl binary is on PATH; tests that drive it are skipped otherwise. */
export const hasKubectl =
  spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status ===
  0;

export interface KubectlContext {
  server: KubernetesTestServer;
  /** The kubeconfig file kubectl uses (namespace shop). */
  kubeconfig: string;
  /** A folder for manifests, removed afterwards. */
  dir: string;
  /** Runs kubectl against the server; resolves with its stdout, rejects on a non-zero exit. */
  kubectl: (...args: string[]) => Promise<string>;
  /** Adds Deployment web (two nginx pods) and waits until kubectl sees it ready. */
  addReadyWeb: () => Promise<void>;
}

/**
 * A TLS test server with its controller (kubectl sends its token only over
 * TLS) and the real kubectl pointed at it, for the duration of `body`.
 */
export async function withKubectl(
  body: (context: KubectlContext) => Promise<void>,
): Promise<void> {
  const server = new KubernetesTestServer({
    tls: await certificate(),
    controller: true,
    podReadyDelayMs: 50,
  });
  await server.start();
  const dir = await mkdtemp(join(tmpdir(), 'kubernetes-test-server-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, server.kubeconfig({ namespace: 'shop' }));
    const kubectl = async (...args: string[]) =>
      (
        await promisify(execFile)('kubectl', [
          '--kubeconfig',
          kubeconfig,
          ...args,
        ])
      ).stdout;
    const addReadyWeb = async () => {
      server.addDeployment({
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
          },
        },
      });
      await kubectl(
        'wait',
        '--for=jsonpath={.status.readyReplicas}=2',
        'deployment/web',
        '--timeout=10s',
      );
    };
    await body({ server, kubeconfig, dir, kubectl, addReadyWeb });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}

/** The whitespace-separated cells of each line kubectl printed. */
export function rows(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .map(line => line.trim().split(/\s+/));
}
