import type express from 'express';
import { invalid } from './apiRouter';

/**
 * Control characters other than tab, line feed and carriage return: never meaningful in a
 * plan, a policy or a comment, and U+0000 is refused by PostgreSQL mid-write.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** How deep a body may nest: a plan nests four levels, a policy five. */
export const MAX_BODY_DEPTH = 32;

/** Enough problems to fix a body by; a hostile one could have thousands. */
const MAX_PROBLEMS = 20;

export type BodyProblem = { path: string; message: string };

/**
 * What is wrong with a JSON body's shape, whatever route reads it: control characters in a
 * string or a key, nesting deeper than MAX_BODY_DEPTH, a `__proto__` key (JSON.parse makes it an
 * own property, which a later spread or merge would turn into the object's prototype). Paths
 * read `a.0.b`. Iterative, so a body nested 100,000 levels deep costs a loop, not the stack. Pure.
 */
export function bodyProblems(body: unknown): BodyProblem[] {
  const problems: BodyProblem[] = [];
  const pending: [value: unknown, path: string, depth: number][] = [
    [body, '', 0],
  ];
  while (pending.length && problems.length < MAX_PROBLEMS) {
    const [value, path, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (CONTROL.test(value)) {
        problems.push({
          path: path || '(body)',
          message: 'must not contain control characters',
        });
      }
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) {
      problems.push({
        path,
        message: `must not nest deeper than ${MAX_BODY_DEPTH} levels`,
      });
      continue;
    }
    const isArray = Array.isArray(value);
    const entries = isArray
      ? value.map((item, i): [string, unknown] => [String(i), item])
      : Object.entries(value);
    const children: typeof pending = [];
    for (const [key, item] of entries) {
      const here = path ? `${path}.${key}` : key;
      if (!isArray && CONTROL.test(key)) {
        problems.push({
          path: here,
          message: 'must not contain control characters',
        });
      }
      if (!isArray && key === '__proto__') {
        problems.push({ path: here, message: 'is not an allowed field name' });
      }
      children.push([item, here, depth + 1]);
    }
    // Last in, first out: reversed, fields are reported in the body's order.
    pending.push(...children.reverse());
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/**
 * Refuses a request whose JSON body has a problem above, with a 400 naming each field, before
 * any route (or zod, which recurses) reads it. Node's HTTP parser already refuses control
 * characters in header values; express.json limits the body's size.
 */
export function rejectHostileBodies(): express.RequestHandler {
  return (req, _res, next) => {
    const problems = bodyProblems(req.body);
    next(problems.length ? invalid('Invalid request', problems) : undefined);
  };
}
