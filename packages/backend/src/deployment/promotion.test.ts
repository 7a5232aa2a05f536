import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { only, repoRoot, type KubeObject } from './__testUtils__/render';
import { parseAllDocuments } from 'yaml';

jest.setTimeout(120_000);

const REGISTRY = 'registry.example.com/platform';
const digest = (fill: string) => `sha256:${fill.repeat(64).slice(0, 64)}`;
const ref = (fill: string) => `${REGISTRY}/sentinel-backend@${digest(fill)}`;

const hasKustomize =
  spawnSync('kustomize', ['version'], { encoding: 'utf8' }).status === 0;

/**
 * `kustomize edit set image NAME=NEWNAME@DIGEST` where no kustomize binary is installed (these
 * machines have only `kubectl kustomize`, which cannot edit): an emulation that writes the
 * images entry as kustomize's edit does (kustomize/commands/edit/set/setimage.go replaces the
 * entry of that name whole with { name, newName, digest }, so a newTag goes), and nothing
 * else. The rendering that follows is kubectl's, as for real.
 */
const KUSTOMIZE_STUB = `#!/usr/bin/env node
const { readFileSync, writeFileSync } = require('node:fs');
const { parseDocument } = require('yaml');
const [edit, set, what, arg] = process.argv.slice(2);
if (edit !== 'edit' || set !== 'set' || what !== 'image') process.exit(2);
const [name, image] = arg.split('=');
const [newName, digest] = image.split('@');
const doc = parseDocument(readFileSync('kustomization.yaml', 'utf8'));
const images = (doc.get('images') ?? []).toJSON?.() ?? [];
const entry = { name, newName, digest };
const i = images.findIndex(e => e.name === name);
if (i < 0) images.push(entry); else images[i] = entry;
doc.set('images', images);
writeFileSync('kustomization.yaml', doc.toString());
`;

