/**
 * A deliberately separate safetensors parser (DataView + JSON.parse) so tests of what we write do
 * not trust our own reader. It checks the layout rules it relies on and reads F32/F16/BF16. The
 * header is read as strictly as serde_json reads it (see strict-text.ts).
 */
import { strictJson } from './strict-text';

export interface ParsedTensor {
  dtype: string;
  shape: number[];
  values: Float32Array;
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function parseSafetensorsIndependently(bytes: Uint8Array): {
  tensors: Map<string, ParsedTensor>;
  metadata: Record<string, string> | undefined;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error('header length beyond the file');
  // Strict, like the Rust reader PEFT and vLLM use: valid UTF-8, no lone surrogate escapes.
  const header = strictJson(bytes.subarray(8, 8 + n), 'safetensors header') as Record<
    string,
    unknown
  >;
  const base = 8 + n;
  const tensors = new Map<string, ParsedTensor>();
  let metadata: Record<string, string> | undefined;
  const spans: Array<[number, number]> = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = info as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    const [b, e] = data_offsets;
    spans.push([b, e]);
    const count = shape.reduce((a, c) => a * c, 1);
    const size = dtype === 'F32' ? 4 : 2;
    if (e - b !== count * size)
      throw new Error(`${name}: ${e - b} bytes for ${count} ${dtype} values`);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = base + b + i * size;
      if (dtype === 'F32') values[i] = view.getFloat32(at, true);
      else if (dtype === 'F16') values[i] = f16(view.getUint16(at, true));
      else if (dtype === 'BF16') {
        const tmp = new DataView(new ArrayBuffer(4));
        tmp.setUint32(0, view.getUint16(at, true) << 16, true);
        values[i] = tmp.getFloat32(0, true);
      } else throw new Error(`${name}: unexpected dtype ${dtype}`);
    }
    tensors.set(name, { dtype, shape, values });
  }
  spans.sort((x, y) => x[0] - y[0]);
  let end = 0;
  for (const [b, e] of spans) {
    if (b !== end) throw new Error('tensor data is not contiguous');
    end = e;
  }
  if (base + end !== bytes.length) throw new Error('trailing bytes after the tensor data');
  return { tensors, metadata };
}
