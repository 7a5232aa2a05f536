import Ajv from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The checked-in OpenAPI document: what clients are generated from. */
export function readOpenApiDocument(): any {
  return parse(
    readFileSync(join(__dirname, '../http/openapi/openapi.yaml'), 'utf8'),
  );
}

export interface DocumentedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/v1/action-plans/{id}`. */
  path: string;
}

/**
 * Checks answers against the OpenAPI document: that the operation documents the status, and
 * that the body is the schema documented for it (the `Error` body for a 4xx or 5xx).
 */
export class OpenApiResponses {
  readonly operations: DocumentedOperation[];
  readonly #document: any;
  readonly #ajv: Ajv;

  constructor(document: any = readOpenApiDocument()) {
    this.#document = document;
    this.#ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema(document, 'openapi');
    this.operations = Object.entries<any>(document.paths).flatMap(
      ([path, item]) =>
        Object.entries<any>(item).map(([method, operation]) => ({
          operationId: operation.operationId,
          method,
          path,
        })),
    );
  }

  /** The operation a request is (method and path under /api/sentinel), if any. */
  operationFor(method: string, path: string): DocumentedOperation | undefined {
    const bare = path.split('?')[0];
    return this.operations.find(
      op =>
        op.method === method.toLowerCase() &&
        new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare),
    );
  }

  /**
   * What is wrong with an answer to the operation: its status undocumented, or its body not
   * the documented schema (each problem with the field's path). Empty when it is as documented.
   */
  problems(operationId: string, status: number, body: unknown): string[] {
    const op = this.operations.find(o => o.operationId === operationId);
    if (!op) return [`${operationId} is not an operation of the document`];
    const response =
      this.#document.paths[op.path][op.method].responses[String(status)];
    if (!response) {
      return [`${operationId} answered ${status}, which it does not document`];
    }
    const content = response.content?.['application/json'];
    if (!content) {
      const empty =
        body === undefined ||
        body === '' ||
        (typeof body === 'object' &&
          body !== null &&
          Object.keys(body).length === 0);
      return empty
        ? []
        : [`${operationId} ${status} documents no body, got one`];
    }
    const pointer = ['paths', op.path, op.method, 'responses', status]
      .map(part => String(part).replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const validate = this.#ajv.getSchema(
      `openapi#/${pointer}/content/application~1json/schema`,
    )!;
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      e =>
        `${operationId} ${status}: ${e.instancePath || '(body)'} ${e.message}${
          e.params && 'additionalProperty' in e.params
            ? ` (${e.params.additionalProperty})`
            : ''
        }`,
    );
  }
}
