import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { isMap, parseAllDocuments, type Document } from 'yaml';
import { createTwoFilesPatch } from 'diff';

/** The annotations `sentinel:workload:annotate` sets, by name; undefined ones are left alone. */
export type AnnotationChanges = Record<string, string | undefined>;

/**
 * Sets annotations on the entity `entityRef` names in a catalog-info.yaml (the first entity
 * when no ref is given), keeping every other line, comment and document as it was. Pure.
 */
export function annotateCatalogInfo(
  text: string,
  changes: AnnotationChanges,
  entityRef?: string,
): string {
  const documents = parseAllDocuments(text);
  const problems = documents.flatMap(d =>
    d.errors.map(e => e.message.split('\n')[0]),
  );
  if (problems.length > 0) {
    throw new Error(
      `catalog-info.yaml is not valid YAML: ${problems.join('; ')}`,
    );
  }
  const target = documents.find(d => matches(d as Document, entityRef));
  if (!target) {
    throw new Error(
      entityRef
        ? `catalog-info.yaml has no entity ${entityRef}`
        : 'catalog-info.yaml has no entity',
    );
  }
  // An empty `annotations: {}` would take the new ones inline; write them as a block.
  const existing = target.getIn(['metadata', 'annotations'], true);
  if (isMap(existing) && existing.flow) existing.flow = false;
  for (const [name, value] of Object.entries(changes)) {
    if (value !== undefined) {
      target.setIn(['metadata', 'annotations', name], value);
    }
  }
  return documents.map(d => d.toString({ lineWidth: 0 })).join('');
}

function matches(document: Document, entityRef?: string): boolean {
  const kind = document.getIn(['kind']);
  const name = document.getIn(['metadata', 'name']);
  if (typeof kind !== 'string' || typeof name !== 'string') return false;
  if (!entityRef) return true;
  const namespace = document.getIn(['metadata', 'namespace']);
  const mine = stringifyEntityRef({
    kind,
    namespace: typeof namespace === 'string' ? namespace : 'default',
    name,
  });
  return mine === stringifyEntityRef(parseEntityRef(entityRef));
}

/** A unified diff of the file before and after, for a template's output. */
export function unifiedDiff(
  path: string,
  before: string,
  after: string,
): string {
  return createTwoFilesPatch(path, path, before, after, '', '', { context: 3 });
}
