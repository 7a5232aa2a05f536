/** Memoised parsers of the strings policies and contexts repeat from one evaluation to the next. */
import { parseQuantity } from '@internal/backstage-plugin-sentinel-common';

/** A memo of a pure function of strings, forgotten wholesale when it grows too large. */
export function memo<T>(
  fn: (text: string) => T,
  size = 4096,
): (text: string) => T {
  const cache = new Map<string, T>();
  return text => {
    let value = cache.get(text);
    if (value === undefined && !cache.has(text)) {
      value = fn(text);
      if (cache.size >= size) cache.clear();
      cache.set(text, value);
    }
    return value as T;
  };
}

/** A Kubernetes quantity (`250m`, `512Mi`) as a number; NaN if it is none. */
export const quantity = memo(parseQuantity);
/** Milliseconds since the epoch of an ISO 8601 date-time; NaN if it is none. */
export const instant = memo(Date.parse);