/** A copy of the repository's environments, manifests and promote.sh, as its own git repo. */
function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'sentinel-promotion-'));
  for (const dir of ['environments', 'deploy', 'scripts/promote.sh']) {
    cpSync(resolve(repoRoot, dir), join(root, dir), { recursive: true });
  }
  const bin = join(root, '.bin');
  mkdirSync(bin);
  if (!hasKustomize) {
    writeFileSync(join(bin, 'kustomize'), KUSTOMIZE_STUB);
    chmodSync(join(bin, 'kustomize'), 0o755);
  }
  // gh records what it is asked, and lists no open pull requests.
  writeFileSync(
    join(bin, 'gh'),
    `#!/bin/sh\necho "$*" >>"${join(
      root,
      '.gh-calls',
    )}"\ncase "$2" in list) echo 0;; esac\n`,
  );
  chmodSync(join(bin, 'gh'), 0o755);
  const env = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH}`,
    NODE_PATH: resolve(repoRoot, 'node_modules'),
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
  };
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, env, encoding: 'utf8' }).trim();
  const promote = (...args: string[]) =>
    spawnSync('scripts/promote.sh', args, { cwd: root, env, encoding: 'utf8' });
  const render = (environment: string): KubeObject[] =>
    parseAllDocuments(
      execFileSync('kubectl', ['kustomize', `environments/${environment}`], {
        cwd: root,
        encoding: 'utf8',
      }),
    ).map(d => d.toJS());
  const image = (environment: string) =>
    only(render(environment), 'Deployment', 'sentinel').spec.template.spec
      .containers[0].image;
  const commitAll = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', message);
  };
  git('init', '-q', '-b', 'main');
  writeFileSync(join(root, '.gitignore'), '.bin\n.gh-calls\n');
  commitAll('base');
  return { root, git, promote, image, render, commitAll, env };
}

describe('pinning an environment to an image by digest (what CI does for dev)', () => {
  const ws = workspace();
  afterAll(() => rmSync(ws.root, { recursive: true, force: true }));

  it('renders the Deployment with <registry>/sentinel-backend@sha256:<digest>', () => {
    expect(ws.image('dev')).toBe('sentinel-backend:latest');
    const pinned = ws.promote('pin', 'dev', ref('a'));
    expect(pinned.stderr).toBe('');
    expect(pinned.status).toBe(0);
    expect(ws.image('dev')).toBe(ref('a'));
    // Nothing else changes: not the other environments, not the other containers.
    expect(ws.image('staging')).toBe('sentinel-backend:latest');
    expect(ws.git('status', '--porcelain')).toBe(
      'M environments/dev/kustomization.yaml',
    );
    const { images } = parse(
      readFileSync(
        join(ws.root, 'environments/dev/kustomization.yaml'),
        'utf8',
      ),
    );
    expect(images).toEqual([
      expect.objectContaining({
        name: 'sentinel-backend',
        newName: `${REGISTRY}/sentinel-backend`,
        digest: digest('a'),
      }),
    ]);
  });

  it('refuses an image by tag, which could change under the same name', () => {
    const tagged = ws.promote(
      'pin',
      'dev',
      `${REGISTRY}/sentinel-backend:1.2.3`,
    );
    expect(tagged.status).not.toBe(0);
    expect(tagged.stderr).toMatch(/not <registry>\/sentinel-backend@sha256/);
  });

  it('pins Redis to nothing: only sentinel-backend follows the pin', () => {
    ws.promote('pin', 'staging', ref('b'));
    const images = ws
      .render('staging')
      .filter(o => o.kind === 'StatefulSet')
      .map(o => o.spec.template.spec.containers[0].image);
    expect(images).toEqual(['redis:7.2-alpine', 'redis:7.2-alpine']);
    expect(ws.image('staging')).toBe(ref('b'));
  });
});

describe('promotion pull requests', () => {
  const ws = workspace();
  const origin = mkdtempSync(join(tmpdir(), 'sentinel-origin-'));
  afterAll(() => {
    rmSync(ws.root, { recursive: true, force: true });
    rmSync(origin, { recursive: true, force: true });
  });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  ws.git('remote', 'add', 'origin', origin);
  ws.promote('pin', 'dev', ref('c'));
  ws.commitAll('dev runs c');
  ws.git('push', '-q', 'origin', 'main');

  it('opens one to staging with exactly the image dev runs on main, and touches nothing else', () => {
    const pr = ws.promote('pr', 'staging');
    expect(pr.stderr).toBe('');
    expect(pr.status).toBe(0);
    const branch = `promote/staging-${'c'.repeat(12)}`;
    expect(ws.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe(branch);
    expect(
      ws.git('diff', '--name-only', 'origin/main', `origin/${branch}`),
    ).toBe('environments/staging/kustomization.yaml');
    expect(ws.image('staging')).toBe(ref('c'));
    const calls = readFileSync(join(ws.root, '.gh-calls'), 'utf8');
    expect(calls).toContain(
      `pr create --base main --head ${branch} --title Promote sentinel-backend to staging: sentinel-backend@${digest(
        'c',
      )}`,
    );
  });

  it('refuses production until staging runs an image by digest', () => {
    ws.git('checkout', '-q', 'main');
    const pr = ws.promote('pr', 'production');
    expect(pr.status).not.toBe(0);
    expect(pr.stderr).toMatch(/staging runs 'sentinel-backend:latest'/);
  });

  it('lets a pull request give an environment what the one before runs, or what it ran before; nothing else', () => {
    // main: dev c, staging c (the promotion merged), production c.
    ws.git('checkout', '-q', 'main');
    ws.promote('pin', 'staging', ref('c'));
    ws.promote('pin', 'production', ref('c'));
    ws.commitAll('everything runs c');
    // dev d, staging d, production d: the next release, all the way.
    ws.promote('pin', 'dev', ref('d'));
    ws.commitAll('dev runs d');
    ws.promote('pin', 'staging', ref('d'));
    ws.commitAll('staging runs d');
    const base = ws.git('rev-parse', 'HEAD');

    ws.promote('pin', 'production', ref('d'));
    expect(ws.promote('check', base).status).toBe(0);
    ws.commitAll('production runs d');
    const afterRelease = ws.git('rev-parse', 'HEAD');

    // A rollback by revert: production back to c, which it ran before.
    ws.promote('pin', 'production', ref('c'));
    const rollback = ws.promote('check', afterRelease);
    expect(rollback.stdout).toContain('which it ran before (a rollback)');
    expect(rollback.status).toBe(0);

    // An image staging never ran, straight to production.
    ws.promote('pin', 'production', ref('e'));
    const skip = ws.promote('check', afterRelease);
    expect(skip.status).not.toBe(0);
    expect(skip.stderr).toMatch(
      /production would run .*: staging does not run it/,
    );
  });
});
