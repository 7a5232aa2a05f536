import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import { CRD_SCHEMAS } from './crdSchemas';
import type { KubeObject } from './render';

/**
 * The API versions a Kubernetes 1.30 cluster serves for the kinds Sentinel ships: an object of
 * any other version would be refused there, whatever the schema says.
 */
const SERVED_BY_1_30 = new Set([
  'v1',
  'apps/v1',
  'policy/v1',
  'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
  'autoscaling/v2',
  'batch/v1',
]);

/** Custom resources Sentinel ships, with the package of their schemas. */
const CUSTOM_RESOURCES: Record<string, string> = {
  'argoproj.io/v1alpha1': '@kubernetes-models/argo-cd/argoproj.io/v1alpha1',
};

/**
 * Custom resources whose model package is ESM only (its exports have only an `import`
 * condition, which Jest's CommonJS resolver cannot load): validated by a Node child process.
 */
const ESM_CUSTOM_RESOURCES: Record<string, string> = {
  'bitnami.com/v1alpha1':
    '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1',
  'cert-manager.io/v1': '@kubernetes-models/cert-manager/cert-manager.io/v1',
  'security.istio.io/v1': '@kubernetes-models/istio/security.istio.io/v1',
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });

/**
 * Validates an object against the JSON schema of its kind (kubernetes-models 4.5: the
 * Kubernetes 1.32 OpenAPI schemas, a superset of 1.30's for the versions above; the
 * @kubernetes-models packages for Argo CD, Sealed Secrets, cert-manager and Istio; `crdSchemas.ts` for
 * CloudNativePG). Returns what is wrong, or nothing.
 */
export function schemaProblems(object: KubeObject): string[] {
  const where = `${object.kind}/${object.metadata?.name}`;
  const crd = CRD_SCHEMAS[object.apiVersion];
  if (crd) {
    const schema = crd[object.kind];
    if (!schema) {
      return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
    }
    const validate = ajv.compile(schema);
    return validate(object)
      ? []
      : (validate.errors ?? []).map(
          e =>
            `${where}: ${e.instancePath || '/'} ${e.message}${
              e.keyword === 'additionalProperties'
                ? ` (${
                    (e.params as { additionalProperty: string })
                      .additionalProperty
                  })`
                : ''
            }`,
        );
  }
  const esm = ESM_CUSTOM_RESOURCES[object.apiVersion];
  if (esm) return esmModelProblems(esm, object);
  const custom = CUSTOM_RESOURCES[object.apiVersion];
  if (!custom && !SERVED_BY_1_30.has(object.apiVersion)) {
    return [`${where}: ${object.apiVersion} is not served by Kubernetes 1.30`];
  }
  let models: Record<string, new (o: object) => { validate(): void }>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    models = require(custom ?? `kubernetes-models/${object.apiVersion}`);
  } catch {
    return [`${where}: no schema for ${object.apiVersion}`];
  }
  const Model = models[object.kind];
  if (!Model)
    return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}

/** Validates with an ESM model package, in Node itself (which imports ESM natively). */
function esmModelProblems(module: string, object: KubeObject): string[] {
  const where = `${object.kind}/${object.metadata?.name}`;
  const script = `
    const models = await import(${JSON.stringify(module)});
    const object = JSON.parse(process.argv[1]);
    const Model = models[object.kind];
    if (!Model) { console.log('no schema for ' + object.apiVersion + ' ' + object.kind); process.exit(0); }
    try { new Model(object).validate(); } catch (error) { console.log(error.message); }
  `;
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', script, JSON.stringify(object)],
    // Resolves the package as this package does.
    { cwd: resolve(__dirname, '../../..'), encoding: 'utf8' },
  );
  if (result.status !== 0) {
    return [`${where}: validation did not run: ${result.stderr.trim()}`];
  }
  const output = result.stdout.trim();
  return output ? [`${where}: ${output}`] : [];
}
