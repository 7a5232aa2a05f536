import type { HumanDuration } from '@backstage/types';
import type { MetricCheck } from '@internal/backstage-plugin-sentinel-common';

export interface Config {
  /** Configuration of the Sentinel backend. */
  sentinel?: {
    /**
     * Run every plan in shadow mode: policies run and each decision records the exact change
     * it would make, but nothing is applied. Defaults to false.
     */
    shadowMode?: boolean;
    /** Who may approve. */
    approval?: {
      /**
       * Whoever submitted a plan (a person or the optimizer) can never approve it: four eyes.
       * Defaults to true. A require_approval rule's `approvers` asks for more distinct people.
       */
      requireDistinctApprover?: boolean;
    };
    /**
     * How plans are executed. Durations are objects (`{ minutes: 10 }`), ms-style strings
     * (`10m`) or ISO 8601 (`PT10M`).
     */
    execution?: {
      /** Plans stepped at once per replica (a step never waits on the world). Defaults to 32. */
      concurrency?: number;
      /** The most plans one claim leases. Defaults to 8. */
      batchSize?: number;
      /** How long a replica holds a plan it is stepping. Defaults to 30 s. */
      leaseDuration?: HumanDuration | string;
      /** How often an idle replica looks for due plans when nothing wakes it. Defaults to 1 s. */
      pollInterval?: HumanDuration | string;
      /** How long a plan may wait for approval before it is rejected. Defaults to 24 h. */
      approvalTimeout?: HumanDuration | string;
      /**
       * How long a change may take to roll out (all replicas updated and available) before it
       * is rolled back. Defaults to 10 min; a Deployment's progress deadline can end it sooner.
       */
      rolloutTimeout?: HumanDuration | string;
      /**
       * Fallback look at a rollout when no watch event woke the plan. Defaults to 15 s.
       * Clusters without an inventory (modules' own drivers) are looked at every pollInterval.
       */
      rolloutRecheck?: HumanDuration | string;
      /**
       * The longest a plan is held at the moment of apply (a freeze that began after it was
       * accepted, another change to the workload in flight) before it is refused instead.
       * Defaults to 24 h.
       */
      maxHold?: HumanDuration | string;
    };
    /** Where canary analysis queries metrics. Without it every check is inconclusive. */
    prometheus?: {
      /** e.g. http://prometheus.monitoring:9090 */
      baseUrl: string;
      /** How long one query may take before the check is inconclusive; default 5. */
      timeoutSeconds?: number;
      tls?: {
        /**
         * PEM file of the CA Prometheus's certificate must chain to (baseUrl https://); read
         * again when it changes.
         */
        caFile?: string;
      };
      /** Basic auth (Prometheus's web config `basic_auth_users`, or a proxy in front). */
      basicAuth?: {
        username: string;
        /** A file holding the password, read at each query (so it may rotate). */
        passwordFile: string;
      };
    };
    /** Canary and blue/green rollouts (docs/progressive-delivery.md). */
    rollouts?: {
      /** The canary's steps; default 10/25/50/100 % with 10 s pauses. */
      steps?: Array<{ weight: number; pauseSeconds?: number; gate?: boolean }>;
      /** auto (abort on a failed analysis, the default), manual or freeze. */
      rollbackPolicy?: 'auto' | 'manual' | 'freeze';
      /**
       * Canary: the traffic router that sets the canary's weight: nginx (Ingress canary
       * annotations) or gateway-api (HTTPRoute weights), or one a module adds. Default: none,
       * traffic follows the replica ratio. A service's `sentinel.io/traffic-router` annotation
       * overrides it.
       */
      trafficRouter?: string;
      /** Blue/green: how long blue stays scaled after the switch (default 600). */
      rollbackWindowSeconds?: number;
      analysis?: {
        /**
         * PromQL checks templated with {{namespace}}, {{workload}}, {{cluster}}: name, query,
         * weight, critical, max or min, against: stable with tolerance and slack.
         */
        checks?: MetricCheck[];
        intervalSeconds?: number;
        passAfter?: number;
        inconclusiveAfter?: number;
        passScore?: number;
        marginalScore?: number;
        readySeconds?: number;
        inconclusiveSeconds?: number;
        onInconclusive?: 'abort' | 'wait';
      };
      maxPauseSeconds?: number;
      abortAttempts?: number;
      recheckSeconds?: number;
      concurrency?: number;
    };
    /**
     * Redis shared by all replicas for rate-limit counters. Without it the database counts
     * (fine for one replica); while Redis is down or refuses Sentinel the database answers.
     */
    redis?: {
      /**
       * e.g. redis://redis:6379, or rediss://redis:6379 for TLS (the server's certificate is
       * verified, against tls.caFile when given, and must name the host).
       * @visibility secret
       */
      connection?: string;
      /** The ACL user Sentinel signs in as; needs password. */
      username?: string;
      /**
       * The ACL user's password (or the default user's, without username); in production
       * read from a file with $file.
       * @visibility secret
       */
      password?: string;
      tls?: {
        /** PEM file of the CA the server's certificate must chain to; needs rediss://. */
        caFile?: string;
      };
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
      /**
       * The service account token as a value, e.g. `${vault:secret/data/sentinel#cluster-prod-eu-token}`
       * (read when the configuration loads: a new token needs a rolling restart) instead of
       * serviceAccountTokenFile.
       * @visibility secret
       */
      serviceAccountToken?: string;
      /**
       * PEM files, read for every request: a renewed certificate, key or CA is used by the
       * next connection, without a restart.
       */
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
