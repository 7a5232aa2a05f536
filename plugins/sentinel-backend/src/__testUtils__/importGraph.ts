import fs from 'node:fs';
import path from 'node:path';

/** Top-level folders of src and the folders each imports (files directly in src, plugin.ts and index.ts: `plugin`). */
export type FolderGraph = Map<string, Set<string>>;

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\1/g;

/** Whether a file is part of the running code (tests and test utilities are left out). */
function isProductionSource(file: string): boolean {
  return (
    /\.tsx?$/.test(file) &&
    !/\.test\.tsx?$/.test(file) &&
    !file.split(path.sep).includes('__testUtils__') &&
    !file.endsWith(`${path.sep}setupTests.ts`)
  );
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return isProductionSource(full) ? [full] : [];
  });
}

function folderOf(src: string, file: string): string {
  const [first, ...rest] = path.relative(src, file).split(path.sep);
  return rest.length ? first : 'plugin';
}

/** The folder-level import graph of the production sources under `src`. */
export function domainImports(src: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const file of sourceFiles(src)) {
    const from = folderOf(src, file);
    const imports = graph.get(from) ?? new Set<string>();
    graph.set(from, imports);
    for (const [, , specifier] of fs
      .readFileSync(file, 'utf8')
      .matchAll(SPECIFIER)) {
      const target = path.resolve(path.dirname(file), specifier);
      const to = folderOf(src, target);
      if (to !== from && !to.startsWith('..')) imports.add(to);
    }
  }
  return graph;
}

/** Every cycle of the graph, each as the folders around it (empty when there is none). */
export function findCycles(graph: FolderGraph): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, trail: string[]) => {
    const at = trail.indexOf(node);
    if (at >= 0) {
      cycles.push([...trail.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node, []);
  return cycles;
}

/** The arrows of the first mermaid `flowchart` in a Markdown text, as a graph. */
export function readDiagram(markdown: string): FolderGraph {
  const block = /```mermaid\n(flowchart[^\n]*\n[\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('no mermaid flowchart found');
  const graph: FolderGraph = new Map();
  for (const line of block[1].split('\n').slice(1)) {
    const arrow = /^\s*([\w]+)\s*-->\s*([\w]+)\s*$/.exec(line);
    if (!arrow) continue;
    const [, from, to] = arrow;
    graph.set(from, (graph.get(from) ?? new Set()).add(to));
  }
  return graph;
}
