import { diffLines } from 'diff';

/** One line of a diff between two versions of the policy document. */
export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

/** The lines of `after` against `before`, each marked added, removed or the same. */
export function lineDiff(before: string, after: string): DiffLine[] {
  return diffLines(before, after).flatMap(change => {
    const kind: DiffLine['kind'] =
      (change.added && 'added') || (change.removed && 'removed') || 'same';
    return change.value
      .replace(/\n$/, '')
      .split('\n')
      .map(text => ({ kind, text }));
  });
}

/** Unchanged lines left out of a diff, where they are many and far from any change. */
export interface FoldedLines {
  kind: 'fold';
  count: number;
}

/**
 * The diff with every run of unchanged lines longer than twice `context` folded, keeping
 * `context` lines on each side of a change (as `diff -U3` does). Pure.
 */
export function foldUnchanged(
  lines: DiffLine[],
  context = 3,
): (DiffLine | FoldedLines)[] {
  const near = lines.map((_, i) =>
    lines
      .slice(Math.max(0, i - context), i + context + 1)
      .some(l => l.kind !== 'same'),
  );
  const out: (DiffLine | FoldedLines)[] = [];
  let folded = 0;
  const flush = () => {
    if (folded > 0) out.push({ kind: 'fold', count: folded });
    folded = 0;
  };
  lines.forEach((line, i) => {
    if (line.kind === 'same' && !near[i]) {
      folded += 1;
    } else {
      flush();
      out.push(line);
    }
  });
  flush();
  return out;
}
