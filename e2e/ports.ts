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
/**
 * The "next deployment" app-update.spec.ts switches to: the same sources built with another
 * version stamp. `npm test` (scripts/test-all.ts) builds it beside the other checks and sets
 * E2E_PREBUILT; without that the spec builds it itself.
 */
export const E2E_NEXT_DIST = process.env.E2E_NEXT_DIST ?? 'dist-e2e-next';
/** The next deployment's version, from package.json's. */
export const nextVersion = (version: string): string => `${version}-next`;
/** Set by `npm test`: E2E_DIST and E2E_NEXT_DIST were built for this run. */
export const E2E_PREBUILT = Boolean(process.env.E2E_PREBUILT);
