import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { sentinelEntityContent } from './plugin';

describe('sentinelEntityContent', () => {
  it('is a tab titled Sentinel at /sentinel on component pages only', () => {
    const tester = createExtensionTester(sentinelEntityContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Sentinel');
    expect(tester.get(coreExtensionData.routePath)).toBe('/sentinel');
    const showsOn = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(showsOn(entity('Component'))).toBe(true);
    expect(showsOn(entity('Group'))).toBe(false);
  });
});

function entity(kind: string) {
  return { apiVersion: 'backstage.io/v1alpha1', kind, metadata: { name: 'x' } };
}
