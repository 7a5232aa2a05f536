/* eslint-disable no-console */
// What the backend benchmarks share: the simulated cluster in a process of its own, a fresh
// PostgreSQL database, percentiles and the verdict on the targets.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { parse } from 'yaml';
import { applyDatabaseMigrations } from '../src/database/migrations';

const root = join(__dirname, '../../..');
const databaseUrl =
  process.env.SENTINEL_BENCH_DATABASE_URL ??
  'postgresql://postgres@127.0.0.1:5432';

export function percentile(sorted: number[], p: number) {
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

/** The machine and date line every benchmark prints. */
export function printMachine(): void {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus.length} x ${cpus[0].model}, ${Math.round(
      os.totalmem() / 2 ** 30,
    )} GiB, Node ${process.versions.node}; ${new Date().toISOString()}`,
  );
}

/** bench/simulatedCluster.ts with `fleet`; resolves when it serves. */
export async function startSimulatedCluster(fleet: {
  namespaces: number;
  workloadsPerNamespace: number;
  readyAfterMs: number | [number, number];
  replicas?: number;
}) {
  const child = spawn(
    join(root, 'node_modules/.bin/tsx'),
    [join(root, 'bench/simulatedCluster.ts'), JSON.stringify(fleet)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  for await (const chunk of child.stdout!) {
    output += chunk;
    if (output.includes('\n')) break;
  }
  const kubeconfig: string = JSON.parse(output.split('\n')[0]).kubeconfig;
  const server: string = parse(readFileSync(kubeconfig, 'utf8')).clusters[0]
    .cluster.server;
  return { child, kubeconfig, server };
}

/** A migrated PostgreSQL database `name`, dropped first if it exists. */
export async function freshDatabase(name: string): Promise<Knex> {
  const admin = knexFactory({ client: 'pg', connection: databaseUrl });
  await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const knex = knexFactory({
    client: 'pg',
    connection: url.toString(),
    pool: { min: 2, max: 10 },
  });
  await applyDatabaseMigrations(knex);
  return knex;
}

/** Prints each target met or MISSED; a miss makes the process exit non-zero. */
export function judgeTargets(results: readonly (readonly [string, boolean])[]) {
  console.log('targets:');
  for (const [name, ok] of results) {
    console.log(`  ${ok ? 'met   ' : 'MISSED'} ${name}`);
  }
  if (results.some(([, ok]) => !ok)) {
    console.log('benchmark FAILED: a target was missed');
    process.exitCode = 1;
  }
}
