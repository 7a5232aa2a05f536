import { expect, test } from '@playwright/test';
import { deleteFreezesNamed, signInAsGuest } from './support';

// Sentinel's templates on the Create page, run as the guest (an admin in the embedded default).
// The operations token cleans up through the API, so a failed run leaves no freeze behind.

test('a person schedules a change freeze from the Create page and sees it on the service tab', async ({
  page,
  request,
}) => {
  const name = 'E2E template freeze';
  await deleteFreezesNamed(request, name);
  try {
    await signInAsGuest(page);
    await page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: 'Create', exact: true })
      .click();

    // The template's card: the innermost element with its title and a Choose button.
    const card = page
      .locator('div')
      .filter({
        has: page.getByRole('heading', { name: 'Schedule a change freeze' }),
      })
      .filter({ has: page.getByRole('button', { name: 'Choose' }) })
      .last();
    await card.getByRole('button', { name: 'Choose' }).click();

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
    await page
      .getByRole('textbox', { name: 'Reason', exact: true })
      .fill('release of the shop');
    await page
      .getByRole('textbox', { name: 'Namespace', exact: true })
      .fill('shop');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    await expect(
      page.getByText(/Freeze window `?[0-9a-f-]{36}`? is set/),
    ).toBeVisible({
      timeout: 60_000,
    });

    await page.goto('/catalog/default/component/cart/sentinel');
    await expect(
      page.getByText(new RegExp(`Changes are frozen until .*: ${name}$`)),
    ).toBeVisible();
  } finally {
    await deleteFreezesNamed(request, name);
  }
});

test("the Create page offers Sentinel's templates, and lists its actions with their schemas", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Create', exact: true })
    .click();
  for (const title of [
    'Put a service under Sentinel',
    'Schedule a change freeze',
    'Request a scaling change',
  ]) {
    await expect(page.getByRole('heading', { name: title })).toBeVisible();
  }

  await page.goto('/create/actions');
  for (const id of [
    'sentinel:plan:submit',
    'sentinel:freeze:create',
    'sentinel:workload:annotate',
    'sentinel:rollout:control',
  ]) {
    await expect(page.getByText(id, { exact: true }).first()).toBeVisible();
  }
  // One unfolds to its input schema and its examples.
  await page.getByRole('row', { name: /^sentinel:plan:submit / }).click();
  await expect(page.getByText('timeoutSeconds').first()).toBeVisible();
  await expect(
    page
      .getByText(
        'Check a rollout against the policy without submitting it (nothing is stored)',
      )
      .first(),
  ).toBeVisible();
});
