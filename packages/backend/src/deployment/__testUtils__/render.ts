import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository's root, where `deploy/` and `environments/` are. */
export const repoRoot = resolve(__dirname, '../../../../..');

/** One Kubernetes object as a manifest states it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: any;
}

/**
 * An overlay rendered as `kubectl kustomize` renders it for `kubectl apply -k`: its objects,
 * and what kustomize said on stderr (warnings, such as a deprecated field).
 */
export function kustomize(path: string): {
  objects: KubeObject[];
  warnings: string;
} {
  const result = spawnSync('kubectl', ['kustomize', resolve(repoRoot, path)], {
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${path} failed: ${result.stderr}`);
  }
  return {
    objects: parseAllDocuments(result.stdout).map(
      doc => doc.toJS() as KubeObject,
    ),
    warnings: result.stderr.trim(),
  };
}

/** The one object of a kind (and name, if given) in a rendering. */
export function only(
  objects: KubeObject[],
  kind: string,
  name?: string,
): KubeObject {
  const found = objects.filter(
    o => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`,
    );
  }
  return found[0];
}
