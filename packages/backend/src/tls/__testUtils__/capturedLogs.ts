import {
  coreServices,
  createServiceFactory,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';

export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: JsonObject;
  error?: Error;
}

/**
 * A root logger that keeps what the backend logs, so a test can wait for a line (a reload, a
 * refusal) instead of sleeping. SENTINEL_TEST_LOGS=1 also prints it.
 */
export class CapturedLogs {
  readonly entries: LogEntry[] = [];
  #waiters: Array<{ pattern: RegExp; resolve: (entry: LogEntry) => void }> = [];

  readonly factory = createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => this.#logger({}),
  });

  /** The next line logged from now on whose message matches. */
  next(pattern: RegExp): Promise<LogEntry> {
    return new Promise(resolve => this.#waiters.push({ pattern, resolve }));
  }

  matching(pattern: RegExp): LogEntry[] {
    return this.entries.filter(entry => pattern.test(entry.message));
  }

  #record(entry: LogEntry) {
    this.entries.push(entry);
    if (process.env.SENTINEL_TEST_LOGS) {
      // eslint-disable-next-line no-console
      console.log(entry.level, entry.message, entry.error ?? '');
    }
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (waiter.pattern.test(entry.message)) waiter.resolve(entry);
      else this.#waiters.push(waiter);
    }
  }

  #logger(meta: JsonObject): LoggerService {
    const log =
      (level: LogEntry['level']) =>
      (message: string, extra?: Error | JsonObject) =>
        this.#record({
          level,
          message,
          meta: { ...meta, ...(extra instanceof Error ? {} : extra) },
          error: extra instanceof Error ? extra : undefined,
        });
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: more => this.#logger({ ...meta, ...more }),
    };
  }
}
