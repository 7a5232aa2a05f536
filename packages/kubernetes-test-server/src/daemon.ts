import { spawn, type ChildProcess } from 'node:child_process';

/** A server binary (Prometheus, Alertmanager) run by a test, ready to answer. */
export interface Daemon {
  child: ChildProcess;
  /** Stops it (SIGTERM, after SIGCONT should it be paused), then runs `cleanup`. */
  stop(): Promise<void>;
}

/**
 * Starts `binary` with `args` and resolves once `isReady` says so; rejects, stopping it, when it
 * exits first, misses `readyTimeoutMs` (its last stderr said) or is missing (naming the Debian
 * package that installs it).
 */
export async function startDaemon(options: {
  binary: string;
  args: string[];
  /** The Debian package to install when the binary is missing. */
  debianPackage: string;
  isReady(): Promise<boolean>;
  readyTimeoutMs?: number;
  cleanup?(): void;
}): Promise<Daemon> {
  const { binary } = options;
  const name = binary.split('/').pop();
  const child: ChildProcess = spawn(binary, options.args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', chunk => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', error =>
      reject(
        new Error(
          `could not start ${binary} (${error.message}); install Debian's ${options.debianPackage} package (scripts/dev.sh does)`,
        ),
      ),
    ),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    }
    options.cleanup?.();
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${name} exited at start: ${stderr.trim()}`);
      }
      if (await options.isReady()) return;
      if (Date.now() > deadline) {
        throw new Error(`${name} did not get ready: ${stderr.trim()}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, stop };
}
