import type express from 'express';
import { invalid } from './apiRouter';

/**
 * Control characters other than tab, line feed and carriage return: never meaningful in a
 * plan, a policy or a comment, and U+0000 is refused by PostgreSQL mid-write.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The paths (as `a.0.b`) of every string in `value` that holds a control character. Pure. */
export function controlCharacterPaths(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    return CONTROL.test(value) ? [path || '(body)'] : [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, i) =>
      controlCharacterPaths(item, path ? `${path}.${i}` : String(i)),
    );
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => {
      const here = path ? `${path}.${key}` : key;
      return [
        ...(CONTROL.test(key) ? [here] : []),
        ...controlCharacterPaths(item, here),
      ];
    });
  }
  return [];
}

/**
 * Refuses a request whose JSON body holds a control character, with a 400 naming each field,
 * before any route reads it. (Node's HTTP parser already refuses them in header values.)
 */
export function rejectControlCharacters(): express.RequestHandler {
  return (req, _res, next) => {
    const paths = controlCharacterPaths(req.body);
    if (paths.length) {
      next(
        invalid(
          'Invalid request',
          paths.map(path => ({
            path,
            message: 'must not contain control characters',
          })),
        ),
      );
      return;
    }
    next();
  };
}
