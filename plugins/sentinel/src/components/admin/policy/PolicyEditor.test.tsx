import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import { sentinelApiRef } from '../../../api';
import { PolicyEditor } from './PolicyEditor';

const v1 = {
  version: 1,
  rules: [{ id: 'bounds', kind: 'replica_bounds', max: 10 }],
  exceptions: [],
} as any;
const v2 = {
  version: 2,
  rules: [{ id: 'bounds', kind: 'replica_bounds', max: 12 }],
  exceptions: [],
} as any;

/** What the client throws for a 409: a ResponseError with the server's body. */
const conflict = Object.assign(new Error('Request failed with 409 Conflict'), {
  statusCode: 409,
  body: { error: { message: 'the policy is at version 2, not 1' } },
});

function render(api: Record<string, jest.Mock>, allowed = true) {
  const onSaved = jest.fn();
  renderInTestApp(
    // usePermission caches decisions across renders; each test decides afresh.
    <SWRConfig value={{ provider: () => new Map() }}>
      <PolicyEditor loaded={v1} onSaved={onSaved} onDraft={() => {}} />
    </SWRConfig>,
    {
      apis: [
        [sentinelApiRef, api as any],
        mockApis.permission({
          authorize: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }),
      ],
    },
  );
  return { onSaved };
}

const editor = () =>
  screen.findByRole('textbox', { name: 'Policy document (YAML)' });

describe('PolicyEditor', () => {
  it('keeps the draft when someone saved meanwhile, shows the diff against theirs, and replaces theirs on the next save', async () => {
    const replacePolicy = jest
      .fn()
      .mockRejectedValueOnce(conflict)
      .mockResolvedValueOnce({
        ...v2,
        version: 3,
        rules: [{ ...v2.rules[0], max: 15 }],
      });
    const policyHistory = jest.fn(async () => ({
      items: [
        {
          version: 2,
          document: v2,
          changedBy: 'user:default/bob',
          changedAt: '2026-12-04T10:00:00Z',
        },
      ],
    }));
    const { onSaved } = render({ replacePolicy, policyHistory });

    const text = await editor();
    fireEvent.change(text, {
      target: {
        value: (text as HTMLTextAreaElement).value.replace(
          'max: 10',
          'max: 15',
        ),
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Save' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(
      /Version 2 was saved by user:default\/bob .* Your draft is kept/,
    );
    expect((text as HTMLTextAreaElement).value).toContain('max: 15');
    expect(
      document.querySelector('[data-diff="removed"]')?.textContent,
    ).toContain('max: 12');
    expect(
      document.querySelector('[data-diff="added"]')?.textContent,
    ).toContain('max: 15');

    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    // The second save sends the version now in force, so it replaces it.
    expect(replacePolicy.mock.calls[1][0]).toMatchObject({
      version: 2,
      rules: [{ id: 'bounds', max: 15 }],
    });
    expect(await screen.findByText('Saved as version 3.')).toBeInTheDocument();
  });

  it('refuses to save a draft with problems, naming each', async () => {
    const replacePolicy = jest.fn();
    render({ replacePolicy });
    const text = await editor();
    fireEvent.change(text, {
      target: { value: 'rules:\n  - { id: Bad, kind: plan_size, max: 0 }\n' },
    });
    expect(
      await screen.findByText('Fix these before saving'),
    ).toBeInTheDocument();
    expect(screen.getByText(/^rules\[0\]\.id: /)).toBeInTheDocument();
    expect(screen.getByText(/^rules\[0\]\.max: /)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    expect(replacePolicy).not.toHaveBeenCalled();
  });

  it('shows who may change the policy instead of a save button to those who may not', async () => {
    render({ replacePolicy: jest.fn() }, false);
    expect(
      await screen.findByText(
        'Only admins may change the policy (sentinel.policy.update).',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull();
  });
});
