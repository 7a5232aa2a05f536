import type { IncomingMessage, ServerResponse } from 'node:http';
import { combinedResource, requestAttributes } from './rbac/attributes';

/**
 * Writes answered, one record per kind of write and status code: how many times a client
 * created, replaced, patched or deleted an object, as the API server saw it. A change a
 * client made twice shows as a count of two, even where the second left the object as the
 * first did (a scale to the same replicas). Writes by the built-in controller (pods, status)
 * are made in process and are not requests.
 *
 * @public
 */
export interface WriteRecord {
  /** create, update, patch, delete or deletecollection. */
  verb: string;
  /** The API group ('' for the core group). */
  apiGroup: string;
  /** The resource, with its subresource (`deployments/scale`). */
  resource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  /** '' for a create or a deletecollection. */
  name: string;
  /** The HTTP status code answered. */
  code: number;
  /** How many such writes were answered. */
  count: number;
}

const WRITE_VERBS = new Set([
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

/** Counts the write requests the server answers (see {@link WriteRecord}). */
export class WriteLog {
  private readonly records = new Map<string, WriteRecord>();

  /** Records the request when its answer has been sent, if it is a write. */
  observe(req: IncomingMessage, res: ServerResponse): void {
    const attributes = requestAttributes(
      req.method ?? 'GET',
      new URL(req.url ?? '/', 'http://localhost'),
    );
    if (!attributes.resourceRequest || !WRITE_VERBS.has(attributes.verb)) {
      return;
    }
    res.once('finish', () => {
      const record = {
        verb: attributes.verb,
        apiGroup: attributes.apiGroup,
        resource: combinedResource(attributes),
        namespace: attributes.namespace,
        name: attributes.name,
        code: res.statusCode,
      };
      const key = JSON.stringify(record);
      const seen = this.records.get(key);
      if (seen) {
        seen.count += 1;
      } else {
        this.records.set(key, { ...record, count: 1 });
      }
    });
  }

  list(): WriteRecord[] {
    return [...this.records.values()].map(r => ({ ...r }));
  }

  clear(): void {
    this.records.clear();
  }
}
