import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildOpenApiDocument } from './openapiDocument';

// prettier 2 ships no types; this is the part of its API the test uses.
const prettier: {
  format(source: string, options: object): string;
  resolveConfig: { sync(file: string): object | null };
} = require('prettier');

const specFile = join(__dirname, 'openapi.yaml');
const header =
  '# Generated from src/http/openapi/openapiDocument.ts by `yarn generate:openapi`; do not edit by hand.\n';

describe('openapi.yaml', () => {
  it('is the document the server derives from its own validation schemas', () => {
    const expected =
      header + stringify(buildOpenApiDocument(), { lineWidth: 0 });
    if (process.env.SENTINEL_WRITE_OPENAPI) {
      writeFileSync(specFile, expected);
    }
    // If this fails, run `yarn generate:openapi` and commit the result.
    expect(readFileSync(specFile, 'utf8')).toBe(expected);
  });
});

describe('the generated client types in sentinel-common', () => {
  it('are generated from openapi.yaml as it is', () => {
    const root = join(__dirname, '../../../../..');
    const generatedFile = join(
      root,
      'plugins/sentinel-common/src/generated/openapi.ts',
    );
    const output = execFileSync(
      join(root, 'node_modules/.bin/openapi-typescript'),
      [specFile, '--default-non-nullable', 'false'],
      { encoding: 'utf8' },
    );
    const formatted = prettier.format(output, {
      ...prettier.resolveConfig.sync(generatedFile),
      filepath: generatedFile,
    });
    // If this fails, run `yarn generate:openapi` and commit the result.
    expect(readFileSync(generatedFile, 'utf8')).toBe(formatted);
  });
});
