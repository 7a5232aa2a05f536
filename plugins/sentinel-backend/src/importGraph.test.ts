import fs from 'node:fs';
import path from 'node:path';
import {
  domainImports,
  findCycles,
  readDiagram,
  type FolderGraph,
} from './__testUtils__/importGraph';

const src = __dirname;
const graph = domainImports(src);

/** Folders that put the domains together or speak HTTP: no domain may import them. */
const OUTER = ['http', 'service', 'plugin'];

/** Folders every domain may build on, which themselves import no domain. */
const LEAVES = ['kubernetes', 'database', 'lib'];

function edges(g: FolderGraph): string[] {
  return [...g.entries()].flatMap(([from, tos]) =>
    [...tos].map(to => `${from} --> ${to}`),
  );
}

describe('the backend by domain', () => {
  it('has no domain folder importing http/, the composition root or plugin.ts', () => {
    const offending = edges(graph).filter(edge => {
      const [from, to] = edge.split(' --> ');
      return !OUTER.includes(from) && OUTER.includes(to);
    });
    expect(offending).toEqual([]);
  });

  it('has no two folders importing each other, nor any longer cycle', () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it('keeps kubernetes/, database/ and lib/ free of domain imports', () => {
    const offending = edges(graph).filter(edge => {
      const [from, to] = edge.split(' --> ');
      return LEAVES.includes(from) && !LEAVES.includes(to);
    });
    expect(offending).toEqual([]);
  });

  it("matches the README's picture of the domains and their arrows", () => {
    const readme = fs.readFileSync(
      path.resolve(src, '..', 'README.md'),
      'utf8',
    );
    expect(edges(readDiagram(readme)).sort()).toEqual(edges(graph).sort());
  });
});
