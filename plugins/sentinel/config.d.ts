export interface Config {
  sentinel?: {
    /**
     * Grafana, where Sentinel's dashboards are (docs/observability.md). When set, the Sentinel
     * tab and the Overview card link each workload of the service to its canary and rollback
     * dashboards; unset, no links.
     */
    grafana?: {
      /**
       * Grafana's URL as a browser reaches it, e.g. https://grafana.example.com (a sub-path
       * too: https://example.com/grafana). The links are `<baseUrl>/d/sentinel-canary` and
       * `<baseUrl>/d/sentinel-rollbacks` with `var-cluster` and `var-workload`.
       * @visibility frontend
       */
      baseUrl?: string;
    };
  };
}
