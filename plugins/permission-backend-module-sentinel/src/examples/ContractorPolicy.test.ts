import { ConfigReader } from '@backstage/config';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  planApprovePermission,
  planReadPermission,
  workloadReadPermission,
} from '@internal/backstage-plugin-sentinel-common';
import { SentinelPolicy } from '../policy/SentinelPolicy';
import { ContractorPolicy } from './ContractorPolicy';

const policy = new ContractorPolicy(
  SentinelPolicy.fromConfig(
    new ConfigReader({
      sentinel: {
        rbac: {
          roles: {
            admin: ['group:default/sentinel-admins'],
            operator: ['group:default/contractors'],
          },
        },
      },
    }),
  ),
  'shop',
);

const user = (...refs: string[]) => ({
  credentials: mockCredentials.user(refs[0]),
  info: { userEntityRef: refs[0], ownershipEntityRefs: refs },
});
const contractor = user('user:default/carl', 'group:default/contractors');

describe('ContractorPolicy (the example of docs/permissions.md)', () => {
  it("limits a contractor's reads to one namespace, as conditions Sentinel filters lists by", async () => {
    expect(
      await policy.handle({ permission: planReadPermission }, contractor),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'sentinel',
      resourceType: 'sentinel-plan',
      conditions: {
        rule: 'IN_NAMESPACE',
        resourceType: 'sentinel-plan',
        params: { namespace: 'shop' },
      },
    });
    expect(
      (await policy.handle({ permission: workloadReadPermission }, contractor))
        .result,
    ).toBe(AuthorizeResult.CONDITIONAL);
  });

  it('takes away what the role would give a contractor, and leaves everyone else to the role policy', async () => {
    // As operators, contractors could approve their own services' plans; here they cannot.
    expect(
      (await policy.handle({ permission: planApprovePermission }, contractor))
        .result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (
        await policy.handle(
          { permission: planApprovePermission },
          user('user:default/ada', 'group:default/sentinel-admins'),
        )
      ).result,
    ).toBe(AuthorizeResult.ALLOW);
  });
});
