/**
 * Before llama.cpp loads anything: the base GGUF's header against every adapter's (architecture,
 * layer count, q/v shapes; core/llm/base-check.ts), so a mismatch, a truncated file or a file that
 * is not GGUF is a clear error naming both sides rather than a native failure or wrong output.
 */
import { T2LError } from '../../core/errors';
import {
  adapterFactsFromGguf,
  baseModelFacts,
  checkBaseForAdapter,
} from '../../core/llm/base-check';
import {
  GgufPrefixTooShortError,
  readGgufHeader,
  type GgufHeader,
} from '../../core/llm/gguf-header';
import type { EngineAdapter, LoadedBase } from './llm-engine';
import type { LlmModelInfo } from './llm-protocol';

/** First read of a base's header; big vocabularies (Gemma's 256k tokens) need a few MB more. */
const FIRST_READ = 1 << 20;
/** Headers larger than this are refused rather than read (no real model comes close). */
const MAX_HEADER = 256 << 20;

/** Reads a GGUF header from the start of a Blob, reading more only as the parser asks. */
export async function readBlobHeader(blob: Blob, source: string): Promise<GgufHeader> {
  let size = Math.min(blob.size, FIRST_READ);
  for (;;) {
    const bytes = new Uint8Array(await blob.slice(0, size).arrayBuffer());
    try {
      return readGgufHeader(bytes, { source, fileSize: blob.size });
    } catch (e) {
      if (!(e instanceof GgufPrefixTooShortError)) throw e;
      if (e.needBytes > MAX_HEADER) {
        throw new T2LError(
          'bad-input',
          `${source}: its GGUF header is over ${MAX_HEADER >> 20} MB, which no model needs`,
        );
      }
      size = Math.min(blob.size, Math.max(e.needBytes, size * 2));
    }
  }
}

/**
 * Checks `base` against `adapters` (each adapter's own GGUF header gives its architecture, layers
 * and shapes); returns what the chat template needs from the base's header.
 */
export async function checkBaseAgainstAdapters(
  base: LoadedBase,
  adapters: EngineAdapter[],
): Promise<Partial<LlmModelInfo>> {
  const source = `base model ${base.name}`;
  const header = await readBlobHeader(base.blob, source);
  const facts = baseModelFacts(header, source);
  for (const a of adapters) {
    const adapterSource = `adapter “${a.label}”`;
    const adapterHeader = readGgufHeader(a.bytes, { source: adapterSource });
    checkBaseForAdapter(header, adapterFactsFromGguf(adapterHeader, adapterSource), source);
  }
  return {
    bosToken: facts.bosToken ?? '',
    eosToken: facts.eosToken ?? '',
    addBos: facts.addBos,
  };
}
