/* eslint-disable no-console */
// A simulated Kubernetes cluster in a process of its own, for the benchmarks: the Kubernetes API
// test server over TLS with its controller (pods get ready after a delay) and a fleet of
// Deployments, as a real API server would be: beside Sentinel, not inside it.
//
//   tsx bench/simulatedCluster.ts '{"namespaces":20,"workloadsPerNamespace":20,"readyAfterMs":1000}'
//
// Prints one JSON line {"kubeconfig": "<path>"} when ready, then serves until SIGTERM.
// `readyAfterMs` may be [min, max]: each workload then gets its own delay in that range.
import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
  selfSignedCertificate,
} from '@internal/kubernetes-test-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Fleet {
  namespaces: number;
  workloadsPerNamespace: number;
  readyAfterMs: number | [number, number];
  replicas?: number;
}

async function main() {
  const fleet: Fleet = JSON.parse(process.argv[2] ?? '{}');
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-cluster-'));
  const server = new KubernetesTestServer({
    controller: true,
    tls: selfSignedCertificate({
      keyFile: join(dir, 'key.pem'),
      certFile: join(dir, 'cert.pem'),
    }),
  });
  await server.start();
  const [min, max] = Array.isArray(fleet.readyAfterMs)
    ? fleet.readyAfterMs
    : [fleet.readyAfterMs, fleet.readyAfterMs];
  const replicas = fleet.replicas ?? 1;
  let i = 0;
  for (let n = 0; n < fleet.namespaces; n++) {
    for (let m = 0; m < fleet.workloadsPerNamespace; m++, i++) {
      const name = `svc-${m}`;
      const labels = { app: name };
      // Spread evenly over [min, max], the same for a workload on every run.
      const readyAfter =
        min + Math.round(((max - min) * ((i * 7919) % 1000)) / 999);
      server.addDeployment({
        metadata: { name, namespace: `fleet-${n}`, labels },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels,
              annotations: { [READY_AFTER_ANNOTATION]: String(readyAfter) },
            },
            spec: {
              containers: [{ name: 'app', image: 'fleet/svc:1.0.0' }],
            },
          },
        },
        status: {
          replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
          updatedReplicas: replicas,
        },
      });
    }
  }
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig({ name: 'demo' }), {
    mode: 0o600,
  });
  console.log(JSON.stringify({ kubeconfig }));
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
