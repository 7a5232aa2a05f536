import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `sentinel:files:export`: copies files from the workspace to a directory on the backend's
 * machine (`sentinel.scaffolder.outputDirectory`): where a template's result goes in the
 * embedded default, which has no Git host to publish to.
 *
 * @public
 */
export function createFilesExportAction(options: {
  /** The directory results go to; the action refuses to run without one. */
  outputDirectory?: string;
}) {
  return createTemplateAction({
    id: 'sentinel:files:export',
    description:
      'Copies workspace files to sentinel.scaffolder.outputDirectory/<directory>/ on the backend (for environments without a Git host, like the embedded default)',
    examples: [
      {
        description: "Keep a template's catalog-info.yaml change on disk",
        example: [
          'steps:',
          '  - id: export',
          '    action: sentinel:files:export',
          '    input:',
          '      files: [catalog-info.yaml]',
          "      directory: ${{ parameters.entityRef | parseEntityRef | pick('name') }}",
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        files: z =>
          z
            .array(z.string({ description: 'Relative to the workspace' }))
            .min(1),
        directory: z =>
          z
            .string({
              description:
                'A directory under the output directory (default: the task id)',
            })
            .optional(),
      },
      output: {
        directory: z => z.string({ description: 'Where the files are now' }),
      },
    },
    async handler(ctx) {
      if (!options.outputDirectory) {
        throw new InputError(
          'sentinel.scaffolder.outputDirectory is not set: this Backstage keeps no template results on disk; publish them to a Git host instead (e.g. publish:github)',
        );
      }
      const target = resolveSafeChildPath(
        resolve(options.outputDirectory),
        ctx.input.directory ?? ctx.task.id,
      );
      for (const file of ctx.input.files) {
        const from = resolveSafeChildPath(ctx.workspacePath, file);
        const to = resolveSafeChildPath(target, file);
        await mkdir(dirname(to), { recursive: true });
        await copyFile(from, to);
        ctx.logger.info(`Wrote ${to}`);
      }
      ctx.output('directory', target);
    },
  });
}
