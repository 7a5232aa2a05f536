import type { JsonObject } from './patch';

/** A deep copy of a JSON value (objects leave and enter the store as copies). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Now, as Kubernetes writes timestamps: RFC 3339 to the second. */
export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
