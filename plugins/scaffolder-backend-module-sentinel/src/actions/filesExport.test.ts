import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '../__testUtils__/actionHarness';
import { createFilesExportAction } from './filesExport';

jest.setTimeout(30_000);

describe('sentinel:files:export', () => {
  it('copies workspace files under the output directory, and refuses paths outside it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sentinel-out-'));
    const action = createFilesExportAction({ outputDirectory: out });
    const { ctx, outputs, workspacePath } = context({
      files: ['catalog-info.yaml'],
      directory: 'checkout',
    });
    writeFileSync(
      join(workspacePath, 'catalog-info.yaml'),
      'kind: Component\n',
    );
    await action.handler(ctx);
    expect(outputs.directory).toBe(join(out, 'checkout'));
    expect(
      readFileSync(join(out, 'checkout', 'catalog-info.yaml'), 'utf8'),
    ).toBe('kind: Component\n');
    const escape = context({
      files: ['catalog-info.yaml'],
      directory: '../../etc',
    });
    await expect(action.handler(escape.ctx)).rejects.toThrow(/outside/);
    await expect(
      createFilesExportAction({}).handler(context({ files: ['x'] }).ctx),
    ).rejects.toThrow('sentinel.scaffolder.outputDirectory is not set');
  });
});
