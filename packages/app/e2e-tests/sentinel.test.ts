import { expect, test, type Page } from '@playwright/test';

async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in once the catalog, the landing page, shows.
  await expect(
    page.getByRole('heading', { name: 'Sentinel demo Catalog' }),
  ).toBeVisible();
}

test('a newcomer signs in as guest and finds the Sentinel tab of a demo service', async ({
  page,
}) => {
  await signInAsGuest(page);

  // The catalog lists the demo services; open one.
  await page.getByRole('link', { name: 'cart', exact: true }).click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/cart/);

  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Sentinel' })
    .click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/cart\/sentinel/);
  await expect(page.getByText('Managed workloads')).toBeVisible();
  await expect(
    page.getByRole('cell', { name: 'shop', exact: true }),
  ).toBeVisible();
  await expect(
    page.getByText(/No action plans for this service yet/),
  ).toBeVisible();
});

test('a service Sentinel does not manage says how to opt in', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/storefront/sentinel');
  await expect(
    page.getByText('Sentinel does not manage this service yet'),
  ).toBeVisible();
});
