import type {
  TrafficRoute,
  TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import type { Rollout } from '../types';
import { describe, NoServiceError, pinned, type StepContext } from './context';

/** The traffic router of a canary that uses one. */
export function routerFor(
  ctx: StepContext,
  r: Rollout,
): TrafficRouter | undefined {
  if (!r.candidate.router) return undefined;
  const routers = ctx.settings.trafficRouters;
  const router =
    routers?.get(`${r.target.cluster}/${r.candidate.router}`) ??
    routers?.get(`*/${r.candidate.router}`);
  if (!router) {
    throw new Error(
      `no ${r.candidate.router} traffic router is configured for cluster ${r.target.cluster}`,
    );
  }
  return router;
}

export function routeOf(r: Rollout): TrafficRoute {
  return {
    cluster: r.target.cluster,
    namespace: r.target.namespace,
    workload: r.target.name,
    candidate: r.candidate.workload,
    rolloutId: r.id,
  };
}

/** Sends all traffic back to the stable workload through the router, if the canary has one. */
export async function resetRouter(ctx: StepContext, r: Rollout): Promise<void> {
  await routerFor(ctx, r)?.reset(routeOf(r));
}

/**
 * Pins the Service in front of the stable pods to their pod-template-hash, so that pods
 * beside them (green, or a canary whose share a router sets) take no traffic through it.
 * Returns the rollout with the Service and hash it will persist.
 */
export async function pinToStable(
  ctx: StepContext,
  r: Rollout,
): Promise<Rollout> {
  const { candidates } = ctx.driver;
  const service =
    r.candidate.service ?? (await candidates.findService(r.target));
  if (!service) {
    throw new NoServiceError(
      `no Service in ${r.target.namespace} selects the pods of ${describe(
        r.target,
      )}`,
    );
  }
  const blueHash =
    r.candidate.blueHash ?? (await candidates.podTemplateHash(r.target));
  if (!blueHash) {
    throw new Error(
      `${describe(r.target)} has no ready pods to pin traffic to`,
    );
  }
  await candidates.setServiceSelector(r.target.namespace, {
    name: service.name,
    selector: pinned(service.selector, blueHash),
  });
  return { ...r, candidate: { ...r.candidate, service, blueHash } };
}

/**
 * Puts the Service back as it was before the rollout pinned it. Where the pin was never
 * recorded (a person's abort landed during the step that made it), the Service is looked up
 * and any pin to one pod-template-hash removed.
 */
export async function unpin(ctx: StepContext, r: Rollout): Promise<void> {
  if (r.strategy === 'canary' && !r.candidate.router) return;
  const { candidates } = ctx.driver;
  const service =
    r.candidate.service ?? (await candidates.findService(r.target));
  if (service) await candidates.setServiceSelector(r.target.namespace, service);
}

/** Puts the Service back as it was first, where the rollout recorded it. */
export async function restoreService(
  ctx: StepContext,
  r: Rollout,
): Promise<void> {
  if (r.candidate.service) {
    await ctx.driver.candidates.setServiceSelector(
      r.target.namespace,
      r.candidate.service,
    );
  }
}
