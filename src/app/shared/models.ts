/** The list of models the picker shows and the one selected: catalog + user URLs + local folder. */
import { T2LError } from '../../core/errors';
import { folderProblem } from '../../core/package/folder-check';
import { LOCAL_ID, useCatalog, type CatalogState } from './catalog-store';
import { useRun } from './run-store';
import { explainError } from './error-hints';
import { useDraft } from './draft-store';
import { useSettings } from './settings-store';
import { entryFromInput, sourceUrl, type CatalogEntry } from './catalog';
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

/**
 * Opens a picked or dropped folder as the local model, checking its file names at once: the
 * problem (if any) shows by the pickers, and a new pick replaces the old folder's error.
 */
export function openLocalFolder(folder: LocalFolder): void {
  const names = Object.keys(folder.files);
  const problem =
    names.length === 0
      ? new T2LError('missing-file', `${folder.label}: the folder is empty`)
      : folderProblem(folder.label, names);
  useCatalog.setState({
    local: names.length > 0 ? folder : useCatalog.getState().local,
    localProblem: problem ? explainError({ code: problem.code, message: problem.message }) : null,
  });
  if (useRun.getState().status === 'error') useRun.setState({ status: 'idle', error: null });
  if (names.length > 0) selectModel(LOCAL_ID);
}

/**
 * Adds a model location typed by the user and selects it; returns its name for the page to
 * confirm. Throws with a message to show when it is not a location, or is already listed.
 */
export function addModelLocation(input: string): string {
  const entry = entryFromInput(input);
  const same = allEntries(useCatalog.getState(), useSettings.getState().userModels).find(
    (e) => e.id !== LOCAL_ID && sourceUrl(e.source) === sourceUrl(entry.source),
  );
  if (same) {
    selectModel(same.id);
    throw new Error(`Already listed as “${same.name}”; it is selected now.`);
  }
  useSettings.getState().addUserModel(entry);
  selectModel(entry.id);
  return entry.name;
}

export function removeUserModel(id: string): void {
  useSettings.getState().removeUserModel(id);
}
