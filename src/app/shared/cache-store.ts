/** What the browser cache holds, as last listed, and how much storage the origin may use. */
import { create } from 'zustand';
import type { CachedFileInfo } from './file-cache';

export interface CacheState {
  entries: CachedFileInfo[];
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
  loading: boolean;
}

export const useCache = create<CacheState>()(() => ({
  entries: [],
  usage: null,
  quota: null,
  persisted: null,
  loading: false,
}));
