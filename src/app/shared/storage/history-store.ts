/** The history list as last read from IndexedDB, the search, and adapters that could not be stored. */
import { create } from 'zustand';
import type { HistoryEntry, NewHistoryEntry } from './history-db';

/** An adapter the browser would not store: kept in memory, listed with a warning, downloadable. */
export interface UnsavedAdapter {
  key: string;
  entry: NewHistoryEntry;
  safetensors: Uint8Array;
  zip: Uint8Array;
  gguf?: Uint8Array | null;
  reason: string;
}

export interface HistoryState {
  status: 'loading' | 'ready' | 'error';
  entries: HistoryEntry[];
  unsaved: UnsavedAdapter[];
  query: string;
  /** A problem to show above the list (quota, IndexedDB unavailable). */
  warning: string | null;
  usage: { usage: number; quota: number } | null;
}

export const useHistory = create<HistoryState>()(() => ({
  status: 'loading',
  entries: [],
  unsaved: [],
  query: '',
  warning: null,
  usage: null,
}));
