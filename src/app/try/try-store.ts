/** The Try panel (Generate view): the chosen base, the prompt and settings, and the last run. */
import { create } from 'zustand';
import type { BaseChoice } from '../shared/llm/base-models';
import type { ShownError } from '../shared/error-hints';
import type { FitEstimate } from '../shared/llm/llm-fit';
import type { FileProgress } from '../shared/run-store';
import type {
  CompleteResult,
  LlmBackendReport,
  LlmModelInfo,
  SamplingSettings,
} from '../worker/llm-protocol';

export const DEFAULT_SAMPLING: SamplingSettings = {
  temperature: 0.7,
  topK: 40,
  topP: 0.9,
  seed: 1,
};

export interface TryState {
  open: boolean;
  /** Selected base: a BaseChoice id (catalog URL, own URL or file). */
  baseId: string | null;
  /** Bases the user added in this page (files cannot be kept across reloads). */
  ownBases: BaseChoice[];
  ownInput: string;
  system: string;
  prompt: string;
  /** Adapter scale: 0 = base, 1 = as generated, up to 2. */
  scale: number;
  maxTokens: number;
  /** null: greedy. */
  sampling: SamplingSettings | null;
  status: 'idle' | 'loading' | 'running' | 'done' | 'stopped' | 'error' | 'refused';
  stage: string;
  file: FileProgress | null;
  fit: FitEstimate | null;
  model: LlmModelInfo | null;
  backend: LlmBackendReport | null;
  baseLoads: number;
  output: string;
  result: CompleteResult | null;
  error: ShownError | null;
}

export const useTry = create<TryState>()(() => ({
  open: false,
  baseId: null,
  ownBases: [],
  ownInput: '',
  system: '',
  prompt: 'Tell me a story about the sky.',
  scale: 1,
  maxTokens: 32,
  sampling: null,
  status: 'idle',
  stage: '',
  file: null,
  fit: null,
  model: null,
  backend: null,
  baseLoads: 0,
  output: '',
  result: null,
  error: null,
}));
