import { ConfigReader } from '@backstage/config';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { sentinelPermissions } from '@internal/backstage-plugin-sentinel-common';
import { SentinelPolicy } from './SentinelPolicy';

const policy = SentinelPolicy.fromConfig(
  new ConfigReader({
    sentinel: {
      rbac: {
        roles: {
          admin: ['group:default/sentinel-admins'],
          operator: ['group:default/team-shop'],
        },
        defaultRole: 'viewer',
      },
    },
  }),
);

function user(...ownershipEntityRefs: string[]) {
  return {
    credentials: mockCredentials.user(ownershipEntityRefs[0]),
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
  };
}

const byName = (name: string) =>
  sentinelPermissions.find(p => p.name === name)!;

async function decide(name: string, ...refs: string[]) {
  const permission = name.startsWith('sentinel.')
    ? byName(name)
    : createPermission({ name, attributes: {} });
  const result = await policy.handle(
    { permission },
    refs.length ? user(...refs) : undefined,
  );
  if (result.result === AuthorizeResult.CONDITIONAL) {
    return `owned ${JSON.stringify(result.conditions)}`;
  }
  return result.result === AuthorizeResult.ALLOW ? 'allow' : 'deny';
}

describe('SentinelPolicy', () => {
  it.each([
    // An admin (through a group) may change policies and freezes.
    [
      'sentinel.policy.update',
      ['user:default/guest', 'group:default/sentinel-admins'],
      'allow',
    ],
    [
      'sentinel.freeze.manage',
      ['user:default/guest', 'group:default/sentinel-admins'],
      'allow',
    ],
    // An operator approves and rolls back only what their groups own (a conditional decision
    // that Sentinel resolves against the catalog), and never changes policies.
    [
      'sentinel.plan.approve',
      ['user:default/ann', 'group:default/team-shop'],
      'owned {"rule":"IS_ENTITY_OWNER","resourceType":"sentinel-plan","params":{"claims":["user:default/ann","group:default/team-shop"]}}',
    ],
    [
      'sentinel.rollback.create',
      ['user:default/ann', 'group:default/team-shop'],
      'owned {"rule":"IS_ENTITY_OWNER","resourceType":"sentinel-workload","params":{"claims":["user:default/ann","group:default/team-shop"]}}',
    ],
    [
      'sentinel.plan.read',
      ['user:default/ann', 'group:default/team-shop'],
      'allow',
    ],
    [
      'sentinel.plan.create',
      ['user:default/ann', 'group:default/team-shop'],
      'allow',
    ],
    [
      'sentinel.audit.read',
      ['user:default/ann', 'group:default/team-shop'],
      'deny',
    ],
    [
      'sentinel.policy.update',
      ['user:default/ann', 'group:default/team-shop'],
      'deny',
    ],
    // Anyone else signed in is a viewer by default: reads, nothing more.
    ['sentinel.plan.read', ['user:default/bob'], 'allow'],
    ['sentinel.plan.approve', ['user:default/bob'], 'deny'],
    ['sentinel.plan.create', ['user:default/bob'], 'deny'],
    // Group refs are matched case-insensitively, as the catalog does.
    [
      'sentinel.plan.cancel',
      ['user:default/cy', 'group:default/Team-Shop'],
      'owned {"rule":"IS_ENTITY_OWNER","resourceType":"sentinel-plan","params":{"claims":["user:default/cy","group:default/Team-Shop"]}}',
    ],
  ])('%s for %j: %s', async (permission, refs, expected) => {
    expect(await decide(permission, ...refs)).toBe(expected);
  });

  it('gives admins every Sentinel permission there is', async () => {
    for (const { name } of sentinelPermissions) {
      expect(
        await decide(
          name,
          'user:default/guest',
          'group:default/sentinel-admins',
        ),
      ).toBe('allow');
    }
  });

  it('denies Sentinel permissions to requests without a user', async () => {
    expect(await decide('sentinel.plan.read')).toBe('deny');
  });

  it("leaves other plugins' permissions allowed", async () => {
    expect(await decide('catalog.entity.read', 'user:default/bob')).toBe(
      'allow',
    );
  });

  it('refuses an unknown default role at start-up', () => {
    expect(() =>
      SentinelPolicy.fromConfig(
        new ConfigReader({ sentinel: { rbac: { defaultRole: 'root' } } }),
      ),
    ).toThrow(/defaultRole must be one of viewer, operator, admin, system/);
  });
});
