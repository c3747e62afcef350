/**
 * LLM outputs side by side: one prompt answered by the base model and by one or more adapters.
 * One panel per place that shows them: Compare's Outputs row ('compare') and each History entry
 * being tried (`history-<id>`). State only; shared/outputs/outputs.ts runs them.
 */
import { create } from 'zustand';
import type { SavedOutput } from '../storage/history-db';

export interface OutputCell {
  /** "Base model", or the column's / entry's label. */
  label: string;
  /** Adapter id in the LLM worker; null for the base model. */
  adapterId: string | null;
  status: 'waiting' | 'running' | 'done' | 'stopped' | 'skipped' | 'error';
  text: string;
  error?: string;
  ttftMs?: number;
  tokensPerSecond?: number;
  tokens?: number;
}

export interface OutputsPanel {
  prompt: string;
  system: string;
  maxTokens: number;
  running: boolean;
  /** What is happening now, e.g. "Loading the base model". */
  stage: string | null;
  /** Base download, while the base GGUF is fetched. */
  download: { loaded: number; total: number | null } | null;
  /** cells[0] is the base model, then one per adapter. */
  cells: OutputCell[];
  baseName: string | null;
  backend: string | null;
  /** The LLM worker's base loads in its life, as last reported (Compare's e2e checks it). */
  baseLoads: number | null;
  error: string | null;
  /** History panels: the runs kept with the entry, oldest first (null: not read yet). */
  saved: SavedOutput[] | null;
}

export const DEFAULT_MAX_TOKENS = 48;

export const emptyPanel = (): OutputsPanel => ({
  prompt: '',
  system: '',
  maxTokens: DEFAULT_MAX_TOKENS,
  running: false,
  stage: null,
  download: null,
  cells: [],
  baseName: null,
  backend: null,
  baseLoads: null,
  error: null,
  saved: null,
});

export interface OutputsState {
  panels: Record<string, OutputsPanel>;
}

export const useOutputs = create<OutputsState>()(() => ({ panels: {} }));
