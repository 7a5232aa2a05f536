import type { LoggerService } from '@backstage/backend-plugin-api';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { TlsFiles } from './config';
import {
  describeCertificate,
  readTlsCredentials,
  type TlsCredentials,
} from './certificateFiles';
import type { TlsMetrics } from './metrics';

/**
 * Keeps the listener's credentials in step with their files. It watches the folders that hold
 * them (a Kubernetes Secret volume swaps a `..data` link there; cert-manager and Vault Agent
 * rename or rewrite files), waits for `debounceMs` of quiet, reads and checks them all, and
 * hands a changed, valid set to `onChange`. A set that does not check out is logged and
 * counted, and the previous one stays in use.
 */
export class TlsCredentialsWatcher {
  #current: TlsCredentials;
  #watchers: FSWatcher[] = [];
  #timer?: NodeJS.Timeout;
  #reloading: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(
    private readonly options: {
      files: TlsFiles;
      debounceMs: number;
      logger: LoggerService;
      metrics: TlsMetrics;
      onChange: (credentials: TlsCredentials) => void;
    },
    initial: TlsCredentials,
  ) {
    this.#current = initial;
  }

  /** Watches the files from now on; `initial` is what they held when the listener was made. */
  static start(
    options: TlsCredentialsWatcher['options'] & { initial: TlsCredentials },
  ): TlsCredentialsWatcher {
    const { initial, ...rest } = options;
    const watcher = new TlsCredentialsWatcher(rest, initial);
    options.metrics.observe(initial);
    watcher.#watch();
    return watcher;
  }

  get current(): TlsCredentials {
    return this.#current;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
  }

  #watch() {
    const { files, logger } = this.options;
    const folders = new Set(
      [files.certFile, files.keyFile, files.caFile, files.crlFile]
        .filter((file): file is string => file !== undefined)
        .map(file => dirname(file)),
    );
    for (const folder of folders) {
      const watcher = watch(folder, { persistent: false }, () =>
        this.#schedule(),
      );
      watcher.on('error', error =>
        logger.error(
          `Stopped watching ${folder} for TLS file changes; restart to pick up new certificates`,
          error,
        ),
      );
      this.#watchers.push(watcher);
    }
  }

  #schedule() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#reloading = this.#reloading.then(() => this.#reload());
    }, this.options.debounceMs);
  }

  async #reload(): Promise<void> {
    if (this.#stopped) return;
    const { files, logger, metrics, onChange } = this.options;
    let next: TlsCredentials;
    try {
      next = await readTlsCredentials(files);
      if (next.contents === this.#current.contents) return;
      onChange(next);
    } catch (error) {
      metrics.reloaded('failure');
      logger.error(
        'TLS files changed but do not make a valid TLS context; the listener keeps its previous certificates',
        error as Error,
      );
      return;
    }
    this.#current = next;
    metrics.reloaded('success');
    metrics.observe(next);
    logger.info(
      `TLS files reloaded: server certificate ${describeCertificate(
        next.server,
      )}; client CAs: ${
        next.clientCas.map(describeCertificate).join('; ') || 'none'
      }`,
    );
  }
}
