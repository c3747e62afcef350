/** Listing and clearing the browser cache for the page (the worker reads and writes it). */
import { useCache } from './cache-store';
import { clearCache, deleteCached, listCached, sweepCache } from './file-cache';
import { workerClient } from './worker-client';

/**
 * Lists the cache for the Cache view. With `sweep` (start-up, the view's Refresh, after a Clear)
 * it first removes the stored bodies no entry names (left by an interrupted write or a Clear while
 * another tab read one), so the view's usage counts only what it lists; not after each generation,
 * whose result is being shown then.
 */
export async function refreshCache({ sweep = false } = {}): Promise<void> {
  useCache.setState({ loading: true });
  try {
    if (sweep) await sweepCache().catch(() => 0);
    const entries = await listCached();
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    const persisted = await navigator.storage?.persisted?.().catch(() => null);
    useCache.setState({
      entries,
      usage: estimate?.usage ?? null,
      quota: estimate?.quota ?? null,
      persisted: persisted ?? null,
    });
  } finally {
    useCache.setState({ loading: false });
  }
}

/** Open sessions are dropped too, so the next generation really starts from the network. */
async function releaseSessions(): Promise<void> {
  await workerClient()
    .call('release', null)
    .catch(() => undefined);
}

export async function clearAll(): Promise<void> {
  await releaseSessions();
  await clearCache();
  await refreshCache({ sweep: true });
}

export async function clearGroup(group: string): Promise<void> {
  await releaseSessions();
  const urls = useCache
    .getState()
    .entries.filter((e) => e.group === group)
    .map((e) => e.url);
  await deleteCached(urls);
  await refreshCache();
}

/** Asks the browser not to evict the cache under storage pressure (it may say no). */
export async function askPersistentStorage(): Promise<void> {
  if (useCache.getState().persisted) return;
  const granted = await navigator.storage?.persist?.().catch(() => false);
  useCache.setState({ persisted: granted ?? null });
}
