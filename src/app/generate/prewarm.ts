/**
 * Gets the selected model ready before Generate is pressed: when the page opens and whenever the
 * model, backend or precisions change, the worker compiles onnxruntime-web's wasm, opens the
 * hypernetwork's session and loads its text encoder (the load stage of a generation) from the
 * browser cache only, while the user types. A Generate that comes during it waits for it in the
 * worker's queue and reuses what it opened; nothing is downloaded and no other host is contacted.
 */
import { useCapabilities } from '../shared/capabilities-store';
import { LOCAL_ID, useCatalog } from '../shared/catalog-store';
import { draftOptionsChanged, useDraft } from '../shared/draft-store';
import { useSettings } from '../shared/settings-store';
import type { PrepareRequest, PrepareResult } from '../worker/protocol';
import { encoderTable, hubAccess, knownFiles, toModelSource } from '../shared/catalog';
import { resolvePrecision } from '../shared/precision-choice';
import { currentSelection } from '../shared/selection';
import { workerClient } from '../shared/worker-client';

/** What the current selection would prepare; null when there is nothing (or nothing local) to. */
export function prepareRequest(): PrepareRequest | null {
  const draft = useDraft.getState();
  const settings = useSettings.getState();
  const catalog = useCatalog.getState();
  const caps = useCapabilities.getState().caps;
  if (!catalog.catalog || !caps) return null;
  const { entry, choice } = currentSelection(draft, catalog, settings, caps);
  if (!entry || entry.id === LOCAL_ID || !choice?.ok || choice.backends[0] === 'remote') {
    return null;
  }
  return {
    model: toModelSource(entry),
    encoders: encoderTable(catalog.catalog),
    known: knownFiles(catalog.catalog, entry),
    backends: choice.backends,
    precision: resolvePrecision(draft.precision, choice.backends),
    encoderDtype: draft.encoderDtype,
    ...(entry.encoder ? { encoderHint: entry.encoder } : {}),
    ...hubAccess(settings),
  };
}

let lastKey: string | null = null;
/** The latest preparation (tests wait on it). */
export let lastPrepared: Promise<PrepareResult | null> = Promise.resolve(null);

/** Prepares the current selection unless it is the one prepared last. */
export function prewarm(): void {
  const request = prepareRequest();
  if (!request) return;
  const key = JSON.stringify(request);
  if (key === lastKey) return;
  lastKey = key;
  // Never cancelled: a cancel the worker cannot honour at once replaces the worker, which would
  // throw away what it had ready. A later selection simply queues behind it.
  lastPrepared = workerClient()
    .call('prepare', request)
    .catch(() => null);
}

/** Prepares now and after every change of what a generation would load. */
export function startPrewarm(): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(timer);
    // Coalesces the burst of store updates at start-up and while settings are edited.
    timer = setTimeout(prewarm, 200);
  };
  // The description is not part of what is prepared: typing must not keep pushing the pre-warm
  // back (each key would restart the 200 ms wait, so a model picked just before typing would be
  // prepared only once the typing paused).
  useDraft.subscribe((next, prev) => {
    if (draftOptionsChanged(next, prev)) soon();
  });
  for (const store of [useSettings, useCatalog, useCapabilities] as const) {
    (store.subscribe as (listener: () => void) => () => void)(soon);
  }
  soon();
}
