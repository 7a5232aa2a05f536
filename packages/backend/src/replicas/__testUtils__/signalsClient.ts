/** A message the signals backend pushes: the channel and what was published on it. */
export interface Signal {
  channel: string;
  message: Record<string, unknown>;
}

/**
 * A browser's connection to one backend's signals (what `@backstage/plugin-signals` opens): a
 * WebSocket at /api/signals carrying the user's token as its protocol, subscribed to
 * `channels`. Keeps every signal it receives.
 */
export interface SignalsClient {
  received: Signal[];
  /** The first signal (already received or still to come) that matches; fails after `timeoutMs`. */
  next(
    matches: (signal: Signal) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Signal>;
  close(): void;
}

export async function connectSignals(
  baseUrl: string,
  token: string,
  channels: string[],
): Promise<SignalsClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/signals`;
  const received: Signal[] = [];
  const waiters = new Set<{
    matches: (signal: Signal) => boolean;
    resolve: (signal: Signal) => void;
  }>();

  const socket = await open(url, token);
  socket.addEventListener('message', event => {
    const signal = JSON.parse(String(event.data)) as Signal;
    received.push(signal);
    for (const waiter of waiters) {
      if (waiter.matches(signal)) {
        waiters.delete(waiter);
        waiter.resolve(signal);
      }
    }
  });
  for (const channel of channels) {
    socket.send(JSON.stringify({ action: 'subscribe', channel }));
  }

  return {
    received,
    next(matches, what, timeoutMs = 60_000) {
      const seen = received.find(matches);
      if (seen) return Promise.resolve(seen);
      return new Promise<Signal>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined = undefined;
        const waiter = {
          matches,
          resolve: (signal: Signal) => {
            clearTimeout(timer);
            resolve(signal);
          },
        };
        timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no signal ${what} reached ${url} within ${timeoutMs} ms; it received ${JSON.stringify(
                received,
              )}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      socket.close();
    },
  };
}

/**
 * Opens the WebSocket, trying again as the browser's signals client does: the signals backend
 * starts listening for WebSocket upgrades only once the first one reached its router, and
 * Node leaves that first request unanswered.
 */
async function open(url: string, token: string): Promise<WebSocket> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const socket = new WebSocket(url, token);
    const opened = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => resolve(false), 5_000);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.addEventListener('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (opened) return socket;
    socket.close();
    if (Date.now() > deadline) throw new Error(`could not open ${url}`);
  }
}
