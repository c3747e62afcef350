/** The models on offer: the catalog file, plus a local folder the user opened (memory only). */
import { create } from 'zustand';
import type { Catalog } from './catalog';
import type { ShownError } from './error-hints';
import type { LocalFolder } from './local-folder';

export interface CatalogState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  catalog: Catalog;
  /** A folder from the user's disk; files cannot survive a reload, so neither does this. */
  local: LocalFolder | null;
  /** What is wrong with that folder, found when it was picked (null: nothing found by name). */
  localProblem: ShownError | null;
}

export const LOCAL_ID = 'local-folder';

export const useCatalog = create<CatalogState>()(() => ({
  status: 'loading',
  error: null,
  catalog: { models: [], encoders: {} },
  local: null,
  localProblem: null,
}));
