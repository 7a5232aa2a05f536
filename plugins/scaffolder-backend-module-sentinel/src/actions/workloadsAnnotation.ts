import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  parseWorkloadRef,
  SENTINEL_WORKLOADS_ANNOTATION,
  stringifyWorkloadRef,
  WORKLOAD_KINDS,
} from '@internal/backstage-plugin-sentinel-common';

/**
 * `sentinel:workloads:annotation`: turns the workloads a new service runs as into the
 * catalog annotation through which Sentinel manages them, so a template can write it into
 * the service's catalog-info.yaml. Refuses references Kubernetes would refuse.
 *
 * @public
 */
export function createWorkloadsAnnotationAction() {
  return createTemplateAction({
    id: 'sentinel:workloads:annotation',
    description:
      "Builds the sentinel.io/workloads annotation that puts a service's Kubernetes workloads under Sentinel",
    schema: {
      input: {
        workloads: z =>
          z
            .array(
              z.object({
                cluster: z.string({
                  description: 'Cluster name as configured in Sentinel',
                }),
                namespace: z.string({ description: 'Kubernetes namespace' }),
                kind: z
                  .enum(WORKLOAD_KINDS, { description: 'Workload kind' })
                  .default('Deployment'),
                name: z.string({ description: 'Workload name' }),
              }),
            )
            .min(1, 'at least one workload is needed'),
      },
      output: {
        annotations: z =>
          z.record(z.string(), z.string(), {
            description: 'Annotations to merge into metadata.annotations',
          }),
      },
    },
    async handler(ctx) {
      const refs = ctx.input.workloads.map((workload, index) => {
        const parsed = parseWorkloadRef(
          `${workload.cluster}/${workload.namespace}/${
            workload.kind ?? 'Deployment'
          }/${workload.name}`,
        );
        if ('error' in parsed) {
          throw new InputError(`workloads[${index}]: ${parsed.error}`);
        }
        return stringifyWorkloadRef(parsed.ref);
      });
      const duplicate = refs.find((ref, i) => refs.indexOf(ref) !== i);
      if (duplicate) {
        throw new InputError(`workloads: ${duplicate} is listed twice`);
      }
      ctx.output('annotations', {
        [SENTINEL_WORKLOADS_ANNOTATION]: refs.join(', '),
      });
    },
  });
}
