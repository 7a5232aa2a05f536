import { startDaemon } from './daemon';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './freePort';

/**
 * A real Alertmanager (Debian's `prometheus-alertmanager`) running on a loopback port of its
 * own.
 *
 * @public
 */
export interface AlertmanagerProcess {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops it (and removes its storage when `startAlertmanager` made it). */
  stop(): Promise<void>;
}

/**
 * How `startAlertmanager` runs Alertmanager.
 *
 * @public
 */
export interface StartAlertmanagerOptions {
  /** The alertmanager.yml to run with. */
  configFile: string;
  /** Where it keeps silences and its notification log; default a throwaway directory. */
  storageDir?: string;
  /** The loopback port to listen on; default a free one. */
  port?: number;
  /**
   * The binary; default SENTINEL_ALERTMANAGER, else `alertmanager` or Debian's
   * `prometheus-alertmanager`, whichever is on PATH.
   */
  binary?: string;
  /** How long to wait for it to get ready. Default 30 s. */
  readyTimeoutMs?: number;
}

/**
 * Starts Alertmanager with a given configuration, without its cluster listener (a single
 * instance: no gossip port to collide with), and waits until it answers `/-/ready`.
 *
 * @public
 */
export async function startAlertmanager(
  options: StartAlertmanagerOptions,
): Promise<AlertmanagerProcess> {
  const binary = options.binary ?? alertmanagerBinary();
  const ownStorage = options.storageDir === undefined;
  const storage =
    options.storageDir ?? mkdtempSync(join(tmpdir(), 'sentinel-alertmanager-'));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const { stop } = await startDaemon({
    binary,
    args: [
      `--config.file=${options.configFile}`,
      `--storage.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    debianPackage: 'prometheus-alertmanager',
    isReady: () =>
      fetch(`${url}/-/ready`).then(
        res => res.ok,
        () => false,
      ),
    readyTimeoutMs: options.readyTimeoutMs,
    cleanup: () => {
      if (ownStorage) rmSync(storage, { recursive: true, force: true });
    },
  });
  return { url, stop };
}

/** Upstream names the binary `alertmanager`, Debian `prometheus-alertmanager`. */
function alertmanagerBinary(): string {
  if (process.env.SENTINEL_ALERTMANAGER)
    return process.env.SENTINEL_ALERTMANAGER;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['alertmanager', 'prometheus-alertmanager']) {
    for (const dir of dirs) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not in this directory
      }
    }
  }
  return 'alertmanager';
}
