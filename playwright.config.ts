import { defineConfig, devices, type PlaywrightTestConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './e2e/chromium-args';
import { E2E_DIST, E2E_PORT, E2E_PREBUILT, PREVIEW_PORT } from './e2e/ports';

type WebServer = Exclude<NonNullable<PlaywrightTestConfig['webServer']>, unknown[]>;

/**
 * One production build for the whole suite: `vite build` with the test harness (T2L_E2E) into
 * E2E_DIST, served by `vite preview` on E2E_PORT. It is built once per run and serves a few
 * bundled files, where the dev server transformed and served each of hundreds of modules to every
 * fresh page (a page was ready in ~5 s on the build against ~11 s on the dev server, load 11).
 * Two projects on that one server:
 * - `chromium`: every spec but the service-worker ones, with service workers blocked, so no page
 *   installs the worker and precaches 41 MB behind the test's back (and page.route sees every
 *   request);
 * - `preview`: the service-worker specs (PREVIEW_SPECS), with service workers allowed.
 * E2E_DEV=1 runs the `chromium` project against the dev server on E2E_PORT instead (no build, for
 * quick edits while writing a spec) and the `preview` project against the build on E2E_PORT + 10.
 * The build goes to its own folder (T2L_E2E adds the harness), so dist/ never holds the harness.
 * E2E_PREBUILT=1 (set by `npm test`, scripts/test-all.ts, which builds beside typecheck and lint)
 * serves that folder as it is, without building again.
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
const onDevServer = Boolean(process.env.E2E_DEV);
const BUILD_PORT = onDevServer ? PREVIEW_PORT : E2E_PORT;

const preview = (port: number) =>
  `npx vite preview --outDir ${E2E_DIST} --port ${port} --strictPort`;
const buildAndPreview = (port: number) =>
  E2E_PREBUILT ? preview(port) : `npx vite build --outDir ${E2E_DIST} && ${preview(port)}`;

function webServer(command: string, port: number): WebServer {
  return {
    command,
    url: `http://localhost:${port}/e2e/harness/index.html`,
    reuseExistingServer: !process.env.CI,
    // Tells vite.config.ts not to watch files (nothing may reload a page mid-test) and to build the
    // harness page into the production build.
    env: { T2L_E2E: '1' },
    // The build runs first: 16 s at rest, 42 s at load 20 here; a loaded machine needs more.
    timeout: 300_000,
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
  projects: [
    {
      name: 'chromium',
      testIgnore: PREVIEW_SPECS,
      use: { ...chromium, baseURL: `http://localhost:${E2E_PORT}`, serviceWorkers: 'block' },
    },
    {
      name: 'preview',
      testMatch: PREVIEW_SPECS,
      use: { ...chromium, baseURL: `http://localhost:${BUILD_PORT}` },
    },
  ],
  webServer: [
    ...(onDevServer ? [webServer(`npx vite --port ${E2E_PORT} --strictPort`, E2E_PORT)] : []),
    webServer(buildAndPreview(BUILD_PORT), BUILD_PORT),
  ],
});
