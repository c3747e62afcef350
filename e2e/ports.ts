/**
 * The e2e servers' ports and build folder, derived from E2E_PORT so that two checkouts (or two
 * people) can run the suite side by side: the production build's preview on E2E_PORT (with
 * E2E_DEV=1: the dev server there and the build on E2E_PORT + 10), and the update spec's own
 * server on E2E_PORT + 20.
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 5199);
export const PREVIEW_PORT = E2E_PORT + 10;
export const UPDATE_PORT = E2E_PORT + 20;
/** Where the production build with the harness goes (vite build --outDir). */
export const E2E_DIST = process.env.E2E_DIST ?? 'dist-e2e';
