import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Template steps using `sentinel:freeze:create`. */
export const freezeCreateExamples: TemplateExample[] = [
  {
    description: 'Freeze one namespace for a release',
    example: stringify({
      steps: [
        {
          id: 'freeze',
          action: 'sentinel:freeze:create',
          input: {
            name: 'Black Friday',
            reason: 'Peak traffic: no changes but rollbacks',
            scope: { cluster: 'demo', namespace: 'shop' },
            start: '2026-11-27T00:00:00Z',
            end: '2026-11-30T08:00:00Z',
          },
        },
      ],
    }),
  },
  {
    description:
      'Freeze every weekend, Friday 16:00 to Monday 08:00 Berlin time',
    example: stringify({
      steps: [
        {
          id: 'weekends',
          action: 'sentinel:freeze:create',
          input: {
            name: 'Weekend freeze',
            reason: 'Nobody on call to review changes',
            recurrence: {
              cron: '0 16 * * 5',
              durationMinutes: 3840,
              timezone: 'Europe/Berlin',
            },
          },
        },
      ],
    }),
  },
];
