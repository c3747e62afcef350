import { defineConfig, devices, type PlaywrightTestConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './e2e/chromium-args';
import { E2E_DIST, E2E_PORT, PREVIEW_PORT } from './e2e/ports';

type WebServer = Exclude<NonNullable<PlaywrightTestConfig['webServer']>, unknown[]>;

/**
 * Two projects:
 * - `chromium`: every spec but the production-build ones, against the dev server on E2E_PORT;
 * - `preview`: the specs that need the production build and its service worker (PREVIEW_SPECS),
 *   against `vite preview` of a build with the test harness in E2E_DIST, on E2E_PORT + 10.
 * E2E_PREVIEW=1 runs the whole suite on the production build instead: one server (the build on
 * E2E_PORT) and one project with every spec. The build goes to its own folder (T2L_E2E adds the
 * harness), so dist/ never holds the harness.
 */
/** E2E_WORKERS: a whole number ≥ 1 or a percentage of the CPUs ("50%"); unset: 1. */
function e2eWorkers(value: string | undefined): number | string {
  if (value === undefined || value === '') return 1;
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  if (/^[1-9]\d*%$/.test(value)) return value;
  throw new Error(
    `E2E_WORKERS must be a whole number ≥ 1 or a percentage such as 50%, not "${value}"`,
  );
}

const PREVIEW_SPECS = ['**/app-offline.spec.ts', '**/app-update.spec.ts'];
const allOnBuild = Boolean(process.env.E2E_PREVIEW);

const buildAndPreview = (port: number) =>
  `npx vite build --outDir ${E2E_DIST} && npx vite preview --outDir ${E2E_DIST} --port ${port} --strictPort`;

function webServer(command: string, port: number): WebServer {
  return {
    command,
    url: `http://localhost:${port}/e2e/harness/index.html`,
    reuseExistingServer: !process.env.CI,
    // Tells vite.config.ts not to watch files (nothing may reload a page mid-test) and to build the
    // harness page into the production build.
    env: { T2L_E2E: '1' },
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  };
}

const chromium = {
  ...devices['Desktop Chrome'],
  headless: true,
  launchOptions: {
    // Playwright's own browser download cannot work here; Debian's Chromium is used instead.
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  },
};

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // WebGPU here is SwiftShader, Vulkan emulated on the CPU: slow, so timeouts are generous.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  // One spec file at a time unless E2E_WORKERS says otherwise. Two workers on the project's 2-core
  // machines took the load average to 10-12 (each spec runs Chromium, SwiftShader and CLI
  // processes) and timed out the WebGPU generation (3 min) in a clean-clone run.
  workers: e2eWorkers(process.env.E2E_WORKERS),
  retries: 0,
  fullyParallel: false,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: allOnBuild
    ? [{ name: 'chromium', use: { ...chromium, baseURL: `http://localhost:${E2E_PORT}` } }]
    : [
        {
          name: 'chromium',
          testIgnore: PREVIEW_SPECS,
          use: { ...chromium, baseURL: `http://localhost:${E2E_PORT}` },
        },
        {
          name: 'preview',
          testMatch: PREVIEW_SPECS,
          use: { ...chromium, baseURL: `http://localhost:${PREVIEW_PORT}` },
        },
      ],
  webServer: allOnBuild
    ? [webServer(buildAndPreview(E2E_PORT), E2E_PORT)]
    : [
        webServer(`npx vite --port ${E2E_PORT} --strictPort`, E2E_PORT),
        webServer(buildAndPreview(PREVIEW_PORT), PREVIEW_PORT),
      ],
});
