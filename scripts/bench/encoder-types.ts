import type { Stats } from './types';

/** The hypernetwork the whole-pipeline rows run: Mistral-7B T2L-L. */
export const PIPELINE_SHAPE = 'mistral-L';

/** The real-size text encoder at one dtype on one runtime and backend. */
export interface EncoderCaseResult {
  runtime: 'node' | 'chromium';
  backend: 'cpu' | 'wasm' | 'webgpu';
  dtype: string;
  /** createTextEncoder: tokenizer and ONNX session (files from disk or the local dev server). */
  sessionMs: number;
  /** By description length in tokens ([CLS] and [SEP] included). */
  encode: Record<number, Stats & { firstMs: number }>;
  memory: Record<string, number>;
  loadAverage?: [number, number];
  error?: string;
}

/** Encode + hypernetwork + PEFT safetensors, one description at a time, warm sessions. */
export interface PipelineCaseResult {
  runtime: 'node' | 'chromium';
  backend: 'cpu' | 'wasm' | 'webgpu';
  encoderDtype: string;
  precision: string;
  tokens: number;
  encoderSessionMs: number;
  /** Reading and converting the Mistral-L checkpoint (Chromium: fetch included). */
  convertMs: number;
  t2lSessionMs: number;
  encode: Stats;
  generate: Stats;
  pack: Stats;
  total: Stats;
  safetensorsMiB: number;
  memory: Record<string, number>;
  loadAverage?: [number, number];
  error?: string;
}
