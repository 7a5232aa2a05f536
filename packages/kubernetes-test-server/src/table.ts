import type { JsonObject } from './patch';

/**
 * Server-side printing, as the API server does it for kubectl: a client that asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io` gets rows of ready-made cells, so that
 * `kubectl get deploy` shows READY, UP-TO-DATE and AVAILABLE, and `kubectl get pods` READY,
 * STATUS and RESTARTS, instead of only NAME and AGE.
 */

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  description: string;
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  description: 'Time since the object was created.',
};

/** Columns and cells per kind, as kubectl shows them from a real cluster. */
const PRINTERS: Record<
  string,
  { columns: Column[]; cells(object: JsonObject): unknown[] }
> = {
  Deployment: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'Ready pods of desired.' },
      {
        name: 'Up-to-date',
        type: 'integer',
        description: 'Pods updated to the desired template.',
      },
      {
        name: 'Available',
        type: 'integer',
        description: 'Pods available to users.',
      },
      AGE,
    ],
    cells: o => [
      `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`,
      o.status?.updatedReplicas ?? 0,
      o.status?.availableReplicas ?? 0,
    ],
  },
  ReplicaSet: {
    columns: [
      NAME,
      { name: 'Desired', type: 'integer', description: 'Pods wanted.' },
      { name: 'Current', type: 'integer', description: 'Pods there are.' },
      { name: 'Ready', type: 'integer', description: 'Pods ready.' },
      AGE,
    ],
    cells: o => [
      o.spec?.replicas ?? 1,
      o.status?.replicas ?? 0,
      o.status?.readyReplicas ?? 0,
    ],
  },
  StatefulSet: {
    columns: [
      NAME,
      { name: 'Ready', type: 'string', description: 'Ready pods of desired.' },
      AGE,
    ],
    cells: o => [`${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`],
  },
  Pod: {
    columns: [
      NAME,
      {
        name: 'Ready',
        type: 'string',
        description: 'Ready containers of all.',
      },
      { name: 'Status', type: 'string', description: 'The pod phase.' },
      {
        name: 'Restarts',
        type: 'integer',
        description: 'Container restarts.',
      },
      AGE,
    ],
    cells: o => {
      const statuses: JsonObject[] = o.status?.containerStatuses ?? [];
      const containers = (o.spec?.containers ?? []).length;
      // Without container statuses (this server writes none), the pod's Ready condition.
      const podReady = (o.status?.conditions ?? []).some(
        (c: JsonObject) => c.type === 'Ready' && c.status === 'True',
      );
      let ready = podReady ? containers : 0;
      if (statuses.length) ready = statuses.filter(s => s.ready).length;
      return [
        `${ready}/${containers}`,
        o.status?.phase ?? 'Pending',
        statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0),
      ];
    },
  },
  Ingress: {
    columns: [
      NAME,
      {
        name: 'Class',
        type: 'string',
        description: 'The IngressClass (spec.ingressClassName).',
      },
      { name: 'Hosts', type: 'string', description: 'Hosts of the rules.' },
      {
        name: 'Address',
        type: 'string',
        description: 'Load balancer addresses (status).',
      },
      { name: 'Ports', type: 'string', description: 'Ports served.' },
      AGE,
    ],
    cells: o => [
      o.spec?.ingressClassName ?? '<none>',
      ingressHosts(o.spec?.rules ?? []),
      ingressAddress(o.status),
      (o.spec?.tls ?? []).length ? '80, 443' : '80',
    ],
  },
  // The Gateway API CRD's printer columns: a JSON list of hostnames, blank when none.
  HTTPRoute: {
    columns: [
      NAME,
      {
        name: 'Hostnames',
        type: 'string',
        description: 'Hostnames the route matches.',
      },
      AGE,
    ],
    cells: o => [
      o.spec?.hostnames?.length ? JSON.stringify(o.spec.hostnames) : '',
    ],
  },
};

/** An Ingress's rule hosts as kubectl writes them: the first three, `*` when none. */
export function ingressHosts(rules: JsonObject[]): string {
  const hosts: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (hosts.length === 3) more = true;
    if (!more && rule.host) hosts.push(rule.host);
  }
  if (hosts.length === 0) return '*';
  return more
    ? `${hosts.join(',')} + ${rules.length - 3} more...`
    : hosts.join(',');
}

/** Load balancer IPs or host names, sorted and cut to 16 characters as kubectl does. */
export function ingressAddress(status: JsonObject | undefined): string {
  const addresses = [
    ...new Set<string>(
      (status?.loadBalancer?.ingress ?? [])
        .map((i: JsonObject) => i.ip || i.hostname)
        .filter(Boolean),
    ),
  ].sort();
  const text = addresses.join(',');
  return text.length > 16 ? `${text.slice(0, 13)}...` : text;
}

/** Whether the request's Accept header asks for a Table (kubectl's `get`). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some(
      part => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part),
    );
}

/** How kubectl writes an age: 45s, 3m20s, 2h5m, 3d4h. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  return `${d}d`;
}

/**
 * The objects as a Table. `includeObject` as the API server takes it: `Metadata` (default)
 * puts each object's metadata in its row (kubectl's NAMESPACE column and `-o name` need it),
 * `Object` the whole object, `None` nothing. `withColumns: false` leaves the column
 * definitions out, as the API server does for every watch event after the first.
 */
export function toTable(
  kind: string,
  objects: JsonObject[],
  options: {
    now: number;
    resourceVersion?: string;
    includeObject?: string | null;
    withColumns?: boolean;
  },
): JsonObject {
  const printer = PRINTERS[kind];
  const columns = printer?.columns ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.resourceVersion
      ? { resourceVersion: options.resourceVersion }
      : {},
    columnDefinitions:
      options.withColumns === false
        ? []
        : columns.map(c => ({ priority: 0, format: '', ...c })),
    rows: objects.map(o => {
      const created = Date.parse(o.metadata?.creationTimestamp ?? '');
      const cells = [
        o.metadata?.name,
        ...(printer ? printer.cells(o) : []),
        Number.isNaN(created)
          ? '<unknown>'
          : age((options.now - created) / 1000),
      ];
      let object: JsonObject | undefined;
      if (options.includeObject === 'Object') object = o;
      else if (options.includeObject !== 'None') {
        object = {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata,
        };
      }
      return object ? { cells, object } : { cells };
    }),
  };
}
