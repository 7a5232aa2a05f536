import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** How plans are executed (`sentinel.execution`), with the defaults. */
export interface ExecutionSettings {
  /** Plans stepped at once on a replica (each step is short: it never waits on the world). */
  concurrency: number;
  /** The most plans one claim leases. */
  batchSize: number;
  leaseMs: number;
  /** How often an idle replica looks for due plans when nothing wakes it. */
  pollIntervalMs: number;
  approvalTimeoutMs: number;
  rolloutTimeoutMs: number;
  /** Fallback look at a rollout when no watch event came. */
  rolloutRecheckMs: number;
  /** The longest a plan is held at the moment of apply before it is refused instead. */
  maxHoldMs: number;
}

export const DEFAULT_EXECUTION: ExecutionSettings = {
  concurrency: 32,
  batchSize: 8,
  leaseMs: 30_000,
  pollIntervalMs: 1_000,
  approvalTimeoutMs: 24 * 3600_000,
  rolloutTimeoutMs: 10 * 60_000,
  rolloutRecheckMs: 15_000,
  maxHoldMs: 24 * 3600_000,
};

function duration(config: Config | undefined, key: string, fallback: number) {
  if (!config?.has(key)) return fallback;
  return durationToMilliseconds(readDurationFromConfig(config, { key }));
}

/** Reads `sentinel.execution` (durations as `{ minutes: 10 }`, `10m` or `PT10M`). */
export function readExecutionSettings(root: Config): ExecutionSettings {
  const config = root.getOptionalConfig('sentinel.execution');
  const d = DEFAULT_EXECUTION;
  const count = (key: string, fallback: number) => {
    const value = config?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `sentinel.execution.${key} must be a whole number of at least 1, not ${value}`,
      );
    }
    return value;
  };
  return {
    concurrency: count('concurrency', d.concurrency),
    batchSize: count('batchSize', d.batchSize),
    leaseMs: duration(config, 'leaseDuration', d.leaseMs),
    pollIntervalMs: duration(config, 'pollInterval', d.pollIntervalMs),
    approvalTimeoutMs: duration(config, 'approvalTimeout', d.approvalTimeoutMs),
    rolloutTimeoutMs: duration(config, 'rolloutTimeout', d.rolloutTimeoutMs),
    rolloutRecheckMs: duration(config, 'rolloutRecheck', d.rolloutRecheckMs),
    maxHoldMs: duration(config, 'maxHold', d.maxHoldMs),
  };
}
