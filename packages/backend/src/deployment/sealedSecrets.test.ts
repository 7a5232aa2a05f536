import { kustomize, only, type KubeObject } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';
import { sealedKeys, secretReferences } from './__testUtils__/secrets';

jest.setTimeout(60_000);

const SCOPE_ANNOTATIONS = [
  'sealedsecrets.bitnami.com/namespace-wide',
  'sealedsecrets.bitnami.com/cluster-wide',
];

/** What kubeseal writes: base64 of an RSA-OAEP-wrapped session key (512 bytes) and more. */
const looksSealed = (value: string) =>
  /^[A-Za-z0-9+/]+={0,2}$/.test(value) &&
  Buffer.from(value, 'base64').length > 512;
const isPlaceholder = (value: string) => /^PLACEHOLDER-/.test(value);

describe.each(['staging', 'production'])(
  'environment %s: sealed secrets',
  name => {
    const { objects } = kustomize(`environments/${name}`);
    const sealed = objects.filter(o => o.kind === 'SealedSecret');
    const namespace = only(objects, 'Deployment', 'sentinel').metadata
      .namespace!;
    const references = secretReferences(objects);

    it('seals every Secret key its Deployment reads, each in exactly one SealedSecret of its namespace', () => {
      const deploymentRefs = references.filter(r =>
        r.from.startsWith('Deployment/sentinel '),
      );
      // The Deployment reads its secrets as files (volumes) today; env and envFrom count too.
      expect(deploymentRefs.length).toBeGreaterThan(0);
      // cert-manager writes the Secrets of its Certificates (tls.crt, tls.key, ca.crt) in
      // the cluster: nothing to seal for them (certificates.test.ts checks them).
      const issued = (ref: {
        secret: string;
        key: string;
        namespace?: string;
      }) =>
        ['tls.crt', 'tls.key', 'ca.crt'].includes(ref.key) &&
        objects.some(
          o =>
            o.kind === 'Certificate' &&
            o.spec.secretName === ref.secret &&
            o.metadata.namespace === ref.namespace,
        );
      const unprovided = references
        .filter(ref => !issued(ref))
        .flatMap(ref => {
          const providers = sealed.filter(
            s =>
              s.metadata.name === ref.secret &&
              s.metadata.namespace === ref.namespace &&
              (ref.key === '*' || sealedKeys(s).includes(ref.key)),
          );
          return providers.length === 1
            ? []
            : [
                `${ref.from} needs ${ref.secret}/${ref.key}: ${providers.length} SealedSecrets provide it`,
              ];
        });
      expect(unprovided).toEqual([]);
    });

    it('seals nothing that no object reads', () => {
      const unread = sealed.flatMap(s =>
        sealedKeys(s)
          .filter(
            key =>
              !references.some(
                r =>
                  r.secret === s.metadata.name &&
                  r.namespace === s.metadata.namespace &&
                  (r.key === key || r.key === '*'),
              ),
          )
          .map(key => `${s.metadata.name}/${key}`),
      );
      expect(unread).toEqual([]);
      // No key is both sealed and plain: the Secret would get one of them.
      for (const s of sealed) {
        expect(new Set(sealedKeys(s)).size).toBe(sealedKeys(s).length);
      }
    });

    it('seals with the strict scope: bound to its name and namespace', () => {
      for (const s of sealed) {
        expect(s.metadata.namespace).toBe(namespace);
        const template = s.spec.template?.metadata ?? {};
        for (const annotations of [
          s.metadata.annotations ?? {},
          template.annotations ?? {},
        ]) {
          // A wider scope in the template is how a rotation widened it (CVE-2026-22728).
          expect(Object.keys(annotations)).not.toEqual(
            expect.arrayContaining([expect.stringMatching(/-wide$/)]),
          );
          for (const annotation of SCOPE_ANNOTATIONS) {
            expect(annotations[annotation]).toBeUndefined();
          }
        }
        // The Secret is made with the SealedSecret's own name and namespace.
        expect(template.name ?? s.metadata.name).toBe(s.metadata.name);
        expect(template.namespace ?? namespace).toBe(namespace);
      }
    });

    it('holds ciphertext or a labelled placeholder, never a plain value', () => {
      const plain = sealed.flatMap(s =>
        Object.entries(s.spec.encryptedData as Record<string, string>)
          .filter(([, v]) => !isPlaceholder(v) && !looksSealed(v))
          .map(([k]) => `${s.metadata.name}/${k}`),
      );
      expect(plain).toEqual([]);
      // The plain template values are the non-secret ones: a username, never a password.
      for (const s of sealed) {
        expect(Object.keys(s.spec.template?.data ?? {})).not.toContain(
          'password',
        );
      }
    });

    it('meets the SealedSecret schema (@kubernetes-models/sealed-secrets)', () => {
      expect(sealed.length).toBeGreaterThan(0);
      expect(sealed.flatMap(schemaProblems)).toEqual([]);
    });
  },
);

describe('the sealed-secret checks', () => {
  const secret = (encryptedData: object, extra: object = {}): KubeObject => ({
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: 'sentinel-postgres', namespace: 'sentinel-production' },
    spec: { encryptedData, ...extra },
  });

  it('tell kubeseal output from a plain value', () => {
    expect(looksSealed(Buffer.alloc(600, 7).toString('base64'))).toBe(true);
    expect(looksSealed('hunter2')).toBe(false);
    expect(looksSealed(Buffer.from('a password').toString('base64'))).toBe(
      false,
    );
  });

  it('name a SealedSecret that breaks its schema', () => {
    expect(schemaProblems(secret({ password: 42 }))).toEqual([
      expect.stringMatching(
        /^SealedSecret\/sentinel-postgres: .*encryptedData/,
      ),
    ]);
  });

  it('count the keys of the template as provided', () => {
    expect(
      sealedKeys(
        secret({ password: 'x' }, { template: { data: { username: 'u' } } }),
      ),
    ).toEqual(['password', 'username']);
  });
});

describe('environment dev', () => {
  it('seals nothing: its Secrets are created out of band (deploy/README.md)', () => {
    const { objects } = kustomize('environments/dev');
    expect(objects.filter(o => o.kind === 'SealedSecret')).toEqual([]);
  });
});
