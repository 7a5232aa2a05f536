import { podSecretReferences, type SecretReference } from './container';
import type { KubeObject } from './render';

/**
 * Every Secret key the objects of a rendering need, with the namespace they need it in: the
 * pods of Deployments and StatefulSets, CloudNativePG's Cluster (the owner's credentials, a CA
 * of our own) and the Barman Cloud plugin's ObjectStore (the object store's credentials).
 */
export function secretReferences(
  objects: KubeObject[],
): (SecretReference & { namespace?: string })[] {
  return objects.flatMap(object => {
    const where = `${object.kind}/${object.metadata.name}`;
    const inNamespace = (refs: SecretReference[]) =>
      refs.map(r => ({ ...r, namespace: object.metadata.namespace }));
    switch (object.kind) {
      case 'Deployment':
      case 'StatefulSet':
        return inNamespace(podSecretReferences(object));
      case 'Cluster': {
        const spec = object.spec;
        const refs: SecretReference[] = [];
        const basicAuth = (name: string | undefined, from: string) => {
          if (name) {
            for (const key of ['username', 'password']) {
              refs.push({ secret: name, key, from: `${where} ${from}` });
            }
          }
        };
        basicAuth(
          spec.bootstrap?.initdb?.secret?.name,
          'bootstrap.initdb.secret',
        );
        for (const role of spec.managed?.roles ?? []) {
          basicAuth(
            role.passwordSecret?.name,
            `managed.roles[${role.name}].passwordSecret`,
          );
        }
        const certificates = spec.certificates ?? {};
        if (certificates.serverCASecret) {
          refs.push({
            secret: certificates.serverCASecret,
            key: 'ca.crt',
            from: `${where} certificates.serverCASecret`,
          });
          // The key signs the server certificate, unless one is provided.
          if (!certificates.serverTLSSecret) {
            refs.push({
              secret: certificates.serverCASecret,
              key: 'ca.key',
              from: `${where} certificates.serverCASecret`,
            });
          }
        }
        for (const field of ['serverTLSSecret', 'replicationTLSSecret']) {
          if (certificates[field]) {
            for (const key of ['tls.crt', 'tls.key']) {
              refs.push({
                secret: certificates[field],
                key,
                from: `${where} certificates.${field}`,
              });
            }
          }
        }
        return inNamespace(refs);
      }
      case 'ObjectStore': {
        const configuration = object.spec.configuration ?? {};
        const selectors = Object.entries({
          ...Object.fromEntries(
            Object.entries(configuration.s3Credentials ?? {}).map(([k, v]) => [
              `s3Credentials.${k}`,
              v,
            ]),
          ),
          endpointCA: configuration.endpointCA,
        }).filter(
          ([, v]) => v && typeof v === 'object' && 'name' in (v as object),
        ) as [string, { name: string; key: string }][];
        return inNamespace(
          selectors.map(([field, v]) => ({
            secret: v.name,
            key: v.key,
            from: `${where} ${field}`,
          })),
        );
      }
      default:
        return [];
    }
  });
}

/** The keys a SealedSecret's Secret will have: its sealed ones and its template's plain ones. */
export function sealedKeys(sealed: KubeObject): string[] {
  return [
    ...Object.keys(sealed.spec.encryptedData ?? {}),
    ...Object.keys(sealed.spec.template?.data ?? {}),
  ];
}
