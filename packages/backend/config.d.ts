import type { HumanDuration } from '@backstage/types';

export interface Config {
  sentinel?: {
    /**
     * Serve the backend over HTTPS on `backend.listen`, requiring client certificates
     * (packages/backend/src/tls, docs/adr/013-mtls-listener.md). Replaces `backend.https`.
     * Every file is read again when it changes, without a restart; files that do not make a
     * valid TLS context are refused and the previous ones kept. A client certificate names a
     * caller through `backend.auth.externalAccess` entries of type `client-certificate`.
     * Relative paths are resolved against the working directory (packages/backend in
     * development).
     */
    tls?: {
      /** The server certificate, followed by its intermediates (PEM). */
      certFile: string;
      /** The server certificate's private key (PEM); the path, not the key. */
      keyFile: string;
      /**
       * The CAs a client certificate must chain to (PEM, one or more; during a CA rotation both
       * the old and the new). Required while client certificates are required.
       */
      caFile?: string;
      /**
       * Certificate revocation lists (PEM). Give one for every CA in caFile and keep them
       * current: OpenSSL refuses clients of a CA without a CRL, and all clients once a CRL's
       * nextUpdate has passed.
       */
      crlFile?: string;
      /**
       * Refuse a TLS connection without a valid client certificate (an unknown CA, expired,
       * not yet valid or revoked one). Defaults to true; false serves HTTPS to anyone and asks
       * for no certificate.
       */
      requireClientCertificate?: boolean;
      /** Quiet time after a file change before the files are read. Defaults to 500 ms. */
      reloadDebounce?: HumanDuration | string;
      /**
       * A plain HTTP listener answering only /.backstage/health/v1/readiness, .../liveness and
       * /api/sentinel/health, for probes that present no client certificate (the kubelet's).
       */
      healthListen?: {
        /** Defaults to every address. */
        host?: string;
        port: number;
      };
      /**
       * A plain HTTP listener on loopback (127.0.0.1, ::1 or localhost only) serving the whole
       * backend without client certificates, for Backstage's calls between plugins: point
       * `discovery.endpoints` (target.internal, plugins ['*']) at it. Requests on it still
       * authenticate with Backstage tokens.
       */
      internalListen?: {
        host: string;
        port: number;
      };
    };
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
  /**
   * Secrets from Vault (packages/backend/src/vault, docs/security.md "Secrets from Vault").
   * With this section, `${vault:<mount>/data/<path>#<key>}` anywhere in app-config is the key of
   * a KV v2 secret, read when the config loads; the backend does not start when one cannot be
   * read. Vault's own settings here may use `${ENV}` but not `${vault:...}`.
   */
  vault?: {
    /** Vault's address, e.g. https://vault.vault.svc:8200. Its CA, if private: NODE_EXTRA_CA_CERTS. */
    address: string;
    auth: {
      /** Kubernetes auth: Sentinel logs in with its pod's service account token. */
      kubernetes: {
        /** The Vault role (auth/<mount>/role/<role>). */
        role: string;
        /** The auth method's mount. Defaults to kubernetes. */
        mount?: string;
        /**
         * The service account token file, read again at every login. Defaults to
         * /var/run/secrets/kubernetes.io/serviceaccount/token; deploy/k8s/vault mounts one of
         * audience `vault` at /var/run/secrets/vault/token.
         */
        tokenPath?: string;
      };
    };
    /** How long one request to Vault may take before Vault counts as unreachable. Defaults to 5 s. */
    requestTimeout?: HumanDuration | string;
    /**
     * PostgreSQL credentials from Vault's database secrets engine for backend.database (whose
     * connection is then an object without user and password). They are renewed, and replaced
     * before their lease's max TTL without a restart: new connections use the new user.
     */
    database?: {
      /** The engine's mount. Defaults to database. */
      mount?: string;
      /** The engine's role (<mount>/creds/<role>). */
      role: string;
    };
  };
}
