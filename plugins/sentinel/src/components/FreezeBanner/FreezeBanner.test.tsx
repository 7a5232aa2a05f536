import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import userEvent from '@testing-library/user-event';
import { SWRConfig } from 'swr';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import { screen, waitFor } from '@testing-library/react';
import { sentinelApiRef } from '../../api';
import { FreezeBanner } from './FreezeBanner';

const workloads: WorkloadRef[] = [
  { cluster: 'demo', namespace: 'shop', kind: 'Deployment', name: 'cart' },
  { cluster: 'demo', namespace: 'shop', kind: 'StatefulSet', name: 'cart-db' },
  {
    cluster: 'demo',
    namespace: 'production',
    kind: 'Deployment',
    name: 'orders',
  },
];

const weekend = {
  id: 'w1',
  name: 'Production weekend freeze',
  reason: 'Nobody on call over the weekend.',
  scope: { namespace: 'production' },
  allowRollback: true,
  createdBy: 'sentinel',
  createdAt: '2026-11-01T00:00:00Z',
  activeFrom: '2026-11-27T15:00:00.000Z',
  activeUntil: '2026-11-30T07:00:00.000Z',
};

const calm = { frozen: false, window: null, nextWindow: null, override: null };

function render(
  byNamespace: Record<string, unknown>,
  options: { admin?: boolean; breakGlass?: jest.Mock } = {},
) {
  const queries: unknown[] = [];
  const api = {
    freezeStatus: async (query: { namespace: string }) => {
      queries.push(query);
      return byNamespace[query.namespace] ?? calm;
    },
    breakGlass: options.breakGlass ?? jest.fn(),
  } as any;
  // A cache of its own: usePermission keeps decisions in SWR's, across tests otherwise.
  renderInTestApp(
    <SWRConfig value={{ provider: () => new Map() }}>
      <FreezeBanner workloads={workloads} />
    </SWRConfig>,
    {
      apis: [
        [sentinelApiRef, api],
        mockApis.permission({
          authorize: options.admin
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
        }),
      ],
    },
  );
  return queries;
}

describe('FreezeBanner', () => {
  it('lets an admin break glass for the frozen namespace, with a reason, then asks again', async () => {
    const breakGlass = jest.fn(async () => ({}));
    const queries = render(
      { production: { ...calm, frozen: true, window: weekend } },
      { admin: true, breakGlass },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Break glass' }),
    );
    const confirm = screen
      .getAllByRole('button', { name: 'Break glass' })
      .at(-1)!;
    expect(confirm).toBeDisabled();
    await userEvent.type(
      screen.getByLabelText('Why (required)'),
      'incident 42',
    );
    await userEvent.click(confirm);
    await waitFor(() => expect(queries.length).toBe(4));
    expect(breakGlass).toHaveBeenCalledTimes(1);
    expect(breakGlass).toHaveBeenCalledWith({
      scope: { cluster: 'demo', namespace: 'production' },
      reason: 'incident 42',
      durationMinutes: 60,
    });
  });

  it('warns when any namespace the service runs in is frozen, asking once per namespace', async () => {
    const queries = render({
      production: {
        frozen: true,
        window: weekend,
        nextWindow: null,
        override: null,
      },
    });
    expect(
      await screen.findByText(
        /Changes are frozen until .*: Production weekend freeze/,
      ),
    ).toBeInTheDocument();
    expect(queries).toEqual([
      { cluster: 'demo', namespace: 'shop' },
      { cluster: 'demo', namespace: 'production' },
    ]);
  });

  it('announces the next freeze when none is active', async () => {
    render({ production: { ...calm, nextWindow: weekend } });
    expect(
      await screen.findByText(/Next change freeze: Production weekend freeze/),
    ).toBeInTheDocument();
  });

  it('shows nothing when no freeze is active or planned', async () => {
    const queries = render({});
    await waitFor(() => expect(queries.length).toBe(2));
    await new Promise(r => setTimeout(r, 50)); // let the answers render
    expect(screen.queryByText(/freeze/i)).not.toBeInTheDocument();
  });

  it('offers no break glass to someone who may not manage freezes', async () => {
    render({ production: { ...calm, frozen: true, window: weekend } });
    expect(
      await screen.findByText(/Changes are frozen until/),
    ).toBeInTheDocument();
    await new Promise(r => setTimeout(r, 50));
    expect(screen.queryByRole('button', { name: 'Break glass' })).toBeNull();
  });
});
