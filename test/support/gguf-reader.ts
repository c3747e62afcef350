/**
 * Reads a GGUF with @huggingface/gguf (a maintained, independent parser) for the header, metadata
 * and tensor infos, then takes each tensor's bytes from where that parser says they are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf, type GGUFTypedMetadata } from '@huggingface/gguf';

export interface GgufTensor {
  /** ggml ne: ne[0] is the contiguous dimension. */
  ne: number[];
  /** ggml type: 0 = F32, 1 = F16. */
  type: number;
  /** Byte offset inside the data section. */
  offset: number;
  bytes: Uint8Array;
  values: Float32Array;
}

export interface ParsedGguf {
  version: number;
  metadata: Record<string, { value: unknown; type: number }>;
  tensors: Map<string, GgufTensor>;
  /** Tensor names in file order. */
  order: string[];
  dataOffset: number;
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export async function parseGguf(bytes: Uint8Array): Promise<ParsedGguf> {
  const dir = mkdtempSync(join(tmpdir(), 't2l-gguf-'));
  const file = join(dir, 'adapter.gguf');
  writeFileSync(file, bytes);
  try {
    const r = await gguf(file, { allowLocalFile: true, typedMetadata: true });
    const typed = r.typedMetadata as GGUFTypedMetadata;
    const metadata: ParsedGguf['metadata'] = {};
    for (const [k, v] of Object.entries(typed)) {
      if (k === 'version' || k === 'tensor_count' || k === 'kv_count') continue;
      metadata[k] = { value: v.value, type: v.type };
    }
    const dataOffset = Number(r.tensorDataOffset);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tensors = new Map<string, GgufTensor>();
    for (const t of r.tensorInfos) {
      const ne = t.shape.map(Number);
      const n = ne.reduce((a, b) => a * b, 1);
      const size = t.dtype === 0 ? 4 : t.dtype === 1 ? 2 : NaN;
      const start = dataOffset + Number(t.offset);
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        values[i] =
          t.dtype === 0
            ? view.getFloat32(start + 4 * i, true)
            : f16(view.getUint16(start + 2 * i, true));
      }
      tensors.set(t.name, {
        ne,
        type: t.dtype,
        offset: Number(t.offset),
        bytes: bytes.subarray(start, start + n * size),
        values,
      });
    }
    return {
      version: Number(typed.version.value),
      metadata,
      tensors,
      order: r.tensorInfos.map((t) => t.name),
      dataOffset,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
