import type { Stats } from './types';

/** One greedy decode: time to first token (prompt evaluation included), then the decode rate. */
export interface LlmRun {
  ttftMs: number;
  tokens: number;
  /** Over the tokens after the first. */
  tokensPerSecond: number;
  text: string;
}

/** One configuration (base alone, or base with the adapter) measured over warm runs. */
export interface LlmMeasure {
  /** Creating the context (and, with an adapter, applying it). */
  contextMs: number;
  /** The first run, untimed in the statistics. */
  coldTtftMs: number;
  ttftMs: Stats;
  tokensPerSecond: Stats;
  tokens: number;
  text: string;
}

/** The LLM benchmark of one runtime: the demo base GGUF, alone and with a demo adapter. */
export interface LlmCaseResult {
  runtime: 'node' | 'chromium';
  /** What ran: node-llama-cpp or wllama, with the llama.cpp build. */
  engine: string;
  /** The backend that actually ran (wllama does not use WebGPU on a software adapter). */
  backend: string;
  threads: number;
  modelMiB: number;
  /** Loading the base GGUF (Chromium: into the worker, from bytes already in the page). */
  loadMs: number;
  base: LlmMeasure;
  adapter: LlmMeasure;
  memory: Record<string, number | null>;
  error?: string;
}
