export interface Config {
  sentinel?: {
    /** The in-memory demo cluster of the embedded default (packages/backend/src/demoCluster.ts). */
    demoCluster?: {
      /** Give Sentinel the in-memory cluster `demo` with the demo fleet. Development only. */
      enabled?: boolean;
    };
  };
}
