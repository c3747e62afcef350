/**
 * The service worker of the production build (pwa.config.ts): registered here, and the user is
 * told when a new version has been deployed (Reload applies it) and when the app works offline.
 * The dev server has none: the import is skipped there.
 */
import { showNotice } from '../shared/notices-store';

export function installServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  void import('virtual:pwa-register').then(({ registerSW }) => {
    const update = registerSW({
      onNeedRefresh() {
        showNotice({
          id: 'update',
          text: 'A new version of this app has been deployed.',
          action: { label: 'Reload', run: () => void update(true) },
        });
      },
      onOfflineReady() {
        showNotice({
          id: 'offline-ready',
          text: 'This app now opens without a network; models you have used stay in the cache.',
        });
      },
    });
  });
}
