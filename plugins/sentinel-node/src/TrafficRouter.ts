/**
 * Where a progressive rollout's traffic goes: a stable workload and its candidate beside it.
 *
 * @public
 */
export interface TrafficRoute {
  /** The cluster both workloads run in. */
  cluster: string;
  /** The namespace both workloads run in. */
  namespace: string;
  /** The stable workload. */
  workload: string;
  /** The candidate workload, e.g. `cart-canary`. */
  candidate: string;
  /** The rollout id, for labels. */
  rolloutId: string;
}

/**
 * Splits a workload's traffic between its stable and candidate workloads by weight, through
 * whatever routes it in the cluster (an ingress controller, a service mesh, the Gateway API).
 * Without one, traffic follows the replica ratio of the two workloads.
 *
 * @public
 */
export interface TrafficRouter {
  /** The kind of routing, e.g. `'nginx'`, `'gateway-api'`. */
  readonly name: string;

  /**
   * Prepares routing (a canary Service selecting only the candidate's pods, a canary Ingress,
   * or the HTTPRoute's second backend) and sends `weight` % (an integer, 0-100) of the
   * traffic to the candidate. Idempotent: called on every step and again after crashes.
   */
  setWeight(route: TrafficRoute, weight: number): Promise<void>;

  /**
   * Sends all traffic back to the stable workload and removes what `setWeight` created.
   * Idempotent; nothing there is fine.
   */
  reset(route: TrafficRoute): Promise<void>;
}
