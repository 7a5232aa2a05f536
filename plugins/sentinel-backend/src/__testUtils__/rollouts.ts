import { ConfigReader } from '@backstage/config';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { readRolloutSettings } from '../rollouts/rolloutConfig';
import type { RolloutPhase } from '../rollouts/rolloutPhases';
import { RolloutStore } from '../rollouts/store/RolloutStore';

/**
 * A canary rollout of `planId` on `target`, in `phase`, that no replica steps until a person
 * acts on it (nothing is due): for tests of who may read and steer rollouts.
 */
export async function insertRollout(
  knex: Knex,
  options: {
    planId: string;
    target: WorkloadRef;
    entityRef: string | null;
    phase: RolloutPhase;
  },
): Promise<string> {
  const id = randomUUID();
  const settings = readRolloutSettings(new ConfigReader({}));
  await knex.transaction(async tx => {
    await new RolloutStore(tx).create(
      {
        id,
        planId: options.planId,
        decisionIndex: 0,
        target: options.target,
        entityRef: options.entityRef,
        strategy: 'canary',
        rollbackPolicy: 'auto',
        stable: {
          ref: options.target,
          resourceVersion: '1',
          replicas: 2,
          containers: [{ name: 'app', image: 'app:1.0.0' }],
        } as any,
        candidate: {
          workload: `${options.target.name}-canary`,
          containers: { app: { image: 'app:1.1.0' } },
          replicas: 0,
        },
        steps: settings.steps,
        analysis: settings.analysis,
      },
      new Date(),
    );
    await tx('rollouts')
      .where({ id })
      .update({
        phase: options.phase,
        next_check_at: new Date('2099-01-01T00:00:00Z'),
      });
  });
  return id;
}
