import { clone, isObject } from './objects';
import {
  applyMergePatch,
  applyStrategicMergePatch,
  listMergeKey,
  type JsonObject,
} from './patch';

/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`), reduced to
 * what a single owner per field needs: the server records which fields each
 * manager's applied configuration set (`metadata.managedFields`, FieldsV1 as
 * the API server writes it), removes the fields a manager applied before and
 * no longer applies, and merges the configuration in. Fields that other
 * writers set stay. There is no conflict detection between managers (`force`
 * changes nothing), and other writes record no managers.
 */

/** A value's fields in FieldsV1 form: `f:<field>`, `k:{"<merge key>":...}` for keyed list items. */
function fieldsOf(
  value: unknown,
  strategic: boolean,
  field?: string,
): JsonObject {
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        `f:${key}`,
        fieldsOf(item, strategic, key),
      ]),
    );
  }
  const key =
    strategic && field && Array.isArray(value)
      ? listMergeKey(field, value)
      : undefined;
  if (
    key &&
    (value as unknown[]).every(item => isObject(item) && key in item)
  ) {
    return Object.fromEntries(
      (value as JsonObject[]).map(item => [
        `k:${JSON.stringify({ [key]: item[key] })}`,
        { '.': {}, ...fieldsOf(item, strategic) },
      ]),
    );
  }
  // A scalar or an atomic list: owned as a whole.
  return {};
}

/** The fields an applied configuration sets (identity and status are not owned). */
export function appliedFields(
  applied: JsonObject,
  strategic: boolean,
): JsonObject {
  const {
    apiVersion: _apiVersion,
    kind: _kind,
    status: _status,
    metadata = {},
    ...rest
  } = applied;
  const { name: _name, namespace: _namespace, ...meta } = metadata;
  return fieldsOf(
    Object.keys(meta).length ? { metadata: meta, ...rest } : rest,
    strategic,
  );
}

/** Removes from `node` what `before` lists and `after` does not. */
export function pruneFields(
  node: unknown,
  before: JsonObject,
  after: JsonObject,
) {
  for (const [key, owned] of Object.entries(before)) {
    const gone = !(key in after);
    if (key.startsWith('f:') && isObject(node)) {
      const field = key.slice(2);
      if (!(field in node)) continue;
      if (gone) delete node[field];
      else pruneFields(node[field], owned, after[key]);
    } else if (key.startsWith('k:') && Array.isArray(node)) {
      const wanted: JsonObject = JSON.parse(key.slice(2));
      const index = node.findIndex(
        item =>
          isObject(item) &&
          Object.entries(wanted).every(([k, v]) => item[k] === v),
      );
      if (index < 0) continue;
      if (gone) node.splice(index, 1);
      else pruneFields(node[index], owned, after[key]);
    }
  }
}

/**
 * The object after `manager` applies `applied` to `current` (undefined when
 * the apply creates it), with the manager's managedFields entry replaced.
 */
export function serverSideApply(
  current: JsonObject | undefined,
  applied: JsonObject,
  options: { manager: string; strategic: boolean; now: string },
): JsonObject {
  const { manager, strategic, now } = options;
  const fields = appliedFields(applied, strategic);
  const managed: JsonObject[] = current?.metadata?.managedFields ?? [];
  const previous = managed.find(
    entry => entry.manager === manager && entry.operation === 'Apply',
  );
  const base = clone(current ?? {});
  if (previous?.fieldsV1) {
    pruneFields(base, previous.fieldsV1, fields);
  }
  // Status is not applied through the main resource.
  const { status: _status, ...configuration } = applied;
  const merged = (
    strategic
      ? applyStrategicMergePatch(base, configuration)
      : applyMergePatch(base, configuration)
  ) as JsonObject;
  merged.metadata = {
    ...merged.metadata,
    managedFields: [
      ...managed.filter(entry => entry !== previous),
      {
        manager,
        operation: 'Apply',
        apiVersion: applied.apiVersion,
        time: now,
        fieldsType: 'FieldsV1',
        fieldsV1: fields,
      },
    ],
  };
  return merged;
}
