import type { KubeObject } from './render';

/** Names that say a value is a credential. */
const SECRET_NAME =
  /(pass(word|wd)?|secret|token|private[-_]?key|api[-_]?key|credential|auth[-_]?key)$/i;
/** A URL carrying a password in its user information: `scheme://user:password@host`. */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

const workloadKinds = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Pod',
]);

function podSpecOf(object: KubeObject) {
  if (object.kind === 'Pod') return object.spec;
  if (object.kind === 'CronJob')
    return object.spec?.jobTemplate?.spec?.template?.spec;
  return object.spec?.template?.spec;
}

/**
 * Where a rendering puts a secret into a container's environment, where any process of the pod,
 * a crash dump or `kubectl describe` shows it: an env var from a Secret, an envFrom of a Secret,
 * a variable named like a credential, a URL with a password, or a Secret written in plain text.
 * Secrets belong in files (mounted from Secrets, or written by Vault Agent). Pure.
 */
export function secretsInEnvironment(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  const configMaps = new Map(
    objects
      .filter(o => o.kind === 'ConfigMap')
      .map(o => [o.metadata.name, (o.data ?? {}) as Record<string, string>]),
  );
  for (const object of objects) {
    const where = `${object.kind}/${object.metadata.name}`;
    if (object.kind === 'Secret') {
      problems.push(
        `${where}: a Secret in plain text (seal it, or create it apart)`,
      );
    }
    if (!workloadKinds.has(object.kind)) continue;
    const spec = podSpecOf(object) ?? {};
    for (const container of [
      ...(spec.initContainers ?? []),
      ...(spec.containers ?? []),
    ]) {
      const at = `${where} container ${container.name}`;
      const variables: [string, string | undefined][] = [];
      for (const from of container.envFrom ?? []) {
        if (from.secretRef) {
          problems.push(`${at}: envFrom Secret ${from.secretRef.name}`);
        }
        if (from.configMapRef) {
          const data = configMaps.get(from.configMapRef.name) ?? {};
          variables.push(...Object.entries(data));
        }
      }
      for (const variable of container.env ?? []) {
        if (variable.valueFrom?.secretKeyRef) {
          const { name, key } = variable.valueFrom.secretKeyRef;
          problems.push(
            `${at}: env ${variable.name} from Secret ${name} key ${key}`,
          );
        }
        variables.push([variable.name, variable.value]);
      }
      for (const [name, value] of variables) {
        if (SECRET_NAME.test(name)) {
          problems.push(`${at}: env ${name} is named like a credential`);
        }
        if (value !== undefined && URL_PASSWORD.test(value)) {
          problems.push(`${at}: env ${name} is a URL with a password`);
        }
      }
    }
  }
  return problems;
}

/**
 * Secret values written into a committed configuration file: a key named like a credential
 * whose value is a literal rather than a reference (`$file`, `$env`, or `${VAR}` substituted at
 * start), or a URL with a password anywhere. `devDefaults` allows `${VAR:-dev-...}`, the
 * embedded default's development tokens, which production config replaces. Pure.
 */
export function secretsInConfig(
  config: unknown,
  options: { devDefaults?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const reference = options.devDefaults
    ? /^\$\{[A-Z0-9_]+(:-dev-[a-z0-9-]+)?\}$/
    : /^\$\{[A-Z0-9_]+\}$/;
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      const key = path.split('.').pop() ?? '';
      if (SECRET_NAME.test(key) && !reference.test(value)) {
        problems.push(
          `${path}: a literal value (read it from a file or the environment)`,
        );
      }
      if (URL_PASSWORD.test(value))
        problems.push(`${path}: a URL with a password`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}.${i}`));
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        walk(item, path ? `${path}.${key}` : key);
      }
    }
  };
  walk(config, '');
  return problems;
}
