export interface Config {
  sentinel?: {
    /**
     * The simulated Kubernetes cluster of the embedded default
     * (packages/backend/src/simulatedCluster.ts). Development only.
     */
    simulatedCluster?: {
      /** Start the Kubernetes API test server with the demo fleet. */
      enabled?: boolean;
      /** Where to write its kubeconfig, relative to packages/backend. */
      kubeconfigPath?: string;
      /** Port to listen on; a free one by default. */
      port?: number;
      /** How long its pods take to become ready, in milliseconds. Defaults to 1000. */
      podReadyDelayMs?: number;
      /**
       * Start a real Prometheus (Debian's package) on this loopback port, scraping the
       * simulated pods' metrics for canary analysis. Not started when unset.
       */
      prometheusPort?: number;
    };
  };
}
