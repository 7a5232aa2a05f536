import { expect, test } from '@playwright/test';
import {
  api,
  optimizer,
  ops,
  signInAsGuest,
  deleteFreezesNamed,
} from './support';

// Sentinel's admin page, as the guest (an admin in the embedded default). The operations
// token (an admin by app-config.yaml's role bindings) sets up and cleans up through the API, so
// a failed test never leaves a freeze or a locked-out guest for the tests after it.

/** `YYYY-MM-DDTHH:mm` in local time, as a datetime-local input takes it. */
function localInput(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(
    at.getDate(),
  )}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

test('an admin edits the policy: invalid YAML is refused with the message; a dry run uses the draft; a valid change shows in the history', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page
    .getByRole('navigation')
    .getByRole('link', { name: 'Sentinel', exact: true })
    .click();
  await expect(page).toHaveURL(/\/sentinel\/approvals$/);
  await page.getByRole('tab', { name: 'Policy' }).click();

  const editor = page.getByRole('textbox', { name: 'Policy document (YAML)' });
  await expect(editor).toHaveValue(/rules:/);
  const original = await editor.inputValue();
  const save = page.getByRole('button', { name: 'Save' });

  // Broken YAML: the line and column, and no saving.
  await editor.fill(`${original}\n  - id: [broken`);
  await expect(page.getByText('Fix these before saving')).toBeVisible();
  await expect(
    page.getByText(/^YAML: .*line \d+, column \d+/).first(),
  ).toBeVisible();
  await expect(save).toBeDisabled();

  // Valid YAML, invalid policy: the field by path.
  // A rule id of its own, so that a rerun on the same database adds another.
  const ruleId = `e2e-plan-size-${Date.now().toString(36)}`;
  const withRule = (max: number) =>
    original.replace(
      /^rules:\n/m,
      `rules:\n  - id: ${ruleId}\n    kind: plan_size\n    max: ${max}\n`,
    );
  await editor.fill(withRule(0));
  await expect(page.getByText(/^rules\[0\]\.max: /)).toBeVisible();
  await expect(save).toBeDisabled();

  // A dry run of a two-decision plan against the draft (not the policy in force).
  await editor.fill(withRule(1));
  await expect(
    page.getByText('The draft is a valid policy document.'),
  ).toBeVisible();
  await page.getByRole('textbox', { name: 'Sample plan (YAML or JSON)' })
    .fill(`source: InfraMind
decisions:
  - { verb: scale, target: { namespace: shop, name: cart }, params: { replicas: 4 }, confidence: 0.9 }
  - { verb: scale, target: { namespace: shop, name: checkout }, params: { replicas: 3 }, confidence: 0.9 }
`);
  await page.getByRole('button', { name: 'Dry run' }).click();
  await expect(page.getByText('Outcome: deny')).toBeVisible();
  await expect(
    page.getByText(`${ruleId}: `, { exact: false }).first(),
  ).toBeVisible();

  // A valid change saved: a new version, shown in the history as a diff.
  await editor.fill(withRule(50));
  await save.click();
  await expect(page.getByText(/^Saved as version \d+\.$/)).toBeVisible();
  await expect(
    page.locator('[data-diff="added"]', { hasText: ruleId }),
  ).toBeVisible();
  await expect(
    page.locator('[data-diff="added"]', { hasText: 'max: 50' }),
  ).toBeVisible();
});

