import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { kustomize, repoRoot, type KubeObject } from './__testUtils__/render';
import { schemaProblems } from './__testUtils__/schemas';

jest.setTimeout(60_000);

describe('deploy/argocd', () => {
  const rendering = kustomize('deploy/argocd');
  const applications = rendering.objects.filter(o => o.kind === 'Application');
  const project = rendering.objects.find(o => o.kind === 'AppProject')!;

  it('renders without a warning, and every object meets its schema', () => {
    expect(rendering.warnings).toBe('');
    expect(rendering.objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('has one Application per environment, syncing its overlay into its namespace', () => {
    expect(applications.map(a => a.spec.source.path).sort()).toEqual([
      'environments/dev',
      'environments/production',
      'environments/staging',
    ]);
    for (const app of applications) {
      const overlay = resolve(repoRoot, app.spec.source.path);
      expect(existsSync(resolve(overlay, 'kustomization.yaml'))).toBe(true);
      const { namespace } = parse(
        readFileSync(resolve(overlay, 'kustomization.yaml'), 'utf8'),
      );
      expect(app.spec.destination.namespace).toBe(namespace);
      expect(app.spec.project).toBe(project.metadata.name);
    }
  });

  it('lets the project deploy exactly the kinds the environments render, where they go', () => {
    const allowed = new Set(
      project.spec.namespaceResourceWhitelist.map(
        (r: { group: string; kind: string }) => `${r.group}/${r.kind}`,
      ),
    );
    for (const app of applications) {
      const objects: KubeObject[] = kustomize(app.spec.source.path).objects;
      const kinds = objects.map(
        o =>
          `${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${
            o.kind
          }`,
      );
      expect(kinds.filter(k => !allowed.has(k))).toEqual([]);
      expect(project.spec.destinations).toContainEqual(app.spec.destination);
    }
  });

  it('syncs production only when a person does; dev and staging by themselves', () => {
    const automated = Object.fromEntries(
      applications.map(a => [
        a.metadata.name,
        Boolean(a.spec.syncPolicy?.automated),
      ]),
    );
    expect(automated).toEqual({
      'sentinel-dev': true,
      'sentinel-staging': true,
      'sentinel-production': false,
    });
  });
});
