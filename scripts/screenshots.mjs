#!/usr/bin/env node
// Screenshots of the portal for the README (docs/images), taken with Debian's Chromium from a
// running embedded default (`scripts/dev.sh start`, best on a fresh .sentinel/sqlite):
//
//   node scripts/screenshots.mjs
//
// It submits plans as the optimizer to have something to show: one waiting for approval, one
// applied, and a canary.
import { chromium } from '@playwright/test';

const app = 'http://localhost:3000';
const api = 'http://localhost:7007/api/sentinel';
const optimizer = {
  Authorization: 'Bearer dev-optimizer-token',
  'Content-Type': 'application/json',
};

async function submit(decision) {
  const res = await fetch(`${api}/v1/action-plans`, {
    method: 'POST',
    headers: optimizer,
    body: JSON.stringify({ source: 'InfraMind', decisions: [decision] }),
  });
  if (res.status !== 202)
    throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

await submit({
  verb: 'scale',
  target: { namespace: 'payments', name: 'payments-api' },
  params: { replicas: 4 },
  rationale: 'p95 latency above 300 ms for 20 min',
  confidence: 0.55,
});
await submit({
  verb: 'rollout',
  target: { namespace: 'shop', name: 'cart' },
  params: {
    containers: { app: { image: 'shop/cart:1.5.0' } },
    strategy: 'canary',
  },
  rationale: 'new release',
  confidence: 0.95,
});

const browser = await chromium.launch({
  executablePath: process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
await page.goto(app);
await page.getByRole('button', { name: 'Enter' }).click();
await page.getByRole('heading', { name: 'Sentinel demo Catalog' }).waitFor();

// A canary in flight, with its metrics over time.
await page.goto(`${app}/catalog/default/component/cart/sentinel`);
await page
  .getByText(/[1-9]\d* % to the candidate/)
  .first()
  .waitFor({ timeout: 60_000 });
await sleep(12_000);
await page.screenshot({
  path: 'docs/images/sentinel-tab-canary.png',
  fullPage: true,
});

// The Overview card.
await page.goto(`${app}/catalog/default/component/cart`);
await page.getByText('Change freeze').waitFor();
await page.screenshot({ path: 'docs/images/overview-card.png' });

// A plan waiting for a person, unfolded, and the approve dialog.
await page.goto(`${app}/catalog/default/component/payments-api/sentinel`);
const row = page
  .getByRole('row')
  .filter({ hasText: 'pending_approval' })
  .first();
await row.waitFor();
await row.getByRole('button').first().click();
await sleep(500);
await page.screenshot({ path: 'docs/images/plan-details.png', fullPage: true });
await row.getByRole('button', { name: /^Approve plan/ }).click();
await page.getByLabel('Comment (optional)').fill('dashboards are green');
await page.screenshot({ path: 'docs/images/approve-dialog.png' });

await page.keyboard.press('Escape');

// The admin page: approvals across services, the policy editor with a dry run, the calendar.
await page.goto(`${app}/sentinel/approvals`);
await page.getByText('pending_approval').first().waitFor();
await sleep(500);
await page.screenshot({ path: 'docs/images/admin-approvals.png' });

await page.goto(`${app}/sentinel/policy`);
const editor = page.getByRole('textbox', { name: 'Policy document (YAML)' });
await editor.waitFor();
await sleep(500);
const policy = await editor.inputValue();
await editor.fill(policy.replace(/maxStep: 5/, 'maxStep: 1'));
await page.getByRole('button', { name: 'Dry run' }).click();
await page.getByText(/^Outcome: /).waitFor();
await page.screenshot({ path: 'docs/images/admin-policy.png', fullPage: true });
await editor.fill(policy);

await page.goto(`${app}/sentinel/freezes`);
await page.getByRole('grid').waitFor();
await sleep(1000);
await page.screenshot({
  path: 'docs/images/admin-freezes.png',
  fullPage: true,
});

for (const [section, ready] of [
  ['exceptions', 'Policy exceptions'],
  ['shadow', 'Run every plan in shadow mode'],
  ['access', 'Role bindings'],
]) {
  await page.goto(`${app}/sentinel/${section}`);
  await page.getByText(ready).first().waitFor();
  await sleep(1000);
  await page.screenshot({ path: `docs/images/admin-${section}.png` });
}

await page.goto(`${app}/sentinel/audit`);
await page.getByText('Audit log').first().waitFor();
await sleep(1500);
await page.screenshot({ path: 'docs/images/admin-audit.png' });

// The Create page: putting storefront (which runs but no service lists yet) under Sentinel.
await page.goto(
  `${app}/create/templates/default/sentinel-put-service-under-sentinel`,
);
await page.getByRole('textbox', { name: 'Service' }).click();
await page.getByRole('option', { name: /storefront/ }).click();
await page.getByRole('textbox', { name: 'Workloads' }).click();
await page
  .getByRole('option')
  .filter({ hasText: 'demo/shop/Deployment/storefront' })
  .waitFor();
await page.screenshot({ path: 'docs/images/workload-picker.png' });
await page
  .getByRole('option')
  .filter({ hasText: 'demo/shop/Deployment/storefront' })
  .click();
await page.keyboard.press('Escape');
await page.getByRole('button', { name: 'Next' }).click();
await page.getByRole('button', { name: 'Review' }).click();
await page.getByRole('button', { name: 'Create' }).click();
await page
  .getByText('The change to catalog-info.yaml')
  .waitFor({ timeout: 60_000 });
await sleep(1000);
await page.screenshot({ path: 'docs/images/put-under-sentinel.png' });

await browser.close();
console.log('wrote docs/images/*.png');
