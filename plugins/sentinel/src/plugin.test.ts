import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { sentinelEntityContent, sentinelOverviewCard } from './plugin';

function entity(annotations?: Record<string, string>) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'x', annotations },
  };
}

const managed = entity({ 'sentinel.io/workloads': 'demo/shop/Deployment/x' });

describe('sentinelEntityContent', () => {
  it('is a tab titled Sentinel at /sentinel, only on services Sentinel manages', () => {
    const tester = createExtensionTester(sentinelEntityContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Sentinel');
    expect(tester.get(coreExtensionData.routePath)).toBe('/sentinel');
    const showsOn = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(showsOn(managed)).toBe(true);
    expect(showsOn(entity())).toBe(false);
  });
});

describe('sentinelOverviewCard', () => {
  it('shows on the Overview of services Sentinel manages only', () => {
    const tester = createExtensionTester(sentinelOverviewCard);
    const showsOn = tester.get(EntityCardBlueprint.dataRefs.filterFunction)!;
    expect(showsOn(managed)).toBe(true);
    expect(showsOn(entity({ other: 'x' }))).toBe(false);
  });
});
