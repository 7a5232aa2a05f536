import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Template steps using `sentinel:workload:annotate`. */
export const workloadAnnotateExamples: TemplateExample[] = [
  {
    description:
      "Put a service's Deployment under Sentinel, canaries by default, pausing for a person when an analysis fails",
    example: stringify({
      steps: [
        {
          id: 'annotate',
          action: 'sentinel:workload:annotate',
          input: {
            entityRef: 'component:default/cart',
            workloads: ['demo/shop/Deployment/cart'],
            strategy: 'canary',
            rollbackPolicy: 'manual',
          },
        },
      ],
    }),
  },
  {
    description:
      'Annotate the catalog-info.yaml a previous step fetched into the workspace',
    example: stringify({
      steps: [
        {
          id: 'fetch',
          action: 'fetch:plain',
          input: { url: './skeleton' },
        },
        {
          id: 'annotate',
          action: 'sentinel:workload:annotate',
          input: {
            filePath: 'catalog-info.yaml',
            workloads: [
              'prod-eu/shop/Deployment/cart',
              'prod-eu/shop/StatefulSet/cart-db',
            ],
          },
        },
      ],
    }),
  },
];
