/**
 * A bounded reader for the header of a GGUF file (a llama.cpp model or adapter): magic, version,
 * metadata key/values and tensor infos, without the tensor data. It works on a prefix of the file,
 * so the browser can read the first megabytes of a 1.7 GB model and check it before downloading it.
 *
 * Format: llama.cpp's `ggml/src/gguf.cpp` and `gguf-py/gguf/constants.py` (see also
 * core/adapter/gguf-writer.ts): little-endian; "GGUF", version (u32; 2 and 3 have this layout),
 * tensor count and KV count (u64); KV pairs (key string, value type u32, value); tensor infos (name,
 * n_dims u32, ne[n_dims] u64, ggml type u32, offset u64); data at the next multiple of
 * `general.alignment` (default 32). Strings are u64 length + UTF-8.
 *
 * Every count and length is checked against the bytes left before anything is allocated, so a
 * corrupt or hostile file fails with a T2LError instead of a huge allocation or a hang.
 */
import { T2LError } from '../errors';

/** A metadata value. Integers are numbers when they fit a double exactly, else bigint. */
export type GgufMetaValue = string | number | bigint | boolean | GgufMetaValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml ne, innermost (contiguous) first: a PyTorch [out, in] weight has ne = [in, out]. */
  ne: number[];
  /** ggml type (0 = F32, 1 = F16, 2 = Q4_0, 12 = Q4_K, …). */
  type: number;
  /** Byte offset inside the data section. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufMetaValue>;
  tensors: GgufTensorInfo[];
  /** Where the data section starts (the header's end, padded to `general.alignment`). */
  dataOffset: number;
  alignment: number;
}

export interface ReadGgufHeaderOptions {
  /** Name for messages (file name or URL). */
  source?: string;
  /**
   * The whole file's size, when `bytes` may be a prefix of it (without it, `bytes` is the file). A header that runs past `bytes`
   * then throws a GgufPrefixTooShortError (read more and retry) instead of "truncated"; tensors
   * whose data would end past `fileSize` mean a truncated file.
   */
  fileSize?: number;
  /**
   * Largest metadata array to keep (elements; default 2^22). Longer arrays are checked and skipped,
   * and read back as an empty array. Vocabularies of real models have up to ~256k entries.
   */
  maxArrayLength?: number;
}

/** The bytes given end inside the header, but the file goes on: read at least `needBytes`. */
export class GgufPrefixTooShortError extends T2LError {
  readonly needBytes: number;
  constructor(message: string, needBytes: number) {
    super('bad-input', message);
    this.name = 'GgufPrefixTooShortError';
    this.needBytes = needBytes;
  }
}

const MAGIC = 0x46554747; // "GGUF" as a little-endian u32
/** GGML_MAX_DIMS */
const MAX_DIMS = 4;
/** ggml type → [block size (elements), bytes per block] (ggml.c type_traits). */
const GGML_TYPE_SIZE: Record<number, [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  16: [256, 66], // IQ2_XXS
  17: [256, 74], // IQ2_XS
  18: [256, 98], // IQ3_XXS
  19: [256, 50], // IQ1_S
  20: [32, 18], // IQ4_NL
  21: [256, 110], // IQ3_S
  22: [256, 82], // IQ2_S
  23: [256, 136], // IQ4_XS
  24: [1, 1], // I8
  25: [1, 2], // I16
  26: [1, 4], // I32
  27: [1, 8], // I64
  28: [1, 8], // F64
  29: [256, 56], // IQ1_M
  30: [1, 2], // BF16
  34: [256, 54], // TQ1_0
  35: [256, 66], // TQ2_0
  39: [32, 17], // MXFP4
  40: [64, 36], // NVFP4
  41: [128, 18], // Q1_0
  42: [64, 18], // Q2_0
};

/** Bytes one tensor's data takes, or undefined for a ggml type this table does not know. */
export function ggmlTensorBytes(t: Pick<GgufTensorInfo, 'ne' | 'type'>): number | undefined {
  const size = GGML_TYPE_SIZE[t.type];
  if (size === undefined) return undefined;
  const n = t.ne.reduce((a, b) => a * b, 1);
  return Math.ceil(n / size[0]) * size[1];
}

