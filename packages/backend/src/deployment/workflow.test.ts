import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { kustomize, only, repoRoot } from './__testUtils__/render';

const WORKFLOW = '.github/workflows/image.yaml';
const workflow = parse(readFileSync(resolve(repoRoot, WORKFLOW), 'utf8'));
const steps: {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  job: string;
}[] = Object.entries(
  workflow.jobs as Record<string, { steps: object[] }>,
).flatMap(([job, { steps: s }]) => s.map(step => ({ ...step, job })));
const scripts = steps.flatMap(s => (s.run ? [s.run] : []));

/** Repository paths a shell script names: scripts/..., environments/..., and so on. */
const repoPaths = (script: string) =>
  [
    ...script.matchAll(
      /(?<![\w./$-])((?:scripts|environments|deploy|packages|plugins|docs|\.github)\/[\w./*-]*[\w*])/g,
    ),
  ].map(m => m[1]);

describe('.github/workflows/image.yaml', () => {
  it('calls only scripts and files the repository has', () => {
    const named = [...new Set(scripts.flatMap(repoPaths))];
    expect(named).toEqual(
      expect.arrayContaining([
        'scripts/image.sh',
        'scripts/promote.sh',
        'environments/dev/kustomization.yaml',
      ]),
    );
    // A glob (environments/*/...) must match something too.
    const missing = named.filter(path =>
      path.includes('*')
        ? !['dev', 'staging', 'production'].some(env =>
            existsSync(resolve(repoRoot, path.replace('*', env))),
          )
        : !existsSync(resolve(repoRoot, path)),
    );
    expect(missing).toEqual([]);
    // The paths that trigger it are the environments' own.
    for (const path of workflow.on.pull_request.paths) {
      expect(
        existsSync(resolve(repoRoot, path.replace('*', 'production'))),
      ).toBe(true);
    }
  });

  it('calls each script with a subcommand it has', () => {
    const subcommands = (file: string) =>
      [
        ...readFileSync(resolve(repoRoot, file), 'utf8').matchAll(
          /^ {2}([a-z|]+)\)/gm,
        ),
      ].flatMap(m => m[1].split('|'));
    const calls = scripts.flatMap(s => [
      ...s.matchAll(/(scripts\/[\w.-]+\.sh) (\w+)/g),
    ]);
    expect(calls.length).toBeGreaterThan(0);
    for (const [, file, subcommand] of calls) {
      expect(subcommands(file)).toContain(subcommand);
    }
    expect(scripts.join('\n')).toMatch(/scripts\/image\.sh build/);
  });

  it('uses published actions at a version, and pushes the image it built', () => {
    for (const { uses } of steps.filter(s => s.uses)) {
      expect(uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    }
    const build = steps.find(s => s.run?.includes('scripts/image.sh build'))!;
    const push = steps.find(s => s.run?.includes('buildah push'))!;
    const built = build.env!.SENTINEL_IMAGE.replace(
      '${{ github.sha }}',
      '$GITHUB_SHA',
    );
    expect(push.run).toContain(`"${built}"`);
    // The pin takes the registry's digest of what was pushed.
    expect(push.run).toMatch(/--digestfile/);
  });

  it('pins dev and opens promotions only from main, with the permissions each needs', () => {
    const jobs = workflow.jobs;
    expect(workflow.on.push.branches).toEqual(['main']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(jobs['pin-dev'].permissions).toEqual({ contents: 'write' });
    for (const job of ['promote-staging', 'promote-production']) {
      expect(jobs[job].permissions).toEqual({
        contents: 'write',
        'pull-requests': 'write',
      });
    }
    expect(jobs['promote-staging'].needs).toBe('pin-dev');
    expect(jobs['promote-production'].if).toMatch(/staging == 'true'/);
  });
});

describe('the image name the pins set', () => {
  it('is the one the Deployment runs and every environment lists in images:', () => {
    const promote = readFileSync(
      resolve(repoRoot, 'scripts/promote.sh'),
      'utf8',
    );
    const name = promote.match(/^IMAGE_NAME=(\S+)$/m)![1];
    expect(promote).toContain('kustomize edit set image "$IMAGE_NAME=$ref"');
    for (const env of ['dev', 'staging', 'production']) {
      const { images } = parse(
        readFileSync(
          resolve(repoRoot, `environments/${env}/kustomization.yaml`),
          'utf8',
        ),
      );
      expect(images.map((i: { name: string }) => i.name)).toContain(name);
      const deployment = only(
        kustomize(`environments/${env}`).objects,
        'Deployment',
        'sentinel',
      );
      expect(deployment.spec.template.spec.containers[0].image).toMatch(
        new RegExp(`(^|/)${name}[:@]`),
      );
    }
  });
});

describe('.github/CODEOWNERS', () => {
  const lines = readFileSync(resolve(repoRoot, '.github/CODEOWNERS'), 'utf8')
    .split('\n')
    .filter(l => l.trim() && !l.startsWith('#'))
    .map(l => l.trim().split(/\s+/));
  /** The owners of a path: the last matching line's (GitHub's rule), for directory patterns. */
  const owners = (path: string) =>
    lines
      .filter(([p]) => p === '*' || `/${path}`.startsWith(p))
      .pop()!
      .slice(1);

  it('names who approves staging, production and the promotion machinery', () => {
    expect(owners('environments/staging/kustomization.yaml')).toEqual([
      '@platform/sre',
      '@platform/platform',
    ]);
    expect(owners('environments/production/kustomization.yaml')).toEqual([
      '@platform/sre',
    ]);
    for (const path of [
      WORKFLOW,
      'scripts/promote.sh',
      'deploy/argocd/applications.yaml',
    ]) {
      expect(owners(path)).toEqual(['@platform/sre']);
    }
  });
});
