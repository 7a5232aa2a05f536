import { lineDiff } from './versionDiff';

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