// Smallest encodings, for bounding counts before allocating: a KV is key length (8) + type (4) +
// at least one value byte; a tensor info is name length (8) + n_dims (4) + type (4) + offset (8).
const MIN_KV_BYTES = 13;
const MIN_TENSOR_INFO_BYTES = 24;
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1 };
SCALAR_SIZE[10] = SCALAR_SIZE[11] = SCALAR_SIZE[12] = 8;
const STRING = 8;
const ARRAY = 9;

/**
 * Parses a GGUF header from `bytes` (the whole file or a prefix of it).
 *
 * Errors (T2LError 'bad-input'): not a GGUF file (names the first bytes found), an unsupported
 * version (1, or big-endian), a count or length larger than the bytes left, a bad value type,
 * tensor dims out of range; with `fileSize`, a tensor whose data ends past the file's end
 * ("truncated"). A prefix that ends inside the header throws GgufPrefixTooShortError when the file
 * is longer than the prefix, else a "truncated" error.
 */
export function readGgufHeader(bytes: Uint8Array, options: ReadGgufHeaderOptions = {}): GgufHeader {
  const src = options.source ?? 'file';
  const fileSize = options.fileSize ?? bytes.length;
  const maxArray = options.maxArrayLength ?? 1 << 22;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let p = 0;

  /** Fails when `n` more bytes are not there: a prefix too short, or a truncated file. */
  const need = (n: number, what: string) => {
    if (p + n <= bytes.length) return;
    if (p + n <= fileSize && bytes.length < fileSize) {
      throw new GgufPrefixTooShortError(
        `${src}: the first ${bytes.length} bytes end inside the GGUF header (${what}); read more of the file`,
        Math.min(fileSize, Math.max(p + n, 2 * bytes.length)),
      );
    }
    throw new T2LError(
      'bad-input',
      `${src}: truncated GGUF: ${what} needs ${n} bytes at offset ${p}, but the file ends at ${fileSize}`,
    );
  };
  const u32 = (what: string) => {
    need(4, what);
    const v = view.getUint32(p, true);
    p += 4;
    return v;
  };
  /** A u64 count or length: refuses what cannot be a safe integer (no real file has one). */
  const u64 = (what: string) => {
    need(8, what);
    const v = view.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new T2LError('bad-input', `${src}: GGUF ${what} is ${v}, which no file can hold`);
    }
    return Number(v);
  };
  const str = (what: string) => {
    const n = u64(`${what} length`);
    if (n > fileSize - p) {
      throw new T2LError(
        'bad-input',
        `${src}: truncated or corrupt GGUF: ${what} claims ${n} bytes, but only ${fileSize - p} are left in the file`,
      );
    }
    need(n, what);
    try {
      const s = decoder.decode(bytes.subarray(p, p + n));
      p += n;
      return s;
    } catch {
      throw new T2LError('bad-input', `${src}: GGUF ${what} at offset ${p} is not valid UTF-8`);
    }
  };
  const scalar = (type: number, what: string): GgufMetaValue => {
    const size = SCALAR_SIZE[type];
    if (size === undefined) {
      throw new T2LError('bad-input', `${src}: GGUF ${what} has unknown value type ${type}`);
    }
    need(size, what);
    let v: GgufMetaValue;
    switch (type) {
      case 0:
        v = view.getUint8(p);
        break;
      case 1:
        v = view.getInt8(p);
        break;
      case 2:
        v = view.getUint16(p, true);
        break;
      case 3:
        v = view.getInt16(p, true);
        break;
      case 4:
        v = view.getUint32(p, true);
        break;
      case 5:
        v = view.getInt32(p, true);
        break;
      case 6:
        v = view.getFloat32(p, true);
        break;
      case 7:
        v = view.getUint8(p) !== 0;
        break;
      case 10:
        v = safe(view.getBigUint64(p, true));
        break;
      case 11:
        v = safe(view.getBigInt64(p, true));
        break;
      default:
        v = view.getFloat64(p, true);
    }
    p += size;
    return v;
  };
  const value = (type: number, what: string): GgufMetaValue => {
    if (type === STRING) return str(what);
    if (type !== ARRAY) return scalar(type, what);
    const elemType = u32(`${what} element type`);
    const n = u64(`${what} length`);
    if (elemType === ARRAY) {
      throw new T2LError('bad-input', `${src}: GGUF ${what} is an array of arrays (unsupported)`);
    }
    const minSize = elemType === STRING ? 8 : SCALAR_SIZE[elemType];
    if (minSize === undefined) {
      throw new T2LError('bad-input', `${src}: GGUF ${what} has unknown element type ${elemType}`);
    }
    if (n * minSize > fileSize - p) {
      throw new T2LError(
        'bad-input',
        `${src}: truncated or corrupt GGUF: ${what} claims ${n} elements, more than the ${fileSize - p} bytes left hold`,
      );
    }
    if (n > maxArray) {
      // Skip without keeping: strings one by one (bounded above), scalars at once.
      if (elemType === STRING) for (let i = 0; i < n; i++) str(what);
      else {
        need(n * minSize, what);
        p += n * minSize;
      }
      return [];
    }
    const out: GgufMetaValue[] = new Array<GgufMetaValue>(n);
    for (let i = 0; i < n; i++) out[i] = value(elemType, what);
    return out;
  };

  if (bytes.length < 4 && fileSize > bytes.length) {
    throw new GgufPrefixTooShortError(`${src}: need the first bytes of the file`, 1 << 20);
  }
  if (bytes.length < 4 || view.getUint32(0, true) !== MAGIC) {
    const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new T2LError(
      'bad-input',
      `${src}: not a GGUF file (it should start with "GGUF", found ${head ? `bytes ${head}` : 'an empty file'})`,
    );
  }
  p = 4;
  const version = u32('version');
  if (version !== 2 && version !== 3) {
    const hint =
      version > 0xffff
        ? ' (a big-endian GGUF; llama.cpp in the browser and t2l-web read little-endian files)'
        : '';
    throw new T2LError(
      'bad-input',
      `${src}: GGUF version ${version} is not supported (versions 2 and 3 are)${hint}`,
    );
  }
  const tensorCount = u64('tensor count');
  const kvCount = u64('metadata count');
  if (kvCount * MIN_KV_BYTES > fileSize - p || tensorCount * MIN_TENSOR_INFO_BYTES > fileSize - p) {
    throw new T2LError(
      'bad-input',
      `${src}: truncated or corrupt GGUF: it claims ${kvCount} metadata entries and ${tensorCount} tensors, more than a ${fileSize}-byte file holds`,
    );
  }
  const metadata = new Map<string, GgufMetaValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = str(`metadata key #${i}`);
    const type = u32(`type of ${key}`);
    if (metadata.has(key)) {
      throw new T2LError('bad-input', `${src}: GGUF metadata key ${key} appears twice`);
    }
    metadata.set(key, value(type, key));
  }
  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = str(`tensor name #${i}`);
    const nDims = u32(`dims of ${name}`);
    if (nDims < 1 || nDims > MAX_DIMS) {
      throw new T2LError(
        'bad-input',
        `${src}: GGUF tensor ${name} has ${nDims} dims (1 to ${MAX_DIMS} allowed)`,
      );
    }
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(u64(`dim ${d} of ${name}`));
    if (ne.some((d) => d < 1) || ne.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER) {
      throw new T2LError(
        'bad-input',
        `${src}: GGUF tensor ${name} has bad dims [${ne.join(', ')}]`,
      );
    }
    const type = u32(`type of ${name}`);
    const offset = u64(`offset of ${name}`);
    // As llama.cpp's gguf_init_from_file (ggml/src/gguf.cpp) refuses them, so before any work:
    // a name given twice, a type it does not know, a row that is no whole number of blocks.
    if (names.has(name)) {
      throw new T2LError('bad-input', `${src}: GGUF tensor ${name} appears twice (tensor #${i})`);
    }
    names.add(name);
    const traits = GGML_TYPE_SIZE[type];
    if (traits === undefined) {
      throw new T2LError(
        'bad-input',
        `${src}: GGUF tensor ${name} has ggml type ${type}, which llama.cpp does not know`,
      );
    }
    if (ne[0]! % traits[0] !== 0) {
      throw new T2LError(
        'bad-input',
        `${src}: GGUF tensor ${name} has rows of ${ne[0]} elements, not a multiple of its ggml type ${type}'s block of ${traits[0]}`,
      );
    }
    tensors.push({ name, ne, type, offset });
  }
  const alignValue = metadata.get('general.alignment');
  const alignment = alignValue === undefined ? 32 : alignValue;
  if (typeof alignment !== 'number' || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new T2LError(
      'bad-input',
      `${src}: GGUF general.alignment must be a power of two, found ${String(alignValue)}`,
    );
  }
  const dataOffset = Math.ceil(p / alignment) * alignment;
  // llama.cpp's gguf.cpp lays the data out in tensor order, each tensor's bytes padded to the
  // alignment, and refuses a file whose offsets differ ("tensor '…' has offset X, expected Y"):
  // so a misaligned, overlapping or gapped offset is refused here, naming the tensor.
  const padded = (t: GgufTensorInfo) => Math.ceil(ggmlTensorBytes(t)! / alignment) * alignment;
  let expected = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    if (t.offset !== expected) {
      const prev = i > 0 ? tensors[i - 1]! : undefined;
      if (prev && t.offset % alignment === 0 && t.offset > prev.offset) {
        throw new T2LError(
          'bad-input',
          sizeOrOffset(src, tensors, i, expected, alignment, fileSize - dataOffset),
        );
      }
      throw new T2LError(
        'bad-input',
        `${src}: GGUF tensor ${t.name} has data offset ${t.offset}, expected ${expected} ` +
          `(tensors follow one another in order, each padded to general.alignment ${alignment})` +
          (t.offset % alignment !== 0 ? `; ${t.offset} is not a multiple of ${alignment}` : ''),
      );
    }
    expected += padded(t);
  }
  for (const t of tensors) {
    const size = ggmlTensorBytes(t);
    if (size !== undefined && dataOffset + t.offset + size > fileSize) {
      throw new T2LError(
        'bad-input',
        `${src}: truncated GGUF: tensor ${t.name} ends at byte ${dataOffset + t.offset + size}, but the file has ${fileSize}`,
      );
    }
  }
  return { version, metadata, tensors, dataOffset, alignment };
}

