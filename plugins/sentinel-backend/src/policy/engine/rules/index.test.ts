import { policyRuleSchema } from '@internal/backstage-plugin-sentinel-common';
import { ruleCheckers } from '.';

describe('ruleCheckers', () => {
  it('has a checker for every rule kind of the schema, and no other', () => {
    const kinds = policyRuleSchema.options.map(
      option => option.shape.kind.value,
    );
    expect(Object.keys(ruleCheckers).sort()).toEqual([...kinds].sort());
  });
});
