import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from './patch';
import { RESOURCES, type ResourceName } from './resources';
import { statusBody, StatusError } from './status';
import type { ObjectStore, StoredEvent, WatchEventType } from './store';
import { toTable, wantsTable } from './table';

/** What a watch asks for: a resource, optionally a namespace, and its selectors. */
export interface WatchTarget {
  resource: ResourceName;
  namespace?: string;
  matches: (object: JsonObject) => boolean;
}

interface Watcher extends WatchTarget {
  send: (type: string, object: JsonObject) => void;
  close: () => void;
}

/**
 * The event type a watcher sees for a stored event, or undefined: an object
 * that starts matching the watcher's selectors is ADDED for it, one that stops
 * matching is DELETED, as in Kubernetes.
 */
function eventFor(
  watcher: WatchTarget,
  event: StoredEvent,
): WatchEventType | undefined {
  if (
    watcher.resource !== event.resource ||
    (watcher.namespace && watcher.namespace !== event.object.metadata.namespace)
  ) {
    return undefined;
  }
  const now = watcher.matches(event.object);
  if (event.type !== 'MODIFIED' || !event.previous) {
    return now ? event.type : undefined;
  }
  const before = watcher.matches(event.previous);
  if (now && before) {
    return 'MODIFIED';
  }
  if (now) {
    return 'ADDED';
  }
  return before ? 'DELETED' : undefined;
}

/**
 * Watch streams (`?watch=true`): newline-delimited JSON events, replayed from
 * the store's history after a resourceVersion, then live as the store changes.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: { bookmarkIntervalMs: number },
  ) {
    store.subscribe(event => {
      for (const watcher of this.watchers) {
        const seen = eventFor(watcher, event);
        if (seen) {
          watcher.send(seen, event.object);
        }
      }
    });
  }

  /** Ends every open watch stream, as an API server restart would. */
  disconnectAll(): void {
    for (const watcher of [...this.watchers]) {
      watcher.close();
    }
  }

  /** Answers a watch request with a stream that lasts until either side ends it. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    target: WatchTarget,
  ): void {
    const { resource, namespace, matches } = target;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    let closed = false;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    // kubectl get -w asks for Tables: each event's object is a one-row Table, the column
    // definitions only in the first (as the API server sends them).
    const asTable = wantsTable(req.headers.accept);
    let columnsSent = false;
    const watcher: Watcher = {
      ...target,
      send: (type, object) => {
        if (closed) return;
        let sent = object;
        if (asTable && type !== 'BOOKMARK' && type !== 'ERROR') {
          sent = toTable(RESOURCES[resource].kind, [object], {
            now: Date.now(),
            resourceVersion: object.metadata?.resourceVersion,
            includeObject: url.searchParams.get('includeObject'),
            withColumns: !columnsSent,
          });
          columnsSent = true;
        }
        res.write(`${JSON.stringify({ type, object: sent })}\n`);
      },
      close: () => {
        if (!closed) {
          closed = true;
          clearTimeout(timeoutTimer);
          clearTimeout(bookmarkTimer);
          this.watchers.delete(watcher);
          res.end();
        }
      },
    };
    req.on('close', () => watcher.close());
    res.on('close', () => watcher.close());

    const fromParam = url.searchParams.get('resourceVersion');
    if (fromParam && fromParam !== '0') {
      const from = Number(fromParam);
      if (!Number.isInteger(from) || from < 0) {
        watcher.send(
          'ERROR',
          statusBody(
            400,
            'BadRequest',
            `invalid resource version: ${fromParam}`,
          ),
        );
        watcher.close();
        return;
      }
      let replayed: StoredEvent[];
      try {
        replayed = this.store.eventsAfter(from);
      } catch (error) {
        if (!(error instanceof StatusError)) throw error;
        watcher.send(
          'ERROR',
          statusBody(error.code, error.reason, error.message),
        );
        watcher.close();
        return;
      }
      for (const event of replayed) {
        const type = eventFor(watcher, event);
        if (type) {
          watcher.send(type, event.object);
        }
      }
    } else {
      // No resourceVersion (or "0"): start with the current state as ADDED events.
      for (const object of this.store.list(resource, namespace, matches)) {
        watcher.send('ADDED', object);
      }
    }
    this.watchers.add(watcher);

    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds'));
    if (timeoutSeconds > 0) {
      timeoutTimer = setTimeout(() => watcher.close(), timeoutSeconds * 1000);
    }
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      const bookmark = () => {
        watcher.send('BOOKMARK', {
          kind: RESOURCES[resource].kind,
          apiVersion: RESOURCES[resource].apiVersion,
          metadata: { resourceVersion: this.store.currentResourceVersion },
        });
        bookmarkTimer = setTimeout(bookmark, this.options.bookmarkIntervalMs);
      };
      bookmarkTimer = setTimeout(bookmark, this.options.bookmarkIntervalMs);
    }
  }
}
