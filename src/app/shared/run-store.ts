/** The current generation: stage, downloads in flight, and then its result or error. */
import { create } from 'zustand';
import type { ShownError } from './error-hints';
import type { FileState, GenerateResult, Stage } from '../worker/protocol';

export interface FileProgress {
  url: string;
  name: string;
  state: FileState;
  loaded: number;
  total: number | null;
  bytesPerSecond: number;
  note?: string;
}

export interface RunResult extends GenerateResult {
  id: number;
  modelName: string;
  /** The Hub revision the checkpoint was fetched at, when the catalog pins one. */
  revision?: string;
  /** The Hub revision of the text encoder, when the catalog pins one. */
  encoderRevision?: string;
  /** The Hub endpoint the checkpoint or the encoder came from, when either came from the Hub. */
  hubEndpoint?: string;
  description: string;
  dtype: string;
  finishedAt: number;
  totalMs: number;
}

export interface RunState {
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  stage: Stage | null;
  stageDetail: string;
  startedAt: number;
  files: FileProgress[];
  result: RunResult | null;
  error: ShownError | null;
}

export const useRun = create<RunState>()(() => ({
  status: 'idle',
  stage: null,
  stageDetail: '',
  startedAt: 0,
  files: [],
  result: null,
  error: null,
}));

/** Adds or updates one file's progress, keeping first-seen order. */
export function upsertFile(files: FileProgress[], p: FileProgress): FileProgress[] {
  const i = files.findIndex((f) => f.url === p.url);
  if (i < 0) return [...files, p];
  const next = files.slice();
  next[i] = p;
  return next;
}
