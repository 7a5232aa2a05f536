/*
 * Patch algorithms used by the Kubernetes API test server:
 * JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a strategic merge
 * patch that knows the patch merge keys of the workload types it serves.
 */

/**
 * A JSON object.
 *
 * @public
 */
export type JsonObject = { [key: string]: any };

/**
 * An error raised while applying a patch; carries the HTTP status to answer with.
 *
 * @public
 */
export class PatchError extends Error {
  constructor(
    /** The HTTP status to answer with. */
    readonly code: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * RFC 7386 JSON merge patch.
 *
 * @public
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) {
    return clone(patch);
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value);
    }
  }
  return result;
}

/**
 * Patch merge keys of lists in apps/v1 workloads and core/v1 pod specs and
 * services, by field name (as in the Go types' `patchMergeKey` tags); `ports`
 * are a container's (by containerPort) or a service's (by port).
 */
const MERGE_KEYS: Record<string, string | string[]> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: ['containerPort', 'port'],
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  conditions: 'type',
};

/**
 * Strategic merge patch: a merge patch in which lists with a known merge key
 * are merged element by element (an element with `$patch: delete` removes
 * the matching element), `$patch: replace` replaces a map, and the
 * `$setElementOrder/...` and `$retainKeys` directives are accepted and ignored.
 *
 * @public
 */
export function applyStrategicMergePatch(
  target: unknown,
  patch: unknown,
): unknown {
  if (!isObject(patch)) {
    return clone(patch);
  }
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') {
    return undefined;
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys') {
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field]) && Array.isArray(value)) {
        result[field] = result[field].filter(
          (item: unknown) => !value.includes(item),
        );
      }
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const mergeKey = MERGE_KEYS[key];
    if (Array.isArray(value) && mergeKey && Array.isArray(result[key])) {
      result[key] = mergeList(result[key], value, chooseKey(mergeKey, value));
      continue;
    }
    if (Array.isArray(value)) {
      result[key] = clone(
        value.filter(item => !(isObject(item) && item.$patch === 'delete')),
      );
      continue;
    }
    const merged = applyStrategicMergePatch(result[key], value);
    if (merged === undefined) {
      delete result[key];
    } else {
      result[key] = merged;
    }
  }
  return result;
}

/** The merge key of a list: the first candidate its patch items carry. */
function chooseKey(candidates: string | string[], items: unknown[]): string {
  if (typeof candidates === 'string') {
    return candidates;
  }
  return (
    candidates.find(key => items.some(item => isObject(item) && key in item)) ??
    candidates[0]
  );
}

/** The patch merge key of list `field` holding `items`, or undefined for an atomic list. */
export function listMergeKey(
  field: string,
  items: unknown[],
): string | undefined {
  const candidates = MERGE_KEYS[field];
  return candidates === undefined ? undefined : chooseKey(candidates, items);
}

function mergeList(
  current: unknown[],
  patch: unknown[],
  mergeKey: string,
): unknown[] {
  if (patch.some(item => isObject(item) && item.$patch === 'replace')) {
    return clone(
      patch.filter(item => !(isObject(item) && item.$patch === 'replace')),
    );
  }
  const result = [...current];
  for (const item of patch) {
    if (!isObject(item) || !(mergeKey in item)) {
      throw new PatchError(
        400,
        `map in list must have the merge key "${mergeKey}"`,
      );
    }
    const index = result.findIndex(
      existing => isObject(existing) && existing[mergeKey] === item[mergeKey],
    );
    if (item.$patch === 'delete') {
      if (index >= 0) {
        result.splice(index, 1);
      }
      continue;
    }
    if (index >= 0) {
      result[index] = applyStrategicMergePatch(result[index], item);
    } else {
      result.push(applyStrategicMergePatch({}, item));
    }
  }
  return result;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') {
    return [];
  }
  if (!pointer.startsWith('/')) {
    throw new PatchError(400, `invalid JSON pointer "${pointer}"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map(token => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let node: any = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      node = node[Number(token)];
    } else if (isObject(node)) {
      node = node[token];
    } else {
      return undefined;
    }
  }
  return node;
}

function parentOf(doc: unknown, tokens: string[], path: string): any {
  const parent = getAt(doc, tokens.slice(0, -1));
  if (!Array.isArray(parent) && !isObject(parent)) {
    throw new PatchError(422, `the path "${path}" does not exist`);
  }
  return parent;
}

function arrayIndex(
  parent: unknown[],
  token: string,
  path: string,
  forAdd: boolean,
): number {
  if (forAdd && token === '-') {
    return parent.length;
  }
  const index = Number(token);
  const max = forAdd ? parent.length : parent.length - 1;
  if (!/^\d+$/.test(token) || index > max) {
    throw new PatchError(422, `the array index in "${path}" is out of range`);
  }
  return index;
}

function addAt(doc: unknown, path: string, value: unknown): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) {
    return clone(value);
  }
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, last, path, true), 0, clone(value));
  } else {
    parent[last] = clone(value);
  }
  return doc;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, last, path, false), 1);
  } else {
    if (!(last in parent)) {
      throw new PatchError(422, `the path "${path}" does not exist`);
    }
    delete parent[last];
  }
  return doc;
}

/**
 * RFC 6902 JSON patch.
 *
 * @public
 */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw new PatchError(400, 'a JSON patch must be an array of operations');
  }
  let doc = clone(target);
  for (const operation of operations) {
    if (!isObject(operation) || typeof operation.path !== 'string') {
      throw new PatchError(400, 'invalid JSON patch operation');
    }
    const { op, path } = operation;
    switch (op) {
      case 'add':
        doc = addAt(doc, path, operation.value);
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (getAt(doc, parsePointer(path)) === undefined) {
          throw new PatchError(422, `the path "${path}" does not exist`);
        }
        doc = addAt(removeAt(doc, path), path, operation.value);
        break;
      case 'move':
      case 'copy': {
        const value = getAt(doc, parsePointer(String(operation.from)));
        if (value === undefined) {
          throw new PatchError(
            422,
            `the "from" path "${operation.from}" does not exist`,
          );
        }
        if (op === 'move') {
          doc = removeAt(doc, String(operation.from));
        }
        doc = addAt(doc, path, value);
        break;
      }
      case 'test':
        if (
          JSON.stringify(getAt(doc, parsePointer(path))) !==
          JSON.stringify(operation.value)
        ) {
          throw new PatchError(422, `testing value at "${path}" failed`);
        }
        break;
      default:
        throw new PatchError(400, `unknown JSON patch operation "${op}"`);
    }
  }
  return doc;
}
