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
  };
}
