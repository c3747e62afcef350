import { defineConfig, devices } from '@playwright/test';

// E2E_PORT lets two checkouts (or two people) run the suite side by side.
const PORT = Number(process.env.E2E_PORT ?? 5199);
// E2E_PREVIEW=1 tests the production build (vite build + vite preview) instead of the dev server,
// built with the test harness (T2L_E2E, below) into its own folder, so dist/ never holds the harness.
const DIST = process.env.E2E_DIST ?? 'dist-e2e';
const server = process.env.E2E_PREVIEW
  ? `npx vite build --outDir ${DIST} && npx vite preview --outDir ${DIST} --port ${PORT} --strictPort`
  : `npx vite --port ${PORT} --strictPort`;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // WebGPU here is SwiftShader, Vulkan emulated on the CPU: slow, so timeouts are generous.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  fullyParallel: false,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        headless: true,
        launchOptions: {
          // Playwright's own browser download cannot work here; Debian's Chromium is used instead.
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--enable-unsafe-webgpu',
            // Without these Chromium keeps calling home, which fails on a closed network.
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-quic',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  webServer: {
    command: server,
    url: `http://localhost:${PORT}/e2e/harness/index.html`,
    reuseExistingServer: !process.env.CI,
    // Tells vite.config.ts not to watch files: nothing may reload a page mid-test.
    env: { T2L_E2E: '1' },
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
