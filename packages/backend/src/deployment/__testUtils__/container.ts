import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { only, repoRoot, type KubeObject } from './render';

/** What a rendered Deployment's container gets: its command line, environment and files. */
export interface ContainerView {
  /** The `--config` files, as the container names them. */
  configFiles: string[];
  /** The environment from `env` and `envFrom`, as the container sees it. */
  env: Record<string, string>;
  /** Files from mounted ConfigMaps and Secrets, by path in the container. */
  files: Map<string, string>;
  /** The mount paths, longest first. */
  mountPaths: string[];
  /** Things the Deployment refers to that the rendering does not provide. */
  missing: string[];
}

/** The image's working directory, where `app-config*.yaml` and the packages are. */
export const IMAGE_WORKDIR = '/app';

/**
 * What the backend container of `deployment` is given, from the objects of its rendering.
 * Secrets are not in the rendering (they are created apart): a secret volume must list its
 * keys (`items`), so what the pod mounts is known, and gets placeholder content here.
 */
export function containerOf(
  objects: KubeObject[],
  deployment = 'sentinel',
): ContainerView {
  const spec = only(objects, 'Deployment', deployment).spec.template.spec;
  const container = spec.containers.find(
    (c: { name: string }) => c.name === 'backend',
  );
  const missing: string[] = [];
  const configMap = (name: string) =>
    objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === name);
  const args: string[] = [...(container.command ?? []), ...container.args];
  const configFiles = args.flatMap((arg, i) =>
    args[i - 1] === '--config' ? [arg] : [],
  );
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const map = from.configMapRef && configMap(from.configMapRef.name);
    if (!map) missing.push(`envFrom ${JSON.stringify(from)}`);
    else Object.assign(env, map.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = `<secret ${e.name}>`;
    else if (e.valueFrom?.fieldRef)
      env[e.name] = `<field ${e.valueFrom.fieldRef.fieldPath}>`;
    else missing.push(`env ${e.name}`);
  }
  const files = new Map<string, string>();
  const volumes = new Map(
    (spec.volumes ?? []).map((v: { name: string }) => [v.name, v]),
  );
  for (const mount of container.volumeMounts ?? []) {
    const volume: any = volumes.get(mount.name);
    if (!volume) {
      missing.push(`volume ${mount.name}`);
      continue;
    }
    if (volume.configMap) {
      const map = configMap(volume.configMap.name);
      if (!map) missing.push(`ConfigMap ${volume.configMap.name}`);
      for (const [key, value] of Object.entries(map?.data ?? {})) {
        files.set(`${mount.mountPath}/${key}`, String(value));
      }
    } else if (volume.secret || volume.projected) {
      const sources: {
        name: string;
        items?: { key: string; path: string }[];
      }[] = volume.secret
        ? [{ name: volume.secret.secretName, items: volume.secret.items }]
        : volume.projected.sources.map((source: any) => {
            if (!source.secret) {
              missing.push(
                `a projected source of ${mount.name}: only Secrets here`,
              );
              return { name: '', items: [] };
            }
            return source.secret;
          });
      for (const source of sources) {
        if (!source.items?.length) {
          missing.push(
            `the keys of Secret ${source.name} (list them as items)`,
          );
        }
        for (const item of source.items ?? []) {
          files.set(
            `${mount.mountPath}/${item.path}`,
            `placeholder for ${source.name}/${item.key}\n`,
          );
        }
      }
    }
  }
  const mountPaths = (container.volumeMounts ?? [])
    .map((m: { mountPath: string }) => m.mountPath)
    .sort((a: string, b: string) => b.length - a.length);
  return { configFiles, env, files, mountPaths, missing };
}

/**
 * The container's file system, as far as configuration goes, in a temporary folder: the
 * image's app-config files and every mounted file, each at its container path under the
 * folder, and the config files rewritten so that the paths they include point there too.
 * Returns the config files' paths on this machine.
 */
export function materialize(view: ContainerView): {
  root: string;
  configFiles: string[];
} {
  const root = mkdtempSync(join(tmpdir(), 'sentinel-container-'));
  const onHost = (path: string) =>
    join(root, path.startsWith('/') ? path : join(IMAGE_WORKDIR, path));
  // Every mount path where a path begins (not inside a longer one), in one pass.
  const mounts = new RegExp(
    `(?<![\\w./-])(${view.mountPaths
      .map(p => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|')})/`,
    'g',
  );
  const relocate = (text: string) =>
    view.mountPaths.length ? text.replace(mounts, `${root}$1/`) : text;
  for (const [path, content] of view.files) {
    mkdirSync(dirname(onHost(path)), { recursive: true });
    writeFileSync(onHost(path), relocate(content));
  }
  const configFiles = view.configFiles.map(file => {
    if (!file.startsWith('/')) {
      // From the image: the repository's files at /app.
      mkdirSync(dirname(onHost(file)), { recursive: true });
      writeFileSync(
        onHost(file),
        relocate(readFileSync(resolve(repoRoot, file), 'utf8')),
      );
    }
    return onHost(file);
  });
  return { root, configFiles };
}

/** A Secret's key that an object needs, and where it needs it. */
export interface SecretReference {
  /** The Secret's name, in the namespace of the object that refers to it. */
  secret: string;
  /** The key; `*` when every key is taken (envFrom). */
  key: string;
  /** Which object refers to it, and how. */
  from: string;
}

/**
 * Every Secret key the pods of a Deployment (or StatefulSet) read: env secretKeyRef, envFrom
 * secretRef, secret volumes and projected secret sources, in every container.
 */
export function podSecretReferences(workload: KubeObject): SecretReference[] {
  const where = `${workload.kind}/${workload.metadata.name}`;
  const spec = workload.spec.template.spec;
  const references: SecretReference[] = [];
  for (const container of [
    ...(spec.initContainers ?? []),
    ...spec.containers,
  ]) {
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        references.push({
          secret: ref.name,
          key: ref.key,
          from: `${where} env ${e.name}`,
        });
      }
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef) {
        references.push({
          secret: from.secretRef.name,
          key: '*',
          from: `${where} envFrom`,
        });
      }
    }
  }
  for (const volume of spec.volumes ?? []) {
    const sources = volume.secret
      ? [{ name: volume.secret.secretName, items: volume.secret.items }]
      : (volume.projected?.sources ?? [])
          .filter((s: any) => s.secret)
          .map((s: any) => s.secret);
    for (const source of sources) {
      const keys: string[] = source.items?.map(
        (i: { key: string }) => i.key,
      ) ?? ['*'];
      for (const key of keys) {
        references.push({
          secret: source.name,
          key,
          from: `${where} volume ${volume.name}`,
        });
      }
    }
  }
  return references;
}
