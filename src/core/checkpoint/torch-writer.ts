import { zipSync, type ZipOptions } from 'fflate';
import { T2LError, shapeString } from '../errors';
import { numel, type Tensor } from '../tensor';

/**
 * An int64 buffer (torch.LongStorage), as state dicts hold for counters and indices (BatchNorm's
 * num_batches_tracked, position ids): written so that tests can check readers skip unused ones.
 */
export interface LongTensor {
  shape: number[];
  data: BigInt64Array;
}

export interface WriteTorchOptions {
  /** The archive's top-level folder; torch uses the file's stem (e.g. "hypermod"), or "archive". */
  root?: string;
}

const ALIGN = 64;
const MAX_ZIP32 = 0xffffffff;
const enc = new TextEncoder();
const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes name → float32 tensor as `torch.save(state_dict)` would: a stored (uncompressed) zip with a
 * protocol-2 `data.pkl` and one raw little-endian storage record per tensor, each payload 64-byte
 * aligned like torch's own writer (through the local header's extra field) so that readers can map
 * them directly. Tensor data is handed to the zip writer as views: the archive is the only copy.
 */
export function writeTorchStateDict(
  entries: Iterable<[string, Tensor | LongTensor]>,
  options: WriteTorchOptions = {},
): Uint8Array {
  const root = options.root ?? 'archive';
  const tensors = [...entries];
  for (const [name, t] of tensors) {
    if (
      !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      numel(t.shape) !== t.data.length
    ) {
      throw new T2LError(
        'bad-shape',
        `writeTorchStateDict: tensor "${name}" has shape ${shapeString(t.shape)} but ${t.data.length} values`,
      );
    }
  }

  const records: [string, Uint8Array][] = [
    [`${root}/data.pkl`, statePickle(tensors)],
    [`${root}/byteorder`, enc.encode('little')],
    ...tensors.map(([, t], i): [string, Uint8Array] => [
      `${root}/data/${i}`,
      littleEndianBytes(t.data),
    ]),
    [`${root}/version`, enc.encode('3\n')],
  ];

  // Mirrors fflate's zipSync layout (local header, name, extra, data; no descriptors) to pad the
  // extra field so that every payload starts on a 64-byte boundary.
  const mtime = new Date(2000, 0, 1);
  const files: Record<string, [Uint8Array, ZipOptions]> = {};
  let offset = 0;
  let total = 22;
  for (const [name, data] of records) {
    const nameLength = enc.encode(name).length;
    const base = offset + 30 + nameLength;
    const attrs: ZipOptions = { level: 0, mtime };
    let extraLength = 0;
    if (base % ALIGN !== 0) {
      const pad = (ALIGN - ((base + 4) % ALIGN)) % ALIGN;
      attrs.extra = { 0x4246: new Uint8Array(pad).fill(0x5a) }; // "FB" padded with "Z", as torch does
      extraLength = 4 + pad;
    }
    files[name] = [data, attrs];
    offset = base + extraLength + data.length;
    total += 30 + 46 + 2 * (nameLength + extraLength) + data.length;
  }
  if (total > MAX_ZIP32) {
    throw new T2LError(
      'unsupported',
      `writeTorchStateDict: ${total} bytes needs a zip64 archive, which this writer does not produce (limit 4 GiB)`,
    );
  }
  return zipSync(files);
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (data instanceof BigInt64Array) {
    const out = new Uint8Array(data.length * 8);
    const view = new DataView(out.buffer);
    data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
    return out;
  }
  if (hostLittleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

// Memo slots used for the values every entry repeats, as Python's pickler would memoize them.
const M_ORDERED_DICT = 0;
const M_REBUILD = 2;
const M_STORAGE = 3;
const M_FLOAT_STORAGE = 4;
const M_CPU = 5;

/**
 * `OrderedDict([(name, _rebuild_tensor_v2(persid(('storage', FloatStorage, '<i>', 'cpu', numel)),
 * 0, size, stride, False, OrderedDict())), ...])` in protocol 2, as torch.save writes it.
 */
function statePickle(tensors: [string, Tensor | LongTensor][]): Uint8Array {
  const p = new PickleBuilder();
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict').put(M_ORDERED_DICT);
  p.op(0x29, 0x52).put(1); // EMPTY_TUPLE REDUCE
  let floatStorageSaved = false;
  for (let start = 0; start < tensors.length; start += 1000) {
    const batch = tensors.slice(start, start + 1000);
    if (batch.length > 1) p.op(0x28); // MARK
    batch.forEach(([name, t], j) => {
      const i = start + j;
      p.unicode(name);
      if (i === 0) p.global('torch._utils', '_rebuild_tensor_v2').put(M_REBUILD);
      else p.get(M_REBUILD);
      p.op(0x28, 0x28); // MARK MARK: the argument tuple, then the persistent id tuple
      if (i === 0) p.unicode('storage').put(M_STORAGE);
      else p.get(M_STORAGE);
      if (t.data instanceof BigInt64Array) p.global('torch', 'LongStorage');
      else if (floatStorageSaved) p.get(M_FLOAT_STORAGE);
      else {
        p.global('torch', 'FloatStorage').put(M_FLOAT_STORAGE);
        floatStorageSaved = true;
      }
      p.unicode(String(i));
      if (i === 0) p.unicode('cpu').put(M_CPU);
      else p.get(M_CPU);
      p.int(t.data.length);
      p.op(0x74, 0x51); // TUPLE BINPERSID
      p.int(0);
      p.tuple(t.shape);
      p.tuple(contiguousStrides(t.shape));
      p.op(0x89); // NEWFALSE: requires_grad
      p.get(M_ORDERED_DICT).op(0x29, 0x52); // OrderedDict(): backward hooks
      p.op(0x74, 0x52); // TUPLE REDUCE
    });
    p.op(batch.length > 1 ? 0x75 : 0x73); // SETITEMS or SETITEM
  }
  p.op(0x2e); // STOP
  return p.bytes();
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

class PickleBuilder {
  private buf = new Uint8Array(1024);
  private len = 0;

  op(...codes: number[]): this {
    this.reserve(codes.length);
    for (const c of codes) this.buf[this.len++] = c;
    return this;
  }

  put(slot: number): this {
    return this.op(0x71, slot); // BINPUT
  }

  get(slot: number): this {
    return this.op(0x68, slot); // BINGET
  }

  global(module: string, name: string): this {
    this.op(0x63); // GLOBAL
    this.raw(enc.encode(`${module}\n${name}\n`));
    return this;
  }

  unicode(s: string): this {
    const b = enc.encode(s);
    this.op(0x58); // BINUNICODE
    this.u32(b.length);
    this.raw(b);
    return this;
  }

  int(n: number): this {
    if (n < 0x100) return this.op(0x4b, n); // BININT1
    if (n < 0x10000) return this.op(0x4d, n & 0xff, n >> 8); // BININT2
    if (n < 0x80000000) {
      this.op(0x4a); // BININT
      return this.u32(n);
    }
    // LONG1: little-endian two's complement, with a zero byte when the top bit would read as sign
    const bytes: number[] = [];
    let v = BigInt(n);
    while (v > 0n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
    return this.op(0x8a, bytes.length, ...bytes);
  }

  tuple(items: readonly number[]): this {
    if (items.length > 3) this.op(0x28); // MARK
    for (const v of items) this.int(v);
    return this.op([0x29, 0x85, 0x86, 0x87][items.length] ?? 0x74); // EMPTY_TUPLE, TUPLE1-3, TUPLE
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }

  private raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}