test('an admin creates a freeze on the Freezes tab; it shows in the calendar and as a banner on the service tab', async ({
  page,
  request,
}) => {
  const name = 'E2E release freeze';
  await deleteFreezesNamed(request, name);
  try {
    await signInAsGuest(page);
    await page.goto('/sentinel/freezes');
    await page.getByRole('button', { name: 'New freeze window' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
    await dialog
      .getByRole('textbox', { name: 'Reason', exact: true })
      .fill('the shop release goes out');
    const now = new Date();
    await dialog
      .getByLabel('Start', { exact: true })
      .fill(localInput(new Date(now.getTime() - 5 * 60_000)));
    await dialog
      .getByLabel('End', { exact: true })
      .fill(localInput(new Date(now.getTime() + 2 * 3_600_000)));
    await dialog
      .getByRole('textbox', { name: 'Cluster', exact: true })
      .fill('demo');
    await dialog
      .getByRole('textbox', { name: 'Namespace', exact: true })
      .fill('shop');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect(dialog).toBeHidden();

    await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();
    await expect(
      page.getByRole('gridcell', { name: new RegExp(name) }).first(),
    ).toBeVisible();

    await page.goto('/catalog/default/component/cart/sentinel');
    await expect(
      page.getByText(new RegExp(`Changes are frozen until .*: ${name}$`)),
    ).toBeVisible();

    // Deleted from the list, the freeze is gone from the tab.
    await page.goto('/sentinel/freezes');
    page.once('dialog', d => d.accept());
    await page.getByRole('button', { name: `Delete ${name}` }).click();
    await expect(page.getByRole('cell', { name, exact: true })).toBeHidden();
    await page.goto('/catalog/default/component/cart/sentinel');
    await expect(
      page.getByRole('heading', { name: 'Managed workloads' }),
    ).toBeVisible();
    await expect(page.getByText(/Changes are frozen until/)).toBeHidden();
  } finally {
    await deleteFreezesNamed(request, name);
  }
});

test('a viewer sees what happens but no action buttons', async ({
  page,
  request,
}) => {
  const before = await (
    await request.get(`${api}/v1/rbac/bindings`, { headers: ops })
  ).json();
  // A plan waiting for a person on a service of the guest's own team.
  const submitted = await request.post(`${api}/v1/action-plans`, {
    headers: optimizer,
    data: {
      source: 'InfraMind',
      decisions: [
        {
          verb: 'restart',
          target: { namespace: 'shop', name: 'checkout' },
          params: {},
          rationale: 'memory leak',
          confidence: 0.3,
        },
      ],
    },
  });
  expect(submitted.status()).toBe(202);
  const planId = (await submitted.json()).id;

  try {
    // The admin hands the admin role to the operations account and keeps only viewer.
    await signInAsGuest(page);
    await page.goto('/sentinel/access');
    await page
      .getByRole('textbox', { name: 'admin role holders, one ref per line' })
      .fill('service:external:sentinel-ops');
    await page
      .getByRole('textbox', { name: 'operator role holders, one ref per line' })
      .fill('group:default/team-payments');
    await page
      .getByRole('textbox', { name: 'viewer role holders, one ref per line' })
      .fill('group:default/sentinel-admins\ngroup:default/team-shop');
    await page.getByLabel('Why (recorded with the change)').fill('e2e: viewer');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText(/^Role bindings saved/)).toBeVisible();

    // Every replica decides with the new bindings within seconds.
    await expect(async () => {
      await page.goto('/catalog/default/component/checkout/sentinel');
      await expect(
        page
          .getByText(
            /operator whose group owns every service this plan changes/,
          )
          .first(),
      ).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 60_000 });
    await expect(page.getByText('restart shop/checkout').first()).toBeVisible();
    await expect(
      page.getByRole('button', { name: /^Approve plan/ }),
    ).toHaveCount(0);
    await expect(
      page.getByRole('button', { name: /^Reject plan/ }),
    ).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Roll back/ })).toHaveCount(
      0,
    );
    await expect(
      page
        .getByText(/operator whose group owns this service, may roll it back/)
        .first(),
    ).toBeVisible();

    // The admin page still shows (viewers read policies), with nothing to change.
    await page.goto('/sentinel/policy');
    await expect(
      page.getByRole('textbox', { name: 'Policy document (YAML)' }),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
    await expect(
      page.getByText(
        'Only admins may change the policy (sentinel.policy.update).',
      ),
    ).toBeVisible();
  } finally {
    const now = await (
      await request.get(`${api}/v1/rbac/bindings`, { headers: ops })
    ).json();
    await request.put(`${api}/v1/rbac/bindings`, {
      headers: ops,
      data: {
        version: now.version,
        roles: before.roles,
        defaultRole: before.defaultRole,
        comment: 'e2e: restore',
      },
    });
    await request.post(`${api}/v1/action-plans/${planId}/cancel`, {
      headers: ops,
    });
  }
});