/**
 * The message for tensor `i` starting elsewhere than where the tensor before it ends (`expected`),
 * at an aligned offset past the previous one's. Either the previous tensor's size (its dims or
 * ggml type) or this offset is wrong. When every later tensor, and the end of the data, follow on
 * from this offset, it is the previous tensor's size (a changed type or dim leaves the offsets
 * alone); otherwise both are named.
 */
function sizeOrOffset(
  src: string,
  tensors: GgufTensorInfo[],
  i: number,
  expected: number,
  alignment: number,
  dataBytes: number,
): string {
  const prev = tensors[i - 1]!;
  const t = tensors[i]!;
  let start = t.offset;
  let last = 0;
  let followsOn = true;
  for (const u of tensors.slice(i)) {
    if (u.offset !== start) {
      followsOn = false;
      break;
    }
    last = u.offset + ggmlTensorBytes(u)!;
    start = Math.ceil(last / alignment) * alignment;
  }
  // The data section ends where the last tensor's bytes end, with or without its padding.
  followsOn &&= dataBytes === last || dataBytes === start;
  const bytes = ggmlTensorBytes(prev)!;
  const room = t.offset - prev.offset;
  const size =
    `GGUF tensor ${prev.name} (ggml type ${prev.type}, dims [${prev.ne.join(', ')}]) takes ` +
    `${bytes} bytes, ${expected - prev.offset} with padding to general.alignment ${alignment}, ` +
    `but the next tensor, ${t.name}, starts ${room} bytes after it (data offset ${t.offset})`;
  return followsOn
    ? `${src}: ${size}: the dims or ggml type of ${prev.name} are wrong (the tensors after it, and the end of the data, follow on from ${t.offset})`
    : `${src}: ${size}: the dims or ggml type of ${prev.name}, or the data offset of ${t.name} (expected ${expected}), are wrong`;
}

function safe(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** A string metadata value, or undefined when absent or not a string. */
export function metaString(h: GgufHeader, key: string): string | undefined {
  const v = h.metadata.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** A numeric metadata value, or undefined when absent or not a number. */
export function metaNumber(h: GgufHeader, key: string): number | undefined {
  const v = h.metadata.get(key);
  return typeof v === 'number' ? v : undefined;
}
