import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from './patch';
import { isObject } from './objects';
import { badRequest, unsupportedMediaType } from './status';

/** HTTP plumbing shared by the routes: bodies in, JSON out. */

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The body as JSON; undefined when empty. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `the request body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** The media type of the request body, without parameters. */
export function contentType(req: IncomingMessage, fallback = ''): string {
  return (req.headers['content-type'] ?? fallback).split(';')[0].trim();
}

/** Creates and updates take JSON only (no protobuf, no YAML). */
export function requireJson(req: IncomingMessage) {
  if (contentType(req, 'application/json') !== 'application/json') {
    throw unsupportedMediaType(['application/json']);
  }
}

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
const PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH];

/**
 * Applies a patch of the given media type. `strategic: false` applies a
 * strategic merge patch as a plain merge patch, for types whose lists have no
 * patch merge keys here (Ingress, HTTPRoute).
 */
export function applyPatch(
  type: string,
  current: unknown,
  patch: unknown,
  strategic = true,
): unknown {
  if (!PATCH_TYPES.includes(type)) {
    throw unsupportedMediaType(PATCH_TYPES);
  }
  if (patch === undefined) {
    throw badRequest('the patch body is empty');
  }
  switch (type) {
    case JSON_PATCH:
      return applyJsonPatch(current, patch);
    case MERGE_PATCH:
    case STRATEGIC_MERGE_PATCH:
      if (!isObject(patch)) {
        throw badRequest(
          `a ${
            type === MERGE_PATCH ? '' : 'strategic '
          }merge patch must be an object`,
        );
      }
      return type === STRATEGIC_MERGE_PATCH && strategic
        ? applyStrategicMergePatch(current, patch)
        : applyMergePatch(current, patch);
    default:
      throw unsupportedMediaType(PATCH_TYPES);
  }
}
