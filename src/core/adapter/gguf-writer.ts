/**
 * A GGUF v3 file writer: metadata key/values and float tensors, laid out the way llama.cpp's
 * `gguf-py/gguf/gguf_writer.py` writes them and `ggml/src/gguf.cpp` reads them:
 *
 * - little-endian; magic `GGUF`, version 3 (u32), tensor count and KV count (u64);
 * - KV pairs: key (u64 length + UTF-8), value type (u32), value; strings are u64 length + UTF-8;
 *   arrays are element type (u32), count (u64), elements;
 * - tensor infos: name, n_dims (u32), ne[0..n_dims) (u64, ne0 = the contiguous dimension), ggml
 *   type (u32: 0 = F32, 1 = F16), offset (u64) from the start of the data section;
 * - the data section starts at the next multiple of `general.alignment` (32 when absent, which is
 *   what the converters leave it) and every tensor is padded to that alignment; the loader insists
 *   each offset equals the padded sum of the tensors before it.
 *
 * Used for GGUF LoRA adapters (gguf.ts) and for the demo base models (src/fixtures).
 */
import { T2LError } from '../errors';
import { float32ToFloat16 } from './float16';

export type GgufDType = 'float32' | 'float16';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;
/** llama.cpp's GGML_MAX_NAME: tensor names must be shorter. */
export const GGML_MAX_NAME = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** GGUF metadata value types (gguf.h `enum gguf_type`). */
export const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
/** ggml tensor types (ggml.h `enum ggml_type`). */
export const GGML_TYPE: Record<GgufDType, number> = { float32: 0, float16: 1 };

/** One metadata value, typed as GGUF stores it. */
export type GgufValue =
  | { type: 'string'; value: string }
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]' | 'i32[]'; value: ArrayLike<number> };

export type GgufKV = { key: string } & GgufValue;

export interface GgufTensorIn {
  name: string;
  /** ggml ne, innermost (contiguous) first: a PyTorch [out, in] weight is ne = [in, out]. */
  ne: readonly number[];
  /** Row-major values, ne[0] fastest. */
  data: Float32Array;
  /** Stored element type (default float32). */
  dtype?: GgufDType;
}

const SCALAR_TYPE = { u32: GGUF_TYPE.UINT32, i32: GGUF_TYPE.INT32, f32: GGUF_TYPE.FLOAT32 };

/**
 * Serializes metadata and tensors as one GGUF v3 file. Keys must be unique and non-empty; tensor
 * names unique and shorter than 64 bytes; each tensor's data must hold exactly prod(ne) values.
 * Throws T2LError('bad-input') otherwise.
 */
