/** Start-up: the catalog, what the browser can run, and what is cached, fetched in parallel. */
import { detectCapabilities } from '../shared/capabilities';
import { useCatalog } from '../shared/catalog-store';
import { refreshCache } from '../shared/cache-service';
import { parseCatalog } from '../shared/catalog';
import { startPrewarm } from '../generate/prewarm';
import { reportInterruptedRun } from '../generate/interrupted';
import { installServiceWorker } from './pwa';
import { installNetworkWatch } from '../shared/network-store';

export async function loadCatalog(): Promise<void> {
  useCatalog.setState({ status: 'loading', error: null });
  try {
    const res = await fetch(`${import.meta.env.BASE_URL}models/catalog.json`, {
      cache: 'no-cache',
    });
    if (!res.ok) throw new Error(`models/catalog.json: HTTP ${res.status}`);
    useCatalog.setState({ status: 'ready', catalog: parseCatalog(await res.json()) });
  } catch (e) {
    useCatalog.setState({ status: 'error', error: e instanceof Error ? e.message : String(e) });
  }
}

export function initApp(): void {
  reportInterruptedRun();
  installNetworkWatch();
  installServiceWorker();
  void loadCatalog();
  void detectCapabilities();
  void refreshCache({ sweep: true });
  startPrewarm();
}
