/**
 * The version of this build, shown in the footer: package.json's version, or T2L_VERSION when the
 * build sets it (a deployment can stamp its own, e.g. `T2L_VERSION=$(git describe) vite build`).
 * vite.config.ts defines it; outside a Vite build (unit tests) it reads "dev".
 */
declare const __T2L_VERSION__: string | undefined;

export const APP_VERSION: string =
  typeof __T2L_VERSION__ === 'string' && __T2L_VERSION__ ? __T2L_VERSION__ : 'dev';
