/**
 * The installable app (issue #14): web app manifest and a Workbox service worker through
 * vite-plugin-pwa, in the production build only (the dev server and its e2e run without one).
 *
 * - Precache: the app shell (HTML, JS, CSS, icons, manifest) and onnxruntime-web's runtime files
 *   under ort/ (large: the limit is raised for them), all versioned by content hash, so a new
 *   deployment replaces exactly what changed.
 * - models/catalog.json is part of the build, so it is precached with it (a new catalog comes
 *   with a new deployment, and with it the update notice).
 * - Models themselves (models/demo/, the Hub) are not the service worker's: the app's own
 *   verified cache ('t2l-files-v1') keeps them, and Range requests for resumed downloads pass
 *   through untouched.
 * - Updates: registerType 'prompt'; the page shows "a new version is available · Reload"
 *   (src/app/shell/pwa.ts).
 * - Cross-origin isolation: precached responses keep the headers they were fetched with
 *   (COOP/COEP from the host), so a page served offline is still isolated.
 */
import { VitePWA } from 'vite-plugin-pwa';

export function pwa() {
  return VitePWA({
    registerType: 'prompt',
    injectRegister: false,
    devOptions: { enabled: false },
    // The glob below already lists the icons.
    includeManifestIcons: false,
    manifest: {
      name: 'Text-to-LoRA',
      short_name: 'T2L',
      description:
        'Describe a task, get a LoRA adapter: Text-to-LoRA hypernetworks run in your browser.',
      theme_color: '#4f46e5',
      background_color: '#09090b',
      display: 'standalone',
      start_url: '.',
      scope: '.',
      icons: [
        { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
        { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
      ],
    },
    workbox: {
      globPatterns: ['**/*.{js,mjs,css,html,svg,png,webmanifest,wasm}', 'models/catalog.json'],
      // The e2e harness and the models are not part of the app shell.
      globIgnores: ['e2e/**', 'models/demo/**'],
      // onnxruntime-web's wasm builds are 14 and 27 MB.
      maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/^\/models\//, /^\/ort\//, /^\/e2e\//, /^\/v2\//],
      cleanupOutdatedCaches: true,
    },
  });
}
