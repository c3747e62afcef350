/** The list of models the picker shows and the one selected: catalog + user URLs + local folder. */
import { LOCAL_ID, useCatalog, type CatalogState } from '../stores/catalog';
import { useDraft } from '../stores/draft';
import { useSettings } from '../stores/settings';
import { entryFromInput, type CatalogEntry } from './catalog';
import type { LocalFolder } from './local-folder';

export function localEntry(local: LocalFolder): CatalogEntry {
  const size = Object.values(local.files).reduce((n, f) => n + f.size, 0);
  return {
    id: LOCAL_ID,
    name: local.label,
    baseModel: 'read from the folder',
    description: `${Object.keys(local.files).length} files from your disk; read in this browser, never uploaded.`,
    source: { kind: 'auto', url: '' },
    size,
  };
}

export function allEntries(catalog: CatalogState, userModels: CatalogEntry[]): CatalogEntry[] {
  return [
    ...catalog.catalog.models,
    ...userModels,
    ...(catalog.local ? [localEntry(catalog.local)] : []),
  ];
}

/** The selected entry, or the first one when the saved choice is gone (e.g. a local folder). */
export function selectedEntry(
  entries: CatalogEntry[],
  modelId: string | null,
): CatalogEntry | undefined {
  return entries.find((e) => e.id === modelId) ?? entries[0];
}

export function selectModel(id: string): void {
  useDraft.getState().setModelId(id);
}

export function openLocalFolder(folder: LocalFolder): void {
  if (Object.keys(folder.files).length === 0) return;
  useCatalog.setState({ local: folder });
  selectModel(LOCAL_ID);
}

/** Adds a model location typed by the user; throws with a message to show when it is not one. */
export function addModelLocation(input: string): void {
  const entry = entryFromInput(input);
  useSettings.getState().addUserModel(entry);
  selectModel(entry.id);
}

export function removeUserModel(id: string): void {
  useSettings.getState().removeUserModel(id);
}
