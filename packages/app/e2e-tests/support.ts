import { expect, type APIRequestContext, type Page } from '@playwright/test';

// What the browser tests share: the API, its development tokens, signing in, cleaning up.
export const api = 'http://localhost:7007/api/sentinel';
/** The optimizer's static token (the `system` role). */
export const optimizer = { Authorization: 'Bearer dev-optimizer-token' };
/** The operations token (an admin by app-config.yaml's role bindings): set-up and clean-up. */
export const ops = { Authorization: 'Bearer dev-ops-token' };

/** Signs in as the guest, an admin in the embedded default. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in once the catalog, the landing page, shows.
  await expect(
    page.getByRole('heading', { name: 'Sentinel demo Catalog' }),
  ).toBeVisible();
  // Served at /catalog, where Backstage users and links expect it.
  await expect(page).toHaveURL(/\/catalog(\?|$)/);
}

/** Deletes every freeze window with this name, so a failed run leaves none behind. */
export async function deleteFreezesNamed(
  request: APIRequestContext,
  name: string,
) {
  const windows = await request.get(`${api}/v1/freeze-windows`, {
    headers: ops,
  });
  for (const w of (await windows.json()).items ?? []) {
    if (w.name === name) {
      await request.delete(`${api}/v1/freeze-windows/${w.id}`, {
        headers: ops,
      });
    }
  }
}
