import type { JsonObject } from '../patch';
import { clone } from '../objects';
import type { ServingPod } from '../podMetrics';
import {
  isWorkload,
  RESOURCES,
  type ResourceName,
  type WorkloadName,
} from '../resources';
import type { ObjectStore } from '../store';
import {
  isBroken,
  isControlledBy,
  isReady,
  newPod,
  podStatus,
  readyDelay,
} from './pods';
import {
  beyondHistoryLimit,
  hashOf,
  newReplicaSet,
  replicaSetAnnotations,
  replicaSetStatus,
  REVISION,
  revisionOf,
  templateHash,
} from './replicaSets';
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

/** What one pass over a workload's pods found, and when it needs the next pass. */
interface PodPass {
  counts: RolloutCounts;
  nextWake: number;
  /** A Deployment's: the revision of its current ReplicaSet. */
  revision?: string;
}

/**
 * The Deployment and StatefulSet controller: on a workload's creation or spec
 * change it reconciles after a tick, one pass at a time, and schedules its
 * next pass for when something is due (a pod getting ready, the progress
 * deadline). A Deployment's pods belong to a ReplicaSet per pod template; a
 * StatefulSet's to the StatefulSet. Every change is a normal store write.
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
      for (const object of this.store.scan(resource)) {
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
          workload: this.workloadOf(pod),
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

  /** The Deployment or StatefulSet a pod belongs to (through its ReplicaSet). */
  private workloadOf(pod: JsonObject): string {
    const owner: JsonObject | undefined = pod.metadata.ownerReferences?.[0];
    if (owner?.kind === 'ReplicaSet') {
      const replicaSet = this.store.find(
        'replicasets',
        pod.metadata.namespace,
        owner.name,
      );
      return replicaSet?.metadata.ownerReferences?.[0]?.name ?? owner.name;
    }
    return owner?.name ?? pod.metadata.name;
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

  /** One controller pass for a workload, then the next one scheduled when due. */
  private reconcile(resource: WorkloadName, namespace: string, name: string) {
    const key = `${resource}/${namespace}/${name}`;
    const workload = this.store.find(resource, namespace, name);
    if (!workload) {
      this.rollouts.delete(key);
      this.collectGarbage(RESOURCES[resource].kind, namespace, name);
      return;
    }
    const now = Date.now();
    const replicas: number = workload.spec?.replicas ?? 1;
    const hash = templateHash(workload.spec?.template ?? {});
    let rollout = this.rollouts.get(key);
    if (!rollout || rollout.hash !== hash || rollout.replicas !== replicas) {
      rollout = { hash, replicas, since: now };
      this.rollouts.set(key, rollout);
    }
    const deadlineMs =
      (workload.spec?.progressDeadlineSeconds ?? 600) *
      1000 *
      this.options.progressDeadlineScale;
    const { counts, nextWake, revision } =
      resource === 'deployments'
        ? this.reconcileDeployment(workload, hash, now)
        : this.rollPods(workload, workload, hash, now, () =>
            this.podsOf(namespace, [workload]),
          );
    counts.exceeded = !counts.complete && now - rollout.since >= deadlineMs;
    const wake =
      counts.complete || counts.exceeded
        ? nextWake
        : Math.min(nextWake, rollout.since + deadlineMs);

    // One write for the status and a Deployment's revision annotation, when either changed.
    const current = this.store.get(resource, namespace, name);
    const changes: JsonObject = {};
    const status =
      resource === 'deployments'
        ? deploymentStatus(current, counts, `${name}-${hash}`)
        : statefulSetStatus(current, counts, `${name}-${hash}`);
    if (JSON.stringify(status) !== JSON.stringify(current.status ?? {})) {
      changes.status = status;
    }
    if (revision && current.metadata.annotations?.[REVISION] !== revision) {
      changes.metadata = {
        ...current.metadata,
        annotations: { ...current.metadata.annotations, [REVISION]: revision },
      };
    }
    if (Object.keys(changes).length > 0) {
      this.write(resource, current, changes);
    }
    if (wake !== Infinity) {
      this.schedule(resource, namespace, name, wake - Date.now());
    }
  }

  /**
   * A Deployment's pass: the ReplicaSet of its current template (created, or
   * made the newest revision again on a rollback), the pods, then every
   * ReplicaSet's replicas and status and the revision history limit.
   */
  private reconcileDeployment(
    deployment: JsonObject,
    hash: string,
    now: number,
  ): PodPass {
    const { namespace } = deployment.metadata;
    const owned = () =>
      this.store
        .scan('replicasets', namespace)
        .filter(rs => isControlledBy(rs, deployment));
    const newest = Math.max(0, ...owned().map(revisionOf));
    let current = owned().find(rs => hashOf(rs) === hash);
    if (!current) {
      current = this.store.create(
        'replicasets',
        namespace,
        newReplicaSet(deployment, hash, newest + 1),
        true,
      );
    } else {
      const revision =
        revisionOf(current) < newest ? newest + 1 : revisionOf(current);
      const annotations = replicaSetAnnotations(
        deployment,
        revision,
        current.metadata.annotations,
      );
      if (
        JSON.stringify(annotations) !==
        JSON.stringify(current.metadata.annotations)
      ) {
        current = this.write('replicasets', current, {
          metadata: { ...current.metadata, annotations },
        });
      }
    }

    const pass = this.rollPods(deployment, current, hash, now, () =>
      this.podsOf(namespace, owned()),
    );

    const sets = owned().map(replicaSet => {
      const pods = this.podsOf(namespace, [replicaSet]);
      return { replicaSet, pods: pods.length, ready: pods.filter(isReady) };
    });
    for (const { replicaSet, pods, ready } of sets) {
      const replicas =
        hashOf(replicaSet) === hash ? deployment.spec?.replicas ?? 1 : pods;
      const status = replicaSetStatus(replicaSet, pods, ready.length);
      if (
        replicaSet.spec?.replicas !== replicas ||
        JSON.stringify(status) !== JSON.stringify(replicaSet.status)
      ) {
        this.write('replicasets', replicaSet, {
          spec: { ...replicaSet.spec, replicas },
          status,
        });
      }
    }
    for (const replicaSet of beyondHistoryLimit(
      deployment,
      owned()
        .filter(rs => hashOf(rs) !== hash)
        .map(rs => ({
          replicaSet: rs,
          pods: this.podsOf(namespace, [rs]).length,
        })),
    )) {
      this.store.remove('replicasets', namespace, replicaSet.metadata.name);
    }

    return { ...pass, revision: current.metadata.annotations[REVISION] };
  }

  /**
   * Moves a workload's pods towards `spec.replicas` pods of the current
   * template, owned by `owner` (its ReplicaSet, or the StatefulSet itself):
   * creates and deletes current pods, readies those whose delay has passed
   * (never a `-broken` image), and deletes the older pods once every current
   * one is ready (a rollout never lowers availability, so a broken rollout
   * leaves the old pods serving).
   */
  private rollPods(
    workload: JsonObject,
    owner: JsonObject,
    hash: string,
    now: number,
    pods: () => JsonObject[],
  ): PodPass {
    const { name, namespace } = workload.metadata;
    const replicas: number = workload.spec?.replicas ?? 1;
    const template: JsonObject = workload.spec?.template ?? {};
    const broken = isBroken(template);
    const isCurrent = (pod: JsonObject) => hashOf(pod) === hash;

    const before = pods().filter(isCurrent).length;
    for (const pod of pods().filter(isCurrent)) {
      if (Number(pod.metadata.name.split('-').pop()) >= replicas) {
        this.deletePod(pod);
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
          newPod(podName, namespace, template, hash, owner),
          true,
        );
      }
    }
    const after = pods().filter(isCurrent).length;
    if (after !== before) {
      this.recordEvent(workload, after > before ? 'up' : 'down', hash, after);
    }

    let nextWake = Infinity;
    for (const pod of pods().filter(isCurrent)) {
      if (isReady(pod)) {
        continue;
      }
      const readyAt =
        this.podReadyAt.get(`${namespace}/${pod.metadata.name}`) ??
        (broken ? Infinity : now);
      if (readyAt <= now) {
        this.write('pods', pod, { status: podStatus(true, pod.status) });
      } else {
        nextWake = Math.min(nextWake, readyAt);
      }
    }

    const current = pods().filter(isCurrent);
    const currentReady = current.filter(isReady);
    const old = pods().filter(pod => !isCurrent(pod));
    if (currentReady.length >= replicas && old.length > 0) {
      old.forEach(pod => this.deletePod(pod));
      this.recordEvent(workload, 'down', hashOf(old[0]) ?? '', 0);
    }

    const all = pods();
    return {
      counts: {
        replicas,
        pods: all.length,
        updated: current.length,
        ready: all.filter(isReady).length,
        complete: currentReady.length === replicas && all.length === replicas,
        exceeded: false,
      },
      nextWake,
    };
  }

  /** The pods controlled by any of `owners`. */
  private podsOf(namespace: string, owners: JsonObject[]): JsonObject[] {
    return this.store
      .scan('pods', namespace)
      .filter(pod => owners.some(owner => isControlledBy(pod, owner)));
  }

  /**
   * A deleted workload's dependents go, as the garbage collector removes
   * them: its ReplicaSets and the pods they or the workload own.
   */
  private collectGarbage(kind: string, namespace: string, name: string) {
    const ownedBy = (object: JsonObject, ownerKind: string, names: string[]) =>
      (object.metadata.ownerReferences ?? []).some(
        (ref: JsonObject) => ref.kind === ownerKind && names.includes(ref.name),
      );
    const replicaSets = this.store
      .scan('replicasets', namespace)
      .filter(rs => ownedBy(rs, kind, [name]));
    const names = replicaSets.map(rs => rs.metadata.name);
    for (const pod of this.store.scan('pods', namespace)) {
      if (ownedBy(pod, kind, [name]) || ownedBy(pod, 'ReplicaSet', names)) {
        this.deletePod(pod);
      }
    }
    for (const rs of replicaSets) {
      this.store.remove('replicasets', namespace, rs.metadata.name);
    }
  }

  private deletePod(pod: JsonObject) {
    const { namespace, name } = pod.metadata;
    this.podReadyAt.delete(`${namespace}/${name}`);
    this.store.remove('pods', namespace, name);
  }

  /** Writes `changes` over the stored object, unconditionally (no resourceVersion check). */
  private write(
    resource: ResourceName,
    object: JsonObject,
    changes: JsonObject,
  ): JsonObject {
    const next = { ...clone(object), ...changes };
    next.metadata = { ...next.metadata, resourceVersion: undefined };
    return this.store.update(
      resource,
      object.metadata.namespace,
      object.metadata.name,
      next,
    );
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
