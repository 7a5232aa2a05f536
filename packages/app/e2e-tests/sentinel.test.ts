import { expect, test } from '@playwright/test';
import { api, optimizer, signInAsGuest } from './support';

test('a newcomer signs in as guest and finds the Sentinel tab of a demo service', async ({
  page,
  request,
}) => {
  // The optimizer proposes a change to cart, as InfraMind would. On a fresh start the catalog
  // is still reading the demo services, and cart is unmanaged (400) until it has.
  await expect(async () => {
    const submitted = await request.post(`${api}/v1/action-plans`, {
      headers: optimizer,
      data: {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: 2 },
            confidence: 0.9,
          },
        ],
      },
    });
    expect(submitted.status()).toBe(202);
  }).toPass({ timeout: 60_000 });

  await signInAsGuest(page);

  // The catalog lists the demo services; open one.
  await page.getByRole('link', { name: 'cart', exact: true }).click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/cart/);

  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Sentinel' })
    .click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/cart\/sentinel/);
  // The heading: plan reasons may mention managed workloads too (blast-radius rule).
  await expect(
    page.getByRole('heading', { name: 'Managed workloads' }),
  ).toBeVisible();
  await expect(
    page.getByRole('cell', { name: 'demo/shop', exact: true }),
  ).toBeVisible();
  // The plan shows on the service's page, whatever the policy decided.
  await expect(page.getByText('scale shop/cart').first()).toBeVisible();
  await expect(page.getByText('InfraMind').first()).toBeVisible();
});

test('only services Sentinel manages get its tab and Overview card', async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/cart');
  // The card: freeze, rollouts, approvals and last change at a glance, linking to the tab.
  await expect(page.getByText('Change freeze')).toBeVisible();
  await expect(page.getByText('Last change')).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Open the Sentinel tab' }),
  ).toBeVisible();

  // storefront has no sentinel.io/workloads annotation: no tab, no card.
  await page.goto('/catalog/default/component/storefront');
  await expect(
    page
      .getByRole('navigation', { name: 'Content navigation' })
      .getByRole('link', { name: 'Overview' }),
  ).toBeVisible();
  await expect(
    page
      .getByRole('navigation', { name: 'Content navigation' })
      .getByRole('link', { name: 'Sentinel' }),
  ).toHaveCount(0);
  await expect(page.getByText('Change freeze')).toHaveCount(0);
});

test("a production service's tab announces the weekend freeze", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/orders/sentinel');
  // Active on weekends, announced as the next freeze on weekdays.
  await expect(
    page.getByText(
      /(Changes are frozen until|Next change freeze).*Production weekend freeze/,
    ),
  ).toBeVisible();
});
