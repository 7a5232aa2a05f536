import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Template steps using `sentinel:plan:submit`, shown in the scaffolder's installed actions. */
export const planSubmitExamples: TemplateExample[] = [
  {
    description:
      'Scale a workload; the policy decides whether a person must approve',
    example: stringify({
      steps: [
        {
          id: 'scale',
          action: 'sentinel:plan:submit',
          name: 'Request the scaling change',
          input: {
            decisions: [
              {
                verb: 'scale',
                target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
                params: { replicas: '${{ parameters.replicas }}' },
                rationale: '${{ parameters.why }}',
              },
            ],
          },
        },
      ],
    }),
  },
  {
    description:
      'Check a rollout against the policy without submitting it (nothing is stored)',
    example: stringify({
      steps: [
        {
          id: 'check',
          action: 'sentinel:plan:submit',
          input: {
            dryRun: true,
            decisions: [
              {
                verb: 'rollout',
                target: { namespace: 'shop', name: 'cart' },
                params: {
                  containers: { app: { image: 'shop/cart:1.5.0' } },
                  strategy: 'canary',
                },
              },
            ],
          },
        },
      ],
    }),
  },
  {
    description:
      'Restart a workload and wait (at most 10 minutes) until the plan has run; the step fails if it is rejected or rolled back',
    example: stringify({
      steps: [
        {
          id: 'restart',
          action: 'sentinel:plan:submit',
          input: {
            wait: true,
            timeoutSeconds: 600,
            decisions: [
              {
                verb: 'restart',
                target: { namespace: 'payments', name: 'payments-api' },
              },
            ],
          },
        },
      ],
    }),
  },
];
