/** The current selection as the stores hold it: which model, and which backend would run it. */
import type { Capabilities } from '../worker/protocol';
import type { CatalogState } from './catalog-store';
import type { DraftState } from './draft-store';
import type { SettingsState } from './settings-store';
import { chooseBackends, type BackendChoice } from './backend-choice';
import type { CatalogEntry } from './catalog';
import { allEntries, selectedEntry } from './models';
import { remoteUrlProblem } from './remote-url';

export interface Selection {
  entry: CatalogEntry | undefined;
  /** Null until the worker has said what the browser can run. */
  choice: BackendChoice | null;
}

export function currentSelection(
  draft: Pick<DraftState, 'modelId' | 'backend'>,
  catalog: CatalogState,
  settings: Pick<SettingsState, 'userModels' | 'remoteUrl'>,
  caps: Capabilities | null,
): Selection {
  const entry = selectedEntry(allEntries(catalog, settings.userModels), draft.modelId);
  if (!caps) return { entry, choice: null };
  const memory = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory;
  const choice = chooseBackends(draft.backend, caps, {
    remoteConfigured: Boolean(settings.remoteUrl) && !remoteUrlProblem(settings.remoteUrl),
    ...(entry?.remoteFirst ? { remoteFirst: true } : {}),
    ...(entry?.size ? { modelBytes: entry.size } : {}),
    ...(memory ? { deviceMemoryGb: memory } : {}),
  });
  return { entry, choice };
}
