import { bodyProblems, MAX_BODY_DEPTH } from './bodyShape';

const nested = (depth: number, leaf: unknown = 1): unknown =>
  Array.from({ length: depth }).reduce<unknown>(inner => ({ a: inner }), leaf);

describe('bodyProblems', () => {
  it('names every string and key holding a control character, in the body’s order', () => {
    expect(
      bodyProblems({
        source: 'ok\u0000',
        decisions: [
          { rationale: 'tab\tand\nnew line are fine' },
          { 'k\u0007': 1 },
        ],
        comment: '\u001b[31m',
      }),
    ).toEqual([
      { path: 'source', message: 'must not contain control characters' },
      {
        path: 'decisions.1.k\u0007',
        message: 'must not contain control characters',
      },
      { path: 'comment', message: 'must not contain control characters' },
    ]);
    expect(bodyProblems('\u0000')).toEqual([
      { path: '(body)', message: 'must not contain control characters' },
    ]);
  });

  it('takes nesting up to the limit and names where a deeper body goes too deep', () => {
    expect(bodyProblems(nested(MAX_BODY_DEPTH))).toEqual([]);
    expect(bodyProblems(nested(MAX_BODY_DEPTH + 1))).toEqual([
      {
        path: Array(MAX_BODY_DEPTH).fill('a').join('.'),
        message: `must not nest deeper than ${MAX_BODY_DEPTH} levels`,
      },
    ]);
  });

  it('walks a body nested 100,000 levels deep without exhausting the stack', () => {
    const deepArray = JSON.parse(
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    );
    expect(bodyProblems(deepArray)).toHaveLength(1);
    expect(bodyProblems(nested(100_000))).toHaveLength(1);
  });

  it('refuses a __proto__ field, which a later merge would make a prototype', () => {
    expect(
      bodyProblems(JSON.parse('{"params":{"__proto__":{"admin":true}}}')),
    ).toEqual([
      { path: 'params.__proto__', message: 'is not an allowed field name' },
    ]);
    expect(bodyProblems({ constructor: 'a label like any other' })).toEqual([]);
  });

  it('reports at most twenty problems, however many the body has', () => {
    expect(bodyProblems(Array(10_000).fill('\u0000'))).toHaveLength(20);
  });
});
