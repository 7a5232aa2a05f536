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
 * Validates an object against the JSON schema of its kind (kubernetes-models 4.5: the
 * Kubernetes 1.32 OpenAPI schemas, a superset of 1.30's for the versions above). Returns what
 * is wrong, or nothing.
 */
export function schemaProblems(object: KubeObject): string[] {
  const where = `${object.kind}/${object.metadata?.name}`;
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
