import { createHash } from 'node:crypto';
import type { JsonObject } from '../patch';
import { clone } from '../objects';
import type { ServingPod } from '../podMetrics';
import { isWorkload, RESOURCES, type WorkloadName } from '../resources';
import type { ObjectStore } from '../store';
import { isBroken, isReady, newPod, podStatus, readyDelay } from './pods';
import { scalingEvent } from './scalingEvent';
import {
  deploymentStatus,
  statefulSetStatus,
  type RolloutCounts,
} from './workloadStatus';

export interface WorkloadControllerOptions {
  podReadyDelayMs: number;
  tickMs: number;
  progressDeadlineScale: number;
}

/** 10 hex digits naming a pod template (the `pod-template-hash` label). */
function templateHash(template: JsonObject): string {
  return createHash('sha256')
    .update(JSON.stringify(template))
    .digest('hex')
    .slice(0, 10);
}

/**
 * The Deployment and StatefulSet controller: on a workload's creation or spec
 * change it reconciles after a tick, one pass at a time, and schedules its
 * next pass for when something is due (a pod getting ready, the progress
 * deadline). Every change it makes is a normal store write.
 */
export class WorkloadController {
  private running = false;
  /** Pending wake-ups per workload (`resource/namespace/name`). */
  private readonly scheduled = new Map<
    string,
    { timer: NodeJS.Timeout; at: number }
  >();
  /** Per workload: the rollout being worked on and when it started. */
  private readonly rollouts = new Map<
    string,
    { hash: string; replicas: number; since: number }
  >();
  /** When each controller-made pod (`namespace/name`) becomes ready. */
  private readonly podReadyAt = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: WorkloadControllerOptions,
  ) {
    // React to workloads created, deleted or changed in spec.
    store.subscribe(({ resource, type, object, previous }) => {
      if (
        isWorkload(resource) &&
        (type !== 'MODIFIED' ||
          previous?.metadata.generation !== object.metadata.generation)
      ) {
        this.schedule(
          resource,
          object.metadata.namespace,
          object.metadata.name,
          this.options.tickMs,
        );
      }
    });
  }

  /** Starts reconciling, beginning with every workload already stored. */
  start(): void {
    this.running = true;
    for (const resource of ['deployments', 'statefulsets'] as const) {
      for (const object of this.store.list(resource)) {
        this.schedule(
          resource,
          object.metadata.namespace,
          object.metadata.name,
          this.options.tickMs,
        );
      }
    }
  }

  stop(): void {
    this.running = false;
    for (const { timer } of this.scheduled.values()) {
      clearTimeout(timer);
    }
    this.scheduled.clear();
  }

  /** Ready pods, with their workload and images and since when they serve. */
  servingPods(): ServingPod[] {
    return this.store.scan('pods').flatMap(pod => {
      if (!isReady(pod)) return [];
      const scheduled = this.podReadyAt.get(
        `${pod.metadata.namespace}/${pod.metadata.name}`,
      );
      return [
        {
          namespace: pod.metadata.namespace,
          name: pod.metadata.name,
          workload:
            (pod.metadata.ownerReferences ?? [])[0]?.name ?? pod.metadata.name,
          images: (pod.spec?.containers ?? []).map(
            (c: JsonObject) => c.image as string,
          ),
          readySince:
            scheduled !== undefined && Number.isFinite(scheduled)
              ? scheduled
              : Date.parse(pod.metadata.creationTimestamp) || Date.now(),
        },
      ];
    });
  }

  /** Wakes the controller for a workload after `delayMs` (an earlier wake-up wins). */
  private schedule(
    resource: WorkloadName,
    namespace: string,
    name: string,
    delayMs: number,
  ) {
    if (!this.running) {
      return;
    }
    const key = `${resource}/${namespace}/${name}`;
    const at = Date.now() + delayMs;
    const pending = this.scheduled.get(key);
    if (pending && pending.at <= at) {
      return;
    }
    if (pending) {
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      this.reconcile(resource, namespace, name);
    }, Math.max(0, delayMs));
    this.scheduled.set(key, { timer, at });
  }

  /**
   * One controller pass for a workload: creates and deletes its pods, marks
   * pods ready once their delay has passed (never for a `-broken` image),
   * writes the status when it changed and schedules the next pass.
   */
  private reconcile(resource: WorkloadName, namespace: string, name: string) {
    const key = `${resource}/${namespace}/${name}`;
    const kind = RESOURCES[resource].kind;
    const workload = this.store.find(resource, namespace, name);
    const owned = () =>
      this.store
        .scan('pods', namespace)
        .filter(pod =>
          (pod.metadata.ownerReferences ?? []).some(
            (ref: JsonObject) => ref.kind === kind && ref.name === name,
          ),
        );
    const deletePod = (pod: JsonObject) => {
      this.podReadyAt.delete(`${namespace}/${pod.metadata.name}`);
      this.store.remove('pods', namespace, pod.metadata.name);
    };
    if (!workload) {
      // Deleted: the garbage collector removes its pods.
      this.rollouts.delete(key);
      owned().forEach(deletePod);
      return;
    }
    const now = Date.now();
    const replicas: number = workload.spec?.replicas ?? 1;
    const template: JsonObject = workload.spec?.template ?? {};
    const hash = templateHash(template);
    let rollout = this.rollouts.get(key);
    if (!rollout || rollout.hash !== hash || rollout.replicas !== replicas) {
      rollout = { hash, replicas, since: now };
      this.rollouts.set(key, rollout);
    }
    const broken = isBroken(template);
    const isCurrent = (pod: JsonObject) =>
      pod.metadata.labels?.['pod-template-hash'] === hash;

    // Scale the current pods to spec.replicas.
    const before = owned().filter(isCurrent).length;
    for (const pod of owned().filter(isCurrent)) {
      if (Number(pod.metadata.name.split('-').pop()) >= replicas) {
        deletePod(pod);
      }
    }
    const readyAfter = readyDelay(template, this.options.podReadyDelayMs);
    for (let index = 0; index < replicas; index++) {
      const podName = `${name}-${hash}-${index}`;
      if (!this.store.find('pods', namespace, podName)) {
        this.podReadyAt.set(
          `${namespace}/${podName}`,
          broken ? Infinity : now + readyAfter,
        );
        this.store.create(
          'pods',
          namespace,
          newPod(podName, namespace, template, hash, workload),
          true,
        );
      }
    }
    const after = owned().filter(isCurrent).length;
    if (after !== before) {
      this.recordEvent(workload, after > before ? 'up' : 'down', hash, after);
    }
    // Pods whose delay has passed become ready.
    let nextWake = Infinity;
    for (const pod of owned().filter(isCurrent)) {
      if (isReady(pod)) {
        continue;
      }
      const readyAt =
        this.podReadyAt.get(`${namespace}/${pod.metadata.name}`) ??
        (broken ? Infinity : now);
      if (readyAt <= now) {
        this.store.update('pods', namespace, pod.metadata.name, {
          ...pod,
          metadata: { ...pod.metadata, resourceVersion: undefined },
          status: podStatus(true, pod.status),
        });
      } else {
        nextWake = Math.min(nextWake, readyAt);
      }
    }
    // Old pods go once every current pod is ready (a rollout never lowers
    // availability, so a broken rollout leaves the old pods serving).
    const current = owned().filter(isCurrent);
    const currentReady = current.filter(isReady);
    const old = owned().filter(pod => !isCurrent(pod));
    if (currentReady.length >= replicas && old.length > 0) {
      old.forEach(deletePod);
      const oldHash = old[0].metadata.labels?.['pod-template-hash'];
      this.recordEvent(workload, 'down', oldHash, 0);
    }

    const pods = owned();
    const complete =
      currentReady.length === replicas && pods.length === replicas;
    const deadlineMs =
      (workload.spec?.progressDeadlineSeconds ?? 600) *
      1000 *
      this.options.progressDeadlineScale;
    const exceeded = !complete && now - rollout.since >= deadlineMs;
    if (!complete && !exceeded) {
      nextWake = Math.min(nextWake, rollout.since + deadlineMs);
    }
    const counts: RolloutCounts = {
      replicas,
      pods: pods.length,
      updated: current.length,
      ready: pods.filter(isReady).length,
      complete,
      exceeded,
    };
    const status =
      resource === 'deployments'
        ? deploymentStatus(workload, counts, `${name}-${hash}`)
        : statefulSetStatus(workload, counts, `${name}-${hash}`);
    if (JSON.stringify(status) !== JSON.stringify(workload.status ?? {})) {
      this.store.update(resource, namespace, name, {
        ...clone(workload),
        metadata: { ...clone(workload.metadata), resourceVersion: undefined },
        status,
      });
    }
    if (nextWake !== Infinity) {
      this.schedule(resource, namespace, name, nextWake - Date.now());
    }
  }

  private recordEvent(
    workload: JsonObject,
    direction: 'up' | 'down',
    hash: string,
    count: number,
  ) {
    this.store.create(
      'events',
      workload.metadata.namespace,
      scalingEvent(
        workload,
        direction,
        `${workload.metadata.name}-${hash}`,
        count,
      ),
    );
  }
}
