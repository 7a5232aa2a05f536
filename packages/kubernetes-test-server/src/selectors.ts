import { StatusError } from './status';
import type { JsonObject } from './patch';

/** Parses an equality-based label selector (`a=b,c!=d,e,!f`). */
export function labelMatcher(
  selector: string | null,
): (labels: Record<string, string>) => boolean {
  if (!selector) {
    return () => true;
  }
  const terms = selector
    .split(',')
    .map(term => term.trim())
    .filter(Boolean)
    .map(term => {
      const setMatch = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
      if (setMatch) {
        const values = setMatch[3].split(',').map(v => v.trim());
        const key = setMatch[1];
        return setMatch[2] === 'in'
          ? (l: Record<string, string>) => values.includes(l[key])
          : (l: Record<string, string>) => !values.includes(l[key]);
      }
      const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
      if (notEqual) {
        return (l: Record<string, string>) =>
          l[notEqual[1].trim()] !== notEqual[2].trim();
      }
      const equal = /^([^!=]+)==?(.*)$/.exec(term);
      if (equal) {
        return (l: Record<string, string>) =>
          l[equal[1].trim()] === equal[2].trim();
      }
      if (term.startsWith('!')) {
        return (l: Record<string, string>) => !(term.slice(1) in l);
      }
      return (l: Record<string, string>) => term in l;
    });
  return labels => terms.every(term => term(labels ?? {}));
}

/** Parses a field selector supporting metadata.name and metadata.namespace. */
export function fieldMatcher(
  selector: string | null,
): (object: JsonObject) => boolean {
  if (!selector) {
    return () => true;
  }
  const terms = selector
    .split(',')
    .filter(Boolean)
    .map(term => {
      const match = /^([^!=]+)(!=|==?)(.*)$/.exec(term);
      if (!match) {
        throw new StatusError(
          400,
          'BadRequest',
          `invalid field selector "${term}"`,
        );
      }
      const [, field, op, value] = match;
      const get = (o: JsonObject) =>
        String(
          field
            .split('.')
            .reduce<any>((node, key) => (node ? node[key] : undefined), o),
        );
      return op === '!='
        ? (o: JsonObject) => get(o) !== value
        : (o: JsonObject) => get(o) === value;
    });
  return object => terms.every(term => term(object));
}
