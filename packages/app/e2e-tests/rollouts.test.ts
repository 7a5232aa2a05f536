import { expect, test } from '@playwright/test';
import { api, optimizer, signInAsGuest } from './support';

test('a person watches a canary advance on the tab and aborts it; the stable workload is untouched', async ({
  page,
  request,
}) => {
  // The optimizer rolls a new image of cart out as a canary (shop, not production; the tests
  // change no other workload of shop, which the demo policy's blast radius would refuse).
  let planId = '';
  await expect(async () => {
    const submitted = await request.post(`${api}/v1/action-plans`, {
      headers: optimizer,
      data: {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'rollout',
            target: { namespace: 'shop', name: 'cart' },
            params: {
              containers: {
                app: { image: `shop/cart:1.5.${Date.now() % 1000}` },
              },
              strategy: 'canary',
            },
            confidence: 0.95,
          },
        ],
      },
    });
    expect(submitted.status()).toBe(202);
    planId = (await submitted.json()).id;
  }).toPass({ timeout: 60_000 });

  // Signed in before going on: navigating away while Enter's sign-in is in flight lands
  // back on the sign-in page.
  await signInAsGuest(page);
  await page.goto('/catalog/default/component/cart/sentinel');
  await expect(
    page.getByRole('heading', { name: 'Rollouts in flight' }),
  ).toBeVisible({ timeout: 60_000 });
  // It advances: some traffic goes to the candidate.
  await expect(
    page.getByText(/[1-9]\d* % to the candidate/).first(),
  ).toBeVisible({
    timeout: 60_000,
  });
  await page.getByRole('button', { name: 'abort rollout of cart' }).click();

  await expect(async () => {
    const plan = await request.get(`${api}/v1/action-plans/${planId}`, {
      headers: optimizer,
    });
    expect((await plan.json()).status).toBe('rolled_back');
  }).toPass({ timeout: 90_000 });
  const workloads = await request.get(`${api}/v1/workloads?namespace=shop`, {
    headers: optimizer,
  });
  const cart = (await workloads.json()).items.find(
    (w: any) => w.name === 'cart',
  );
  expect(cart.containers[0].image).toBe('shop/cart:1.4.2');
});
