import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Template steps using `sentinel:rollout:control`. */
export const rolloutControlExamples: TemplateExample[] = [
  {
    description: 'Abort the canary a plan started earlier in the template',
    example: stringify({
      steps: [
        {
          id: 'abort',
          action: 'sentinel:rollout:control',
          input: {
            planId: '${{ steps.release.output.planId }}',
            action: 'abort',
            reason: 'the release was called off',
          },
        },
      ],
    }),
  },
  {
    description: 'Pause a rollout by its id',
    example: stringify({
      steps: [
        {
          id: 'pause',
          action: 'sentinel:rollout:control',
          input: {
            rolloutId: '${{ parameters.rolloutId }}',
            action: 'pause',
          },
        },
      ],
    }),
  },
];