export function writeGguf(kvs: readonly GgufKV[], tensors: readonly GgufTensorIn[]): Uint8Array {
  const enc = new TextEncoder();
  const strings = new Map<string, Uint8Array>();
  const bytesOf = (s: string) => {
    let b = strings.get(s);
    if (b === undefined) strings.set(s, (b = enc.encode(s)));
    return b;
  };
  const keys = new Set<string>();
  for (const kv of kvs) {
    if (kv.key.length === 0 || keys.has(kv.key)) {
      throw new T2LError('bad-input', `GGUF: metadata key "${kv.key}" is empty or repeated`);
    }
    keys.add(kv.key);
  }
  const names = new Set<string>();
  for (const t of tensors) {
    if (bytesOf(t.name).length >= GGML_MAX_NAME || names.has(t.name)) {
      throw new T2LError(
        'bad-input',
        `GGUF: tensor name ${t.name} is repeated or too long for llama.cpp (${GGML_MAX_NAME - 1} bytes at most)`,
      );
    }
    names.add(t.name);
    const n = t.ne.reduce((a, b) => a * b, 1);
    if (t.ne.length === 0 || t.ne.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new T2LError('bad-input', `GGUF: tensor ${t.name} has bad dims [${t.ne.join(', ')}]`);
    }
    if (t.data.length !== n) {
      throw new T2LError(
        'bad-input',
        `GGUF: tensor ${t.name} has ${t.data.length} values, its dims [${t.ne.join(', ')}] need ${n}`,
      );
    }
  }

  const valueSize = (v: GgufValue): number => {
    switch (v.type) {
      case 'string':
        return 8 + bytesOf(v.value).length;
      case 'bool':
        return 1;
      case 'u32':
      case 'i32':
      case 'f32':
        return 4;
      case 'string[]':
        return 4 + 8 + v.value.reduce((s, x) => s + 8 + bytesOf(x).length, 0);
      case 'f32[]':
      case 'i32[]':
        return 4 + 8 + 4 * v.value.length;
    }
  };
  const pad = (n: number) => Math.ceil(n / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
  const elemSize = (t: GgufTensorIn) => ((t.dtype ?? 'float32') === 'float32' ? 4 : 2);

  let headerSize = 4 + 4 + 8 + 8;
  for (const kv of kvs) headerSize += 8 + bytesOf(kv.key).length + 4 + valueSize(kv);
  let dataSize = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    headerSize += 8 + bytesOf(t.name).length + 4 + 8 * t.ne.length + 4 + 8;
    offsets.push(dataSize);
    dataSize += pad(t.data.length * elemSize(t));
  }
  const dataStart = pad(headerSize);
  const out = new Uint8Array(dataStart + dataSize);
  const view = new DataView(out.buffer);
  let p = 0;
  const u32 = (v: number) => {
    view.setUint32(p, v, true);
    p += 4;
  };
  const i32 = (v: number) => {
    view.setInt32(p, v, true);
    p += 4;
  };
  const f32 = (v: number) => {
    view.setFloat32(p, v, true);
    p += 4;
  };
  const u64 = (v: number) => {
    view.setBigUint64(p, BigInt(v), true);
    p += 8;
  };
  const str = (s: string) => {
    const b = bytesOf(s);
    u64(b.length);
    out.set(b, p);
    p += b.length;
  };

  u32(GGUF_MAGIC);
  u32(GGUF_VERSION);
  u64(tensors.length);
  u64(kvs.length);
  for (const kv of kvs) {
    str(kv.key);
    switch (kv.type) {
      case 'string':
        u32(GGUF_TYPE.STRING);
        str(kv.value);
        break;
      case 'bool':
        u32(GGUF_TYPE.BOOL);
        out[p++] = kv.value ? 1 : 0;
        break;
      case 'u32':
      case 'i32':
      case 'f32':
        u32(SCALAR_TYPE[kv.type]);
        (kv.type === 'u32' ? u32 : kv.type === 'i32' ? i32 : f32)(kv.value);
        break;
      case 'string[]':
        u32(GGUF_TYPE.ARRAY);
        u32(GGUF_TYPE.STRING);
        u64(kv.value.length);
        for (const s of kv.value) str(s);
        break;
      case 'f32[]':
      case 'i32[]': {
        u32(GGUF_TYPE.ARRAY);
        u32(kv.type === 'f32[]' ? GGUF_TYPE.FLOAT32 : GGUF_TYPE.INT32);
        u64(kv.value.length);
        const put = kv.type === 'f32[]' ? f32 : i32;
        for (let i = 0; i < kv.value.length; i++) put(kv.value[i]!);
        break;
      }
    }
  }
  for (const [i, t] of tensors.entries()) {
    str(t.name);
    u32(t.ne.length);
    for (const d of t.ne) u64(d);
    u32(GGML_TYPE[t.dtype ?? 'float32']);
    u64(offsets[i]!);
  }
  if (p !== headerSize) throw new Error(`GGUF writer: header is ${p} bytes, planned ${headerSize}`);

  // Offsets are multiples of 32, so typed views on `out` are aligned; GGUF data is little-endian.
  for (const [i, t] of tensors.entries()) {
    const at = dataStart + offsets[i]!;
    const values = (t.dtype ?? 'float32') === 'float32' ? t.data : float32ToFloat16(t.data);
    if (LITTLE_ENDIAN) {
      if (values instanceof Float32Array) {
        new Float32Array(out.buffer, at, values.length).set(values);
      } else new Uint16Array(out.buffer, at, values.length).set(values);
    } else {
      for (let k = 0; k < values.length; k++) {
        if (values instanceof Float32Array) view.setFloat32(at + 4 * k, values[k]!, true);
        else view.setUint16(at + 2 * k, values[k]!, true);
      }
    }
  }
  return out;
}
