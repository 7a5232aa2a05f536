import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { api } from './support';

/** The probes the shipped Deployment gives the backend container. */
function shippedProbes(): { readiness: string; liveness: string } {
  const deployment = parse(
    readFileSync(
      resolve(__dirname, '../../../deploy/k8s/base/deployment.yaml'),
      'utf8',
    ),
  ) as any;
  const backend = deployment.spec.template.spec.containers[0];
  return {
    readiness: backend.readinessProbe.httpGet.path,
    liveness: backend.livenessProbe.httpGet.path,
  };
}

test("the running backend answers the shipped Deployment's probes", async ({
  request,
}) => {
  const origin = new URL(api).origin;
  const { readiness, liveness } = shippedProbes();
  for (const path of [readiness, liveness]) {
    await expect(async () => {
      const res = await request.get(`${origin}${path}`);
      expect(res.status(), path).toBe(200);
    }).toPass({ timeout: 60_000 });
  }
});
