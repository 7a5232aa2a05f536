import {
  type JsonObject,
  type KubernetesTestServer,
  type RbacPermission,
} from '@internal/kubernetes-test-server';
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * What Sentinel ships for every cluster it acts on (deploy/k8s/target-cluster): its
 * ServiceAccount and the roles bound to it, loaded into the Kubernetes test server, so that
 * Sentinel's Kubernetes code runs in tests with exactly the rights it has on a real cluster.
 */

export const TARGET_CLUSTER = resolve(
  __dirname,
  '../../../../deploy/k8s/target-cluster',
);

/** The ServiceAccount Sentinel acts as on a target cluster. */
export const SENTINEL_ACCOUNT = {
  namespace: 'sentinel-system',
  name: 'sentinel',
} as const;

/** The user name Kubernetes gives it. */
export const SENTINEL_USER = `system:serviceaccount:${SENTINEL_ACCOUNT.namespace}:${SENTINEL_ACCOUNT.name}`;

/**
 * The objects of deploy/k8s/target-cluster, as its kustomization.yaml lists them. Only
 * `resources` is rendered: a kustomization that uses more (patches, name prefixes, labels)
 * is refused, rather than loaded differently from what `kubectl apply -k` would apply.
 */
export function targetClusterManifests(dir = TARGET_CLUSTER): JsonObject[] {
  const kustomization = parse(
    readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
  );
  const unrendered = Object.keys(kustomization).filter(
    key => !['apiVersion', 'kind', 'resources'].includes(key),
  );
  if (unrendered.length > 0) {
    throw new Error(
      `${dir}/kustomization.yaml uses ${unrendered.join(
        ', ',
      )}, which targetClusterManifests does not render; render it with kubectl kustomize`,
    );
  }
  return (kustomization.resources as string[]).flatMap(file =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
      .map(document => document.toJSON() as JsonObject | null)
      .filter((object): object is JsonObject => !!object),
  );
}

/** The ClusterRoles among the manifests, by name. */
export function clusterRoles(manifests: JsonObject[]): string[] {
  return manifests
    .filter(o => o.kind === 'ClusterRole')
    .map(o => o.metadata.name as string);
}

/** Every permission of a rule as a rule of its own (same meaning, one grant each). */
function splitRules(rules: JsonObject[]): JsonObject[] {
  return rules.flatMap(rule =>
    (rule.verbs as string[]).flatMap(verb =>
      (rule.apiGroups as string[]).flatMap(apiGroup =>
        (rule.resources as string[]).map(resource => ({
          ...rule,
          apiGroups: [apiGroup],
          resources: [resource],
          verbs: [verb],
        })),
      ),
    ),
  );
}

/**
 * The manifests with one permission of one ClusterRole taken away: what a test loads to see
 * that the code needs it.
 */
export function withoutPermission(
  manifests: JsonObject[],
  role: string,
  permission: RbacPermission,
): JsonObject[] {
  return manifests.map(object => {
    if (object.kind !== 'ClusterRole' || object.metadata.name !== role) {
      return object;
    }
    const rules = object.rules as JsonObject[];
    const kept = splitRules([rules[permission.rule]]).filter(
      rule =>
        !(
          rule.verbs[0] === permission.verb &&
          rule.apiGroups[0] === permission.apiGroup &&
          rule.resources[0] === permission.resource
        ),
    );
    return {
      ...object,
      rules: [
        ...rules.slice(0, permission.rule),
        ...kept,
        ...rules.slice(permission.rule + 1),
      ],
    };
  });
}

const loaded = new WeakSet<KubernetesTestServer>();

/**
 * Loads the manifests (the shipped ones by default) into the server, once per server, and
 * returns a token of Sentinel's ServiceAccount.
 */
export function loadTargetCluster(
  server: KubernetesTestServer,
  manifests: JsonObject[] = targetClusterManifests(),
): string {
  if (!loaded.has(server)) {
    for (const object of manifests) server.addObject(object);
    loaded.add(server);
  }
  return server.serviceAccountToken(
    SENTINEL_ACCOUNT.namespace,
    SENTINEL_ACCOUNT.name,
  );
}

/** Who Sentinel's Kubernetes tests act as: the test server's administrator, or Sentinel. */
export type Identity =
  | 'the admin token'
  | 'the sentinel ServiceAccount under the shipped role';

/** Both identities, for `describe.each` and `it.each`. */
export const IDENTITIES: Identity[][] = [
  ['the admin token'],
  ['the sentinel ServiceAccount under the shipped role'],
];

/**
 * A kubeconfig (YAML) for the identity: the server's administrator, or Sentinel's
 * ServiceAccount under the shipped roles (loaded into the server on first use).
 */
export function kubeconfigAs(
  server: KubernetesTestServer,
  identity: Identity,
  name = 'k8s',
): string {
  return server.kubeconfig({
    name,
    ...(identity !== 'the admin token' && {
      token: loadTargetCluster(server),
    }),
  });
}

/** `kubeconfigAs`, loaded. */
export function kubeConfigAs(
  server: KubernetesTestServer,
  identity: Identity,
  name = 'k8s',
): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigAs(server, identity, name));
  return kubeConfig;
}
