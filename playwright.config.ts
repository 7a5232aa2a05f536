import { defineConfig } from '@playwright/test';

// Browser tests drive Debian's Chromium (installed by scripts/dev.sh), never a downloaded
// browser. The app runs as `yarn start` does for a newcomer: frontend :3000, backend :7007.
const chromium = process.env.SENTINEL_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report' }],
    ...(process.env.SENTINEL_E2E_JSON
      ? [['json', { outputFile: process.env.SENTINEL_E2E_JSON }] as const]
      : []),
  ],
  outputDir: 'node_modules/.cache/e2e-test-results',
  webServer: {
    command: 'yarn start',
    url: 'http://localhost:7007/api/sentinel/health',
    reuseExistingServer: !process.env.CI,
    timeout: 240_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      // Chromium's own background traffic is refused on these machines; keep it quiet.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
