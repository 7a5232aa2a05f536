import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  SENTINEL_PLAN_RESOURCE_TYPE,
  SENTINEL_WORKLOAD_RESOURCE_TYPE,
  sentinelPermissions,
} from './permissions';

describe('sentinelPermissions', () => {
  it('names every permission sentinel.<resource>.<action>, once', () => {
    const names = sentinelPermissions.map(p => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name).toMatch(/^sentinel\.[a-z]+\.[a-z]+$/);
    }
  });

  it('makes plan and workload permissions conditional on their resource', () => {
    const byName = Object.fromEntries(
      sentinelPermissions.map(p => [p.name, p]),
    );
    for (const name of [
      'sentinel.plan.read',
      'sentinel.plan.approve',
      'sentinel.plan.cancel',
    ]) {
      expect(
        isResourcePermission(byName[name], SENTINEL_PLAN_RESOURCE_TYPE),
      ).toBe(true);
    }
    expect(
      isResourcePermission(
        byName['sentinel.workload.read'],
        SENTINEL_WORKLOAD_RESOURCE_TYPE,
      ),
    ).toBe(true);
    expect(isResourcePermission(byName['sentinel.plan.create'])).toBe(false);
  });
});
