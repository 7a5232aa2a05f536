import { rmSync } from 'node:fs';
import { printConfig } from './__testUtils__/backstageConfig';
import { containerOf, materialize } from './__testUtils__/container';
import { kustomize, only, type KubeObject } from './__testUtils__/render';

jest.setTimeout(120_000);

const HOUR = 3_600_000;

/** A Go duration as cert-manager reads it (`2160h`, `90m`, `1h30m`), in milliseconds. */
function goDuration(text: string): number {
  const units: Record<string, number> = { h: HOUR, m: 60_000, s: 1000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([hms])/g)];
  if (!parts.length || parts.map(p => p[0]).join('') !== text) {
    throw new Error(`not a duration cert-manager reads: ${text}`);
  }
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

const of = (objects: KubeObject[], kind: string) =>
  objects.filter(o => o.kind === kind);

const annotations = (o: KubeObject) =>
  (o.metadata.annotations ?? {}) as Record<string, string>;

describe('goDuration', () => {
  it.each([
    ['2160h', 2160 * HOUR],
    ['1h30m', 1.5 * HOUR],
    ['45s', 45_000],
  ])('reads %s', (text, ms) => expect(goDuration(text)).toBe(ms));
  it.each(['90d', '', '1h 30m'])('refuses %j', text =>
    expect(() => goDuration(text)).toThrow(),
  );
});

