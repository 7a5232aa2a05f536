import {
  startAlertmanager,
  type AlertmanagerProcess,
} from '@internal/kubernetes-test-server';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from './render';

export type Labels = Record<string, string>;

/** An alert as a receiver got it: which receiver, and the alert's labels. */
export interface Delivery {
  receiver: string;
  labels: Labels;
}

/**
 * deploy/alertmanager/alertmanager.yml run by a real Alertmanager: its routes and inhibitions
 * as written; only each receiver's integrations are replaced by a webhook to a local server
 * (at /<receiver>; `nobody` keeps none), and the group waits shortened to a second.
 */
export async function startShippedAlertmanager(dir: string): Promise<{
  alertmanager: AlertmanagerProcess;
  received: Delivery[];
  stop(): Promise<void>;
}> {
  const received: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      for (const alert of JSON.parse(body).alerts) {
        received.push({ receiver: req.url!.slice(1), labels: alert.labels });
      }
      res.end();
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };

  const config = parse(
    readFileSync(
      resolve(repoRoot, 'deploy/alertmanager/alertmanager.yml'),
      'utf8',
    ),
  );
  config.receivers = config.receivers.map(({ name }: { name: string }) =>
    name === 'nobody'
      ? { name }
      : {
          name,
          webhook_configs: [{ url: `http://127.0.0.1:${port}/${name}` }],
        },
  );
  for (const route of [config.route, ...config.route.routes]) {
    route.group_wait = '1s';
  }
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, stringify(config));
  const alertmanager = await startAlertmanager({
    configFile: file,
    storageDir: join(dir, 'alertmanager-data'),
  });
  return {
    alertmanager,
    received,
    async stop() {
      await alertmanager.stop();
      await new Promise(r => server.close(r));
    },
  };
}
