import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { sentinelApiRef } from '../../api';
import { PlanActions } from './PlanActions';

// Dialogs typed into with user-event: on a loaded 2-core machine a test outlasts jest's 5 s.
jest.setTimeout(30_000);

const pending = {
  id: 'p-1',
  status: 'pending_approval',
  submittedBy: 'external:inframind',
  decisions: [{ index: 0 }],
  approvals: [],
  approvalsRequired: 1,
} as any;

function render(options: {
  me: string;
  allowed?: boolean;
  plan?: any;
  api?: Record<string, jest.Mock>;
}) {
  const api = {
    approvePlan: jest.fn(async () => ({})),
    rejectPlan: jest.fn(async () => ({})),
    ...options.api,
  };
  const onChanged = jest.fn();
  renderInTestApp(
    <PlanActions plan={options.plan ?? pending} onChanged={onChanged} />,
    {
      apis: [
        [sentinelApiRef, api as any],
        mockApis.identity({ userEntityRef: options.me }),
        mockApis.permission({
          authorize:
            options.allowed === false
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        }),
      ],
    },
  );
  return { api, onChanged };
}

describe('PlanActions', () => {
  it('approves with a comment after asking, then tells the list to reload', async () => {
    const { api, onChanged } = render({ me: 'user:default/ann' });
    const approve = await screen.findByRole('button', {
      name: 'Approve plan p-1',
    });
    await waitFor(() => expect(approve).toBeEnabled());
    await userEvent.click(approve);
    await userEvent.type(
      screen.getByLabelText('Comment (optional)'),
      'dashboards are green',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(api.approvePlan).toHaveBeenCalledWith('p-1', 'dashboards are green');
  });

  it('asks for a reason before rejecting, and shows the server refusing', async () => {
    const { api } = render({
      me: 'user:default/ann',
      api: {
        rejectPlan: jest.fn(async () => {
          throw new Error(
            'plan p-1 is approved; only a plan that is pending_approval can become rejected',
          );
        }),
      },
    });
    const reject = await screen.findByRole('button', {
      name: 'Reject plan p-1',
    });
    await waitFor(() => expect(reject).toBeEnabled());
    await userEvent.click(reject);
    const confirm = screen.getByRole('button', { name: 'Reject' });
    expect(confirm).toBeDisabled();
    await userEvent.type(
      screen.getByLabelText('Why (required)'),
      'not this week',
    );
    await userEvent.click(confirm);
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /only a plan that is pending_approval/,
    );
    expect(api.rejectPlan).toHaveBeenCalledWith('p-1', 'not this week');
  });

  it('explains four eyes to whoever submitted the plan', async () => {
    render({
      me: 'user:default/sam',
      plan: { ...pending, submittedBy: 'user:default/sam' },
    });
    expect(
      await screen.findByText(/another person must approve it \(four eyes\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Approve plan p-1' }),
    ).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Reject plan p-1' }),
    ).toBeEnabled();
  });

  it('shows no buttons to someone the permission framework refuses, saying who may', async () => {
    // Another plan: usePermission caches decisions per permission and resource for a while.
    render({
      me: 'user:default/vera',
      allowed: false,
      plan: { ...pending, id: 'p-2' },
    });
    expect(
      await screen.findByText(/operator whose group owns every service/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /plan p-2/ })).toBeNull();
  });

  it('shows nothing for a plan that waits for nobody', async () => {
    render({
      me: 'user:default/ann',
      plan: { ...pending, status: 'succeeded' },
    });
    await new Promise(r => setTimeout(r, 50));
    expect(screen.queryByRole('button', { name: /Approve/ })).toBeNull();
  });
});
