/* eslint-disable no-console */
// A simulated Kubernetes cluster in a process of its own, for the benchmarks: the Kubernetes API
// test server over TLS with its controller (pods get ready after a delay) and a fleet of
// Deployments, as a real API server would be: beside Sentinel, not inside it.
//
//   tsx bench/simulatedCluster.ts '{"namespaces":20,"workloadsPerNamespace":20,"readyAfterMs":1000}'
//
// Prints one JSON line {"kubeconfig": "<path>"} when ready, then serves until SIGTERM. Each line
// `writes` on its standard input is answered with one JSON line {"writes": [...]}: the writes
// the API server answered so far (KubernetesTestServer.writes()), how often each object was
// changed, for drills that prove a change was made exactly once.
// `readyAfterMs` may be [min, max]: each workload then gets its own delay in that range.
// `slow: {"workloads": 4, "readyAfterMs": 15000}` adds namespace `slow` with workloads whose
// pods take that long, for changes still rolling out at a chosen moment.
import {
  KubernetesTestServer,
  READY_AFTER_ANNOTATION,
  selfSignedCertificate,
} from '@internal/kubernetes-test-server';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

interface Fleet {
  namespaces: number;
  workloadsPerNamespace: number;
  readyAfterMs: number | [number, number];
  replicas?: number;
  slow?: { workloads: number; readyAfterMs: number };
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
  const addWorkload = (namespace: string, name: string, readyAfter: number) => {
    const labels = { app: name };
    server.addDeployment({
      metadata: { name, namespace, labels },
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
  };
  let i = 0;
  for (let n = 0; n < fleet.namespaces; n++) {
    for (let m = 0; m < fleet.workloadsPerNamespace; m++, i++) {
      // Spread evenly over [min, max], the same for a workload on every run.
      const readyAfter =
        min + Math.round(((max - min) * ((i * 7919) % 1000)) / 999);
      addWorkload(`fleet-${n}`, `svc-${m}`, readyAfter);
    }
  }
  for (let m = 0; m < (fleet.slow?.workloads ?? 0); m++) {
    addWorkload('slow', `svc-${m}`, fleet.slow!.readyAfterMs);
  }
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, server.kubeconfig({ name: 'demo' }), {
    mode: 0o600,
  });
  console.log(JSON.stringify({ kubeconfig }));
  createInterface({ input: process.stdin }).on('line', line => {
    if (line.trim() === 'writes') {
      console.log(JSON.stringify({ writes: server.writes() }));
    }
  });
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
