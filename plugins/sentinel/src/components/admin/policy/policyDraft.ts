import {
  policyDocumentSchema,
  type PolicyDocument,
} from '@internal/backstage-plugin-sentinel-common';
import { parseDocument, stringify } from 'yaml';

/** What the editor holds, read: the document when it is valid, else what is wrong. */
export interface ParsedDraft<T> {
  value?: T;
  /** One line per problem: YAML syntax with its line and column, or a field path and why. */
  problems: string[];
}

/** The document as an admin edits it: YAML, without the version the server keeps. */
export function policyToYaml(document: { version?: number }): string {
  const { version: _version, ...rest } = document;
  return stringify(rest, { lineWidth: 100 });
}

/** YAML (or JSON, a subset) into plain data, or the syntax errors with their positions. */
export function parseYaml(text: string): ParsedDraft<unknown> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map(e => `YAML: ${e.message.split('\n')[0]}`),
    };
  }
  return { value: doc.toJS(), problems: [] };
}

/** A field path the way the server's messages write it: rules[0].max. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, n) =>
      typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`,
    )
    .join('');
}

/**
 * The editor's text as a policy document, checked with the same schema the server saves with,
 * so an admin sees every problem before saving.
 */
export function parsePolicyDraft(text: string): ParsedDraft<PolicyDocument> {
  const yaml = parseYaml(text);
  if (yaml.problems.length > 0) return { problems: yaml.problems };
  const parsed = policyDocumentSchema.safeParse(yaml.value ?? {});
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        i => `${formatPath(i.path) || '(document)'}: ${i.message}`,
      ),
    };
  }
  return { value: parsed.data, problems: [] };
}
