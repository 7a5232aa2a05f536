/**
 * Zod issues as a person reads them in an HTTP 400: each with the path of the offending field
 * (`decisions[0].params.replicas`, `(body)` for the whole value) and what is wrong with it.
 */
import { InputError } from '@backstage/errors';
import type { z } from 'zod';

/**
 * One problem with a request: where (e.g. `decisions[0].params.replicas`) and what.
 *
 * @public
 */
export interface ValidationIssue {
  /** Where the problem is, e.g. `decisions[0].params.replicas`; `(body)` for the body itself. */
  path: string;
  /** What is wrong, in words the caller can act on. */
  message: string;
}

/**
 * A path as `a.b[0].c`; a key that is not a plain word is quoted (`labels["app.kubernetes.io/name"]`).
 *
 * @public
 */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return '(body)';
  }
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      formatted += `[${segment}]`;
    } else if (
      typeof segment === 'string' &&
      /^[A-Za-z0-9_-]+$/.test(segment)
    ) {
      formatted += formatted === '' ? segment : `.${segment}`;
    } else {
      formatted += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return formatted;
}

/** At most this many issues are reported: a body with 15,000 unknown keys gets a short 400. */
const MAX_ISSUES = 20;

/**
 * Every issue of a failed parse, once each, up to twenty; an unknown key is reported at the
 * key itself, so a typo names the field that was not expected.
 *
 * @public
 */
export function issuesOf(error: z.ZodError): ValidationIssue[] {
  const issues = new Map<string, ValidationIssue>();
  const add = (path: readonly PropertyKey[], message: string) => {
    const formatted = formatIssuePath(path);
    const key = `${formatted}\u0000${message}`;
    if (issues.size < MAX_ISSUES && !issues.has(key)) {
      issues.set(key, { path: formatted, message });
    }
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys.slice(0, MAX_ISSUES)) {
        add([...issue.path, key], issue.message);
      }
    } else {
      add(issue.path, issue.message);
    }
  }
  return [...issues.values()];
}

/**
 * A 400 that names every offending field by its path and says what is wrong with it:
 * `Invalid query: limit: must be an integer from 1 to 200`.
 *
 * @public
 */
export function invalidRequest(
  what: string,
  issues: readonly ValidationIssue[],
): InputError {
  return new InputError(
    `${what}: ${issues.map(i => `${i.path}: ${i.message}`).join('; ')}`,
  );
}
