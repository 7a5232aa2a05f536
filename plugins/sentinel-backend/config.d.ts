export interface Config {
  /** Configuration of the Sentinel backend. */
  sentinel?: {
    /**
     * Run every plan in shadow mode: policies run and each decision records the exact change
     * it would make, but nothing is applied. Defaults to false.
     */
    shadowMode?: boolean;
    /**
     * Hours a plan may wait for approval before it is rejected. Defaults to 24.
     */
    approvalTimeoutHours?: number;
    /**
     * Minutes a change may take to roll out (all replicas updated and available) before it is
     * rolled back. Defaults to 10; a Deployment's own progress deadline can end it sooner.
     */
    rolloutTimeoutMinutes?: number;
    /**
     * Redis shared by all replicas for rate-limit counters, e.g. redis://redis:6379. Without
     * it the database counts (fine for one replica); when Redis is down the database answers.
     */
    redis?: {
      /** @visibility secret */
      connection?: string;
    };
    /**
     * The policy document stored as version 1 on first start (see docs/policies.md); later
     * versions are written through PUT /api/sentinel/v1/policies.
     */
    policy?: {
      rules: object[];
      exceptions?: object[];
    };
    /**
     * Kubernetes clusters Sentinel acts on, each named as in workload references
     * (`cluster/namespace/Kind/name`). Give a kubeconfig, or a URL with a service account
     * token file or client certificate files (mTLS), and the CA file.
     */
    clusters?: Array<{
      name: string;
      url?: string;
      /** A kubeconfig file and, optionally, the context to use. */
      kubeconfig?: { path: string; context?: string };
      serviceAccountTokenFile?: string;
      clientCertFile?: string;
      clientKeyFile?: string;
      caFile?: string;
      /** Development only; refused otherwise. */
      skipTLSVerify?: boolean;
    }>;
    /** Freeze windows created on first start (see docs/policies.md). */
    freezeWindows?: object[];
  };
}