describe.each(['staging', 'production'])(
  'environment %s: certificates and mTLS',
  name => {
    const { objects } = kustomize(`environments/${name}`);
    const deployment = only(objects, 'Deployment', 'sentinel');
    const namespace = deployment.metadata.namespace!;
    const certificates = of(objects, 'Certificate');
    const certificate = (n: string) => only(objects, 'Certificate', n);
    const view = containerOf(objects);
    const { root, configFiles } = materialize(view);
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    let loaded: any;
    const config = () =>
      (loaded ??= printConfig(
        configFiles.flatMap(file => ['--config', file]),
        view.env,
      ));

    it('issues every certificate from an Issuer in the rendering, the leaves from the CA', () => {
      const issuers = new Map(
        of(objects, 'Issuer').map(i => [i.metadata.name, i]),
      );
      for (const c of certificates) {
        expect(c.spec.issuerRef.kind).toBe('Issuer');
        expect(issuers.has(c.spec.issuerRef.name)).toBe(true);
      }
      const ca = issuers.get('sentinel-ca')!;
      // The CA Issuer signs with the key of the self-signed CA certificate.
      expect(ca.spec.ca.secretName).toBe(
        certificate('sentinel-ca').spec.secretName,
      );
      expect(certificate('sentinel-ca').spec.isCA).toBe(true);
      for (const n of [
        'sentinel-listener',
        'inframind-client',
        'sentinel-ingress-client',
      ]) {
        expect(certificate(n).spec.issuerRef.name).toBe('sentinel-ca');
        expect(certificate(n).spec.isCA ?? false).toBe(false);
      }
    });

    it('renews every certificate well before it expires, with a new key each time', () => {
      const margins = certificates.map(c => {
        const duration = goDuration(c.spec.duration);
        const renewBefore = goDuration(c.spec.renewBefore);
        expect(c.spec.privateKey.rotationPolicy).toBe('Always');
        return {
          name: c.metadata.name,
          renewBeforeBelowDuration: renewBefore < duration,
          // At least a quarter of its life left to retry a failed renewal, at least 7 days;
          // at most half, so a certificate is not renewed almost as soon as it is issued.
          marginAtLeastAQuarter: renewBefore >= duration / 4,
          marginAtMostHalf: renewBefore <= duration / 2,
          marginAtLeastAWeek: renewBefore >= 7 * 24 * HOUR,
        };
      });
      expect(margins).toEqual(
        certificates.map(c => ({
          name: c.metadata.name,
          renewBeforeBelowDuration: true,
          marginAtLeastAQuarter: true,
          marginAtMostHalf: true,
          marginAtLeastAWeek: true,
        })),
      );
      // No leaf outlives the point where its CA is renewed (and gets a new key).
      const ca = certificate('sentinel-ca').spec;
      const caUntilRenewal =
        goDuration(ca.duration) - goDuration(ca.renewBefore);
      for (const c of certificates.filter(x => !x.spec.isCA)) {
        expect(goDuration(c.spec.duration)).toBeLessThan(caUntilRenewal);
      }
    });

    it("names the listener by the Service's DNS names and the Ingress host", () => {
      const ingress = only(objects, 'Ingress', 'sentinel');
      const names = certificate('sentinel-listener').spec.dnsNames;
      expect(names).toEqual(
        expect.arrayContaining([
          `sentinel.${namespace}.svc`,
          `sentinel.${namespace}.svc.cluster.local`,
          ingress.spec.rules[0].host,
        ]),
      );
      expect(certificate('sentinel-listener').spec.usages).toContain(
        'server auth',
      );
      // nginx checks the backend's certificate by one of those names.
      expect(names).toContain(
        annotations(ingress)['nginx.ingress.kubernetes.io/proxy-ssl-name'],
      );
    });

    it("reads each certificate's Secret where it is used: the listener, PostgreSQL client and Redis CA in the pod, Redis's in its pods, nginx's on the Ingress, the CAs in their Issuers", () => {
      const readers = (secret: string): string[] => {
        const found: string[] = [];
        for (const workload of [deployment, ...of(objects, 'StatefulSet')]) {
          for (const v of workload.spec.template.spec.volumes) {
            const names = [
              v.secret?.secretName,
              ...(v.projected?.sources ?? []).map((p: any) => p.secret?.name),
            ];
            if (names.includes(secret)) {
              found.push(
                `${workload.kind} ${workload.metadata.name} volume ${v.name}`,
              );
            }
          }
        }
        const ingress = only(objects, 'Ingress', 'sentinel');
        if (
          annotations(ingress)[
            'nginx.ingress.kubernetes.io/proxy-ssl-secret'
          ] === `${namespace}/${secret}`
        ) {
          found.push('Ingress proxy-ssl-secret');
        }
        for (const issuer of of(objects, 'Issuer')) {
          if (issuer.spec.ca?.secretName === secret) {
            found.push(`Issuer ${issuer.metadata.name}`);
          }
        }
        return found;
      };
      expect(
        Object.fromEntries(
          certificates.map(c => [c.metadata.name, readers(c.spec.secretName)]),
        ),
      ).toEqual({
        'sentinel-ca': ['Issuer sentinel-ca'],
        'sentinel-listener': ['Deployment sentinel volume listener-tls'],
        'sentinel-ingress-client': ['Ingress proxy-ssl-secret'],
        // The optimizer's: read by the optimizer's pods, outside this rendering
        // (deploy/README.md, "Certificates and mTLS").
        'inframind-client': [],
        // PostgreSQL's client certificates (data-services): CloudNativePG reads the CA and
        // streaming_replica's (dataServices.test.ts checks them), Sentinel its own.
        'sentinel-postgres-client-ca': ['Issuer sentinel-postgres-client-ca'],
        'sentinel-postgres-client': [
          'Deployment sentinel volume postgres-client-tls',
        ],
        'sentinel-postgres-replication': [],
        // Redis's: the backend trusts the CA (only its ca.crt), both Redis pods serve the leaf.
        'sentinel-redis-ca': [
          'Deployment sentinel volume tls',
          'Issuer sentinel-redis-ca',
        ],
        'redis-server': [
          'StatefulSet redis volume tls',
          'StatefulSet redis-replica volume tls',
        ],
      });
      // The listener volume is the whole Secret's ..data (no subPath), so renewals reach the
      // files the backend watches.
      const mount =
        deployment.spec.template.spec.containers[0].volumeMounts.find(
          (m: { name: string }) => m.name === 'listener-tls',
        );
      expect(mount.subPath).toBeUndefined();
    });

    it("maps the optimizer's client certificate, and only it, to the optimizer's subject with the system role", () => {
      const client = certificate('inframind-client').spec;
      expect(client.usages).toContain('client auth');
      const names = [
        `CN=${client.commonName}`,
        ...(client.uris ?? []).map((u: string) => `URI:${u}`),
        ...(client.dnsNames ?? []).map((d: string) => `DNS:${d}`),
      ];
      const mappings = config().backend.auth.externalAccess.filter(
        (e: { type: string }) => e.type === 'client-certificate',
      );
      const optimizer = mappings.filter((e: any) =>
        names.includes(e.options.certificate),
      );
      expect(optimizer.map((e: any) => e.options.subject)).toEqual([
        'external:inframind',
      ]);
      expect(config().sentinel.rbac.roles.system).toContain(
        'service:external:inframind',
      );
      // nginx's certificate maps to nobody: people's requests through it carry their tokens.
      const ingressClient = certificate('sentinel-ingress-client').spec;
      expect(
        mappings.filter(
          (e: any) =>
            e.options.certificate === `CN=${ingressClient.commonName}`,
        ),
      ).toEqual([]);
    });

    it('listens as ADR 013 lays out: HTTPS on the Service, plain health for the probes, plain internal on loopback', () => {
      const { backend, sentinel } = config();
      const container = deployment.spec.template.spec.containers[0];
      const port = (n: string) =>
        container.ports.find((p: { name: string }) => p.name === n)
          .containerPort;
      expect(Number(String(backend.listen).split(':').pop())).toBe(
        port('https'),
      );
      expect(sentinel.tls.healthListen.port).toBe(port('health'));
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(probe.httpGet).toMatchObject({ port: 'health', scheme: 'HTTP' });
      }
      expect(
        container.ports.map((p: { containerPort: number }) => p.containerPort),
      ).not.toContain(sentinel.tls.internalListen.port);
      const service = only(objects, 'Service', 'sentinel');
      expect(service.spec.ports).toEqual([
        { name: 'https', port: 443, targetPort: 'https', appProtocol: 'https' },
      ]);
      const ingress = only(objects, 'Ingress', 'sentinel');
      expect(
        annotations(ingress)['nginx.ingress.kubernetes.io/backend-protocol'],
      ).toBe('HTTPS');
      expect(ingress.spec.rules[0].http.paths[0].backend.service.port).toEqual({
        name: 'https',
      });
      // Let in: nginx, Prometheus and the optimizer, on the HTTPS port; Prometheus alone on
      // the metrics port.
      const policy = only(objects, 'NetworkPolicy', 'sentinel');
      expect(policy.spec.ingress).toHaveLength(2);
      expect(policy.spec.ingress[1]).toEqual({
        from: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: port('metrics') }],
      });
      expect(
        policy.spec.ingress[0].from.map(
          (f: any) =>
            f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'],
        ),
      ).toEqual(['ingress-nginx', 'monitoring', 'inframind']);
      expect(policy.spec.ingress[0].ports).toEqual([
        { protocol: 'TCP', port: port('https') },
      ]);
    });

    it("meshes Sentinel's pods with Istio: strict mTLS in the namespace, callers allowed by identity", () => {
      const pod = deployment.spec.template;
      expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('true');
      const peer = of(objects, 'PeerAuthentication');
      expect(peer).toHaveLength(1);
      // Namespace-wide: no selector.
      expect(peer[0].spec).toEqual({ mtls: { mode: 'STRICT' } });
      expect(peer[0].metadata.namespace).toBe(namespace);
      const policy = only(objects, 'AuthorizationPolicy', 'sentinel');
      expect(policy.spec.action).toBe('ALLOW');
      for (const [key, value] of Object.entries(
        policy.spec.selector.matchLabels,
      )) {
        expect(pod.metadata.labels[key]).toBe(value);
      }
      const container = pod.spec.containers[0];
      const https = container.ports.find(
        (p: { name: string }) => p.name === 'https',
      );
      expect(policy.spec.rules).toEqual([
        {
          from: [
            {
              source: {
                principals: [
                  'cluster.local/ns/ingress-nginx/sa/ingress-nginx',
                  'cluster.local/ns/inframind/sa/inframind',
                  'cluster.local/ns/monitoring/sa/prometheus',
                ],
              },
            },
          ],
          to: [{ operation: { ports: [String(https.containerPort)] } }],
        },
        // The scrape endpoint: Prometheus alone.
        {
          from: [
            {
              source: {
                principals: ['cluster.local/ns/monitoring/sa/prometheus'],
              },
            },
          ],
          to: [
            {
              operation: {
                ports: [
                  String(
                    container.ports.find(
                      (p: { name: string }) => p.name === 'metrics',
                    ).containerPort,
                  ),
                ],
              },
            },
          ],
        },
      ]);
    });
  },
);

describe('environment dev: plain HTTP, as before', () => {
  const { objects } = kustomize('environments/dev');

  it('has no certificates, no mesh and no sentinel.tls', () => {
    expect(
      objects.filter(o =>
        [
          'Certificate',
          'Issuer',
          'PeerAuthentication',
          'AuthorizationPolicy',
        ].includes(o.kind),
      ),
    ).toEqual([]);
    const view = containerOf(objects);
    const { root, configFiles } = materialize(view);
    try {
      const loaded = printConfig(
        configFiles.flatMap(file => ['--config', file]),
        view.env,
      );
      expect(loaded.sentinel.tls).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
