import { parsePolicyDraft, parseYaml, policyToYaml } from './policyDraft';

describe('policy drafts', () => {
  it('round-trips a document through YAML without its version', () => {
    const document = {
      version: 7,
      rules: [{ id: 'bounds', kind: 'replica_bounds' as const, max: 10 }],
      exceptions: [],
    };
    const text = policyToYaml(document);
    expect(text).not.toContain('version');
    expect(parsePolicyDraft(text)).toEqual({
      value: { rules: document.rules, exceptions: [] },
      problems: [],
    });
  });

  it('names the line and column of a YAML syntax error', () => {
    const { value, problems } = parsePolicyDraft(
      'rules:\n  - id: x\n   kind: [',
    );
    expect(value).toBeUndefined();
    expect(problems[0]).toMatch(/^YAML: .*line 3, column \d+/);
  });

  it('names each invalid field by path, as the server would', () => {
    const { problems } = parsePolicyDraft(
      [
        'rules:',
        '  - { id: a, kind: replica_bounds, max: -1 }',
        '  - { id: a, kind: plan_size, max: 3 }',
        'exceptions:',
        '  - { id: e, scope: {}, rules: [nope], ticket: T-1, expiresAt: "2030-01-01T00:00:00Z" }',
      ].join('\n'),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rules\[0\]\.max: /),
        'rules[1].id: repeats the id of rules[0]',
        "exceptions[0].rules[0]: names no rule of this document ('nope')",
      ]),
    );
  });

  it('reads JSON as well, for a sample plan pasted from an API call', () => {
    expect(parseYaml('{"source": "InfraMind", "decisions": []}')).toEqual({
      value: { source: 'InfraMind', decisions: [] },
      problems: [],
    });
  });
});
