import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  domainImports,
  findCycles,
  readDiagram,
  type FolderGraph,
} from './__testUtils__/importGraph';

/** Folders that put the domains together or speak HTTP: no domain may import them. */
const OUTER = ['http', 'service', 'plugin'];

/** Folders every domain may build on, which themselves import no domain. */
const LEAVES = ['kubernetes', 'database'];

function edges(g: FolderGraph): string[] {
  return [...g.entries()].flatMap(([from, tos]) =>
    [...tos].map(to => `${from} --> ${to}`),
  );
}

/** Arrows from a domain folder into http/, the composition root or plugin.ts. */
function outwardImports(g: FolderGraph): string[] {
  return edges(g).filter(edge => {
    const [from, to] = edge.split(' --> ');
    return !OUTER.includes(from) && OUTER.includes(to);
  });
}

/** Arrows from kubernetes/ or database/ into a domain. */
function leafImports(g: FolderGraph): string[] {
  return edges(g).filter(edge => {
    const [from, to] = edge.split(' --> ');
    return LEAVES.includes(from) && !LEAVES.includes(to);
  });
}

describe('the backend by domain', () => {
  const src = __dirname;
  const graph = domainImports(src);

  it('has no domain folder importing http/, the composition root or plugin.ts', () => {
    expect(outwardImports(graph)).toEqual([]);
  });

  it('has no two folders importing each other, nor any longer cycle', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('keeps kubernetes/ and database/ free of domain imports', () => {
    expect(leafImports(graph)).toEqual([]);
  });

  it("matches the README's picture of the domains and their arrows", () => {
    const readme = fs.readFileSync(
      path.resolve(src, '..', 'README.md'),
      'utf8',
    );
    expect(edges(readDiagram(readme)).sort()).toEqual(edges(graph).sort());
  });
});

describe('the import graph checks, on a made-up source tree', () => {
  let root: string;
  const file = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sentinel-import-graph-'));
    file('http/router.ts', "import { plan } from '../plans/plan';\n");
    file('plans/plan.ts', 'export const plan = 1;\n');
    file('plans/plan.test.ts', "import '../http/router';\n");
    file('plugin.ts', "import '../service/createSentinel';\n");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('passes a tree whose domains import inward only (tests left out)', () => {
    const g = domainImports(root);
    expect(edges(g)).toEqual(['http --> plans']);
    expect(outwardImports(g)).toEqual([]);
    expect(findCycles(g)).toEqual([]);
  });

  it('fails when a domain folder imports http/, and names the cycle it makes', () => {
    file(
      'plans/handler.ts',
      "import type { Router } from '../http/router';\nexport type R = Router;\n",
    );
    const g = domainImports(root);
    expect(outwardImports(g)).toEqual(['plans --> http']);
    expect(findCycles(g)).toEqual([['http', 'plans', 'http']]);
  });

  it('fails when kubernetes/ imports a domain', () => {
    file('kubernetes/driver.ts', "export * from '../plans/plan';\n");
    expect(leafImports(domainImports(root))).toEqual(['kubernetes --> plans']);
  });
});
