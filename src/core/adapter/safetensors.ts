/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`,
 * then the tensor bytes, offsets relative to the end of the header.
 */
import { T2LError, shapeString } from '../errors';
import { parseSafetensorsHeader, READABLE_DTYPES } from './safetensors-header';
import { numel, type Tensor } from '../tensor';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './float16';

export type WriteDType = 'float32' | 'float16' | 'bfloat16';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor & { dtype: string }>;
  metadata: Record<string, string>;
}

const CODES: Record<WriteDType, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * Serializes tensors in the given order into one buffer; float32 in, stored as `dtype`. Metadata
 * keys and values and tensor names are made well-formed first (a lone UTF-16 surrogate becomes
 * U+FFFD): JSON.stringify would write it as a `\uD800` escape, which the Rust reader behind PEFT
 * and vLLM (serde_json) refuses, making the whole file unreadable.
 */
export function writeSafetensors(
  tensors: NamedTensor[],
  options: { dtype?: WriteDType; metadata?: Record<string, string> } = {},
): Uint8Array {
  const dtype = options.dtype ?? 'float32';
  const size = dtype === 'float32' ? 4 : 2;
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.metadata)) {
      if (typeof v !== 'string') {
        throw new T2LError('bad-input', `safetensors metadata ${k}: values must be strings`);
      }
      metadata[k.toWellFormed()] = v.toWellFormed();
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of tensors) {
    const name = t.name.toWellFormed();
    if (name === '__metadata__' || Object.hasOwn(header, name)) {
      throw new T2LError('bad-input', `safetensors: tensor name ${name} is reserved or repeated`);
    }
    if (!isShape(t.shape) || numel(t.shape) !== t.data.length) {
      throw new T2LError(
        'bad-shape',
        `safetensors: tensor ${t.name} has shape ${shapeString(t.shape)} (${numel(t.shape)} values) but ${t.data.length} values`,
      );
    }
    const bytes = t.data.length * size;
    header[name] = {
      dtype: CODES[dtype],
      shape: t.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (still valid JSON) so the tensor data starts 8-byte aligned.
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const dataStart = 8 + headerLength;
  const out = new Uint8Array(dataStart + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, dataStart);

  let at = dataStart;
  for (const t of tensors) {
    const n = t.data.length;
    if (LITTLE_ENDIAN) {
      // Offsets are multiples of the element size from an 8-aligned start, so views line up.
      if (dtype === 'float32') new Float32Array(out.buffer, at, n).set(t.data);
      else if (dtype === 'float16') float32ToFloat16(t.data, new Uint16Array(out.buffer, at, n));
      else float32ToBfloat16(t.data, new Uint16Array(out.buffer, at, n));
    } else if (dtype === 'float32') {
      for (let i = 0; i < n; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    } else {
      const bits = dtype === 'float16' ? float32ToFloat16(t.data) : float32ToBfloat16(t.data);
      for (let i = 0; i < n; i++) view.setUint16(at + 2 * i, bits[i]!, true);
    }
    at += n * size;
  }
  return out;
}

function widen(bytes: Uint8Array, code: string, count: number): Float32Array {
  // Copy to a fresh, aligned buffer (the result must not alias the file anyway). Not slice():
  // on a Node Buffer that returns a view into a shared pool.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (LITTLE_ENDIAN) {
    if (code === 'F32') return new Float32Array(copy.buffer, 0, count);
    if (code === 'F64') return Float32Array.from(new Float64Array(copy.buffer, 0, count));
    const bits = new Uint16Array(copy.buffer, 0, count);
    return code === 'F16' ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
  }
  const view = new DataView(copy.buffer);
  if (code === 'F32')
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  if (code === 'F64')
    return Float32Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
  const bits = Uint16Array.from({ length: count }, (_, i) => view.getUint16(2 * i, true));
  return code === 'F16' ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
}

/**
 * Parses and strictly validates a safetensors file; every tensor is widened to float32. The
 * header is bounded against the file size before it is decoded, then parsed once with a schema
 * (parseSafetensorsHeader), so nothing is allocated from a size the file does not back.
 */
export function readSafetensors(bytes: Uint8Array, label = 'file.safetensors'): SafetensorsFile {
  const { entries, metadata, dataStart } = parseSafetensorsHeader(bytes, label);
  const tensors = new Map<string, Tensor & { dtype: string }>();
  for (const e of entries) {
    const chunk = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, {
      shape: e.shape,
      data: widen(chunk, e.dtype, numel(e.shape)),
      sourceDType: READABLE_DTYPES[e.dtype].dtype,
      dtype: e.dtype,
    });
  }
  return { tensors, metadata };
}
