import { expect, test, type APIRequestContext } from '@playwright/test';
import { api, optimizer, signInAsGuest } from './support';

// Acting from a service's Sentinel tab, as the guest (an admin in the embedded default).

/** A plan the optimizer submits with low confidence: it waits for a person. */
async function pendingPlan(
  request: APIRequestContext,
  namespace: string,
  name: string,
): Promise<string> {
  let id = '';
  await expect(async () => {
    const workloads = await request.get(
      `${api}/v1/workloads?namespace=${namespace}`,
      { headers: optimizer },
    );
    const current = (await workloads.json()).items.find(
      (w: any) => w.name === name,
    );
    expect(current).toBeTruthy();
    const submitted = await request.post(`${api}/v1/action-plans`, {
      headers: optimizer,
      data: {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace, kind: current.kind, name },
            params: { replicas: current.replicas.desired === 2 ? 3 : 2 },
            rationale: 'queue depth',
            confidence: 0.5,
          },
        ],
      },
    });
    expect(submitted.status()).toBe(202);
    id = (await submitted.json()).id;
  }).toPass({ timeout: 60_000 });
  await expect(async () => {
    const plan = await request.get(`${api}/v1/action-plans/${id}`, {
      headers: optimizer,
    });
    expect((await plan.json()).status).toBe('pending_approval');
  }).toPass({ timeout: 30_000 });
  return id;
}

async function statusOf(request: APIRequestContext, id: string) {
  const plan = await request.get(`${api}/v1/action-plans/${id}`, {
    headers: optimizer,
  });
  return (await plan.json()).status;
}

// Rejecting first: the approval below changes payments-api, and the demo policy's blast radius
// (half of a namespace an hour) would then deny a plan for ledger at once.
test('a person rejects a pending plan with a comment; nothing is applied', async ({
  page,
  request,
}) => {
  const id = await pendingPlan(request, 'payments', 'ledger');
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api/sentinel');

  await page.getByRole('button', { name: `Reject plan ${id}` }).click();
  const confirm = page
    .getByRole('dialog')
    .getByRole('button', { name: 'Reject' });
  await expect(confirm).toBeDisabled();
  await page.getByLabel('Why (required)').fill('not during the sale');
  await confirm.click();
  await expect(page.getByText('rejected: not during the sale')).toBeVisible();
  expect(await statusOf(request, id)).toBe('rejected');
});

test('a person approves a pending plan from the tab, sees who approved, and rolls the change back', async ({
  page,
  request,
}) => {
  // payments: shop's other service may have changed already (the namespace's blast radius).
  const id = await pendingPlan(request, 'payments', 'payments-api');
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/payments-api/sentinel');

  await page.getByRole('button', { name: `Approve plan ${id}` }).click();
  await page.getByLabel('Comment (optional)').fill('dashboards are green');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(async () => {
    expect(await statusOf(request, id)).toBe('succeeded');
  }).toPass({ timeout: 60_000 });

  // The plan unfolds to who approved it, with the comment, and its timeline.
  await page.reload();
  // The plan's row (a workload's "last change" says succeeded too).
  const row = page
    .getByRole('row')
    .filter({ hasText: 'succeeded' })
    .filter({ hasText: 'InfraMind' })
    .first();
  await row.getByRole('button').first().click();
  await expect(
    page.getByText('user:development/guest: dashboards are green'),
  ).toBeVisible();
  await expect(page.getByText(/^succeeded: /).first()).toBeVisible();

  // Roll the change back from the workloads list: a rollback plan shows and runs.
  await page.getByRole('button', { name: 'Roll back payments-api' }).click();
  await page.getByLabel('Why (required)').fill('latency went up');
  await page
    .getByRole('dialog')
    .getByRole('button', { name: 'Roll back' })
    .click();
  await expect(
    page.getByText('rollback payments/payments-api').first(),
  ).toBeVisible();
});
