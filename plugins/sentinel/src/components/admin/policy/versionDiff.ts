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
