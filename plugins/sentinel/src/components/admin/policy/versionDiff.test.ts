import { foldUnchanged, lineDiff } from './versionDiff';

describe('lineDiff', () => {
  it('marks the lines a version changed', () => {
    expect(lineDiff('a: 1\nb: 2\nc: 3\n', 'a: 1\nb: 5\nc: 3\nd: 4\n')).toEqual([
      { kind: 'same', text: 'a: 1' },
      { kind: 'removed', text: 'b: 2' },
      { kind: 'added', text: 'b: 5' },
      { kind: 'same', text: 'c: 3' },
      { kind: 'added', text: 'd: 4' },
    ]);
  });

  it('has no changed line for equal versions', () => {
    expect(lineDiff('a: 1\n', 'a: 1\n').every(l => l.kind === 'same')).toBe(
      true,
    );
  });
});

describe('foldUnchanged', () => {
  it('keeps three lines around each change and folds the rest', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const after = before.replace('line 10', 'line ten');
    const folded = foldUnchanged(lineDiff(`${before}\n`, `${after}\n`));
    expect(folded).toEqual([
      { kind: 'fold', count: 7 },
      { kind: 'same', text: 'line 7' },
      { kind: 'same', text: 'line 8' },
      { kind: 'same', text: 'line 9' },
      { kind: 'removed', text: 'line 10' },
      { kind: 'added', text: 'line ten' },
      { kind: 'same', text: 'line 11' },
      { kind: 'same', text: 'line 12' },
      { kind: 'same', text: 'line 13' },
      { kind: 'fold', count: 6 },
    ]);
  });

  it('folds a diff without changes into one fold', () => {
    expect(foldUnchanged(lineDiff('a\nb\n', 'a\nb\n'))).toEqual([
      { kind: 'fold', count: 2 },
    ]);
  });
});
