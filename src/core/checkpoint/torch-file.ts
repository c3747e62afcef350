import { T2LError, shapeString } from '../errors';
import type { DType, Tensor } from '../tensor';
import { PyDict, StorageRef, TensorRef, describe, unpickle } from './pickle';
import { ZipAmbiguityError, ZipBudgetError, ZipIntegrityError, zipMembers } from './zip-view';

interface StorageKind {
  dtype: DType;
  bytes: number;
}

const FLOAT_STORAGES: Record<string, StorageKind> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
};

// Records under <root>/ that the reader uses; anything else (version, .data/serialization_id) is skipped.
const WANTED = /^[^/]+\/(data\.pkl|byteorder|data\/[^/]+)$/;

/** A state dict as read: the float tensors, and the entries of other dtypes (left unread). */
export interface TorchStateDict {
  /** name → float32 tensor, in file order. */
  weights: Map<string, Tensor>;
  /**
   * Entries whose storage is not a float type (integer buffers such as BatchNorm's
   * num_batches_tracked), name → storage class, e.g. "LongStorage". The reference loads with
   * load_state_dict(strict=False), so such entries are an error only if the graph needs them.
   */
  skipped: Map<string, string>;
}

/**
 * Reads a `torch.save(state_dict)` zip archive into name → float32 tensor, in file order; entries
 * of other dtypes are listed in `skipped`, not read. Nothing in the file is executed: see
 * `pickle.ts`. Little-endian float32 tensors that own their storage are views into `bytes` (torch
 * stores members uncompressed and 64-byte aligned), so the file is not copied: keep it unmodified
 * while the tensors are in use.
 *
 * Bounded by the file's size: a tensor's span (offset + Σ (size_d − 1)·stride_d) must lie in its
 * storage and its element count may not exceed the storage's (stride-0 broadcasts are refused, not
 * expanded); tensors sharing storages are copied at most up to twice the storages' total; deflated
 * zip members (torch never writes them) inflate within MAX_INFLATE_RATIO × the file's size.
 * Each member read has its CRC-32 checked and every local header must agree with the central
 * directory (see zipMembers), so a damaged file is refused rather than read into a wrong adapter.
 * Errors: T2LError bad-zip, bad-pickle, forbidden-global, missing-tensor.
 */
export function readTorchCheckpoint(bytes: Uint8Array, label = 'hypermod.pt'): TorchStateDict {
  const files = unzip(bytes, label);
  const pklName = Object.keys(files).find((n) => n.endsWith('/data.pkl'));
  if (pklName === undefined) {
    throw new T2LError(
      'bad-zip',
      `${label}: the zip archive has no <root>/data.pkl, so it is not a torch.save checkpoint`,
    );
  }
  const root = pklName.slice(0, -'data.pkl'.length);
  const bigEndian = readByteOrder(files[`${root}byteorder`], label);
  const top = unpickle(files[pklName]!, `${label}: data.pkl`);
  if (!(top instanceof PyDict)) {
    throw new T2LError(
      'bad-pickle',
      `${label}: data.pkl holds ${describe(top)}, not a state dict (a dict of name → tensor)`,
    );
  }

  const refs: [string, TensorRef, StorageKind][] = [];
  const skipped = new Map<string, string>();
  const uses = new Map<string, number>();
  const firstUse = new Map<string, [string, StorageRef]>();
  for (const [key, value] of top.map) {
    if (typeof key !== 'string') {
      throw new T2LError(
        'bad-pickle',
        `${label}: data.pkl has the key ${describe(key)}; a state dict has only string keys`,
      );
    }
    if (!(value instanceof TensorRef)) {
      throw new T2LError(
        'bad-pickle',
        `${label}: entry "${key}" of data.pkl is ${describe(value)}, not a tensor; expected a state dict (name → tensor)`,
      );
    }
    sameStorage(firstUse, key, value.storage, label);
    const kind = FLOAT_STORAGES[value.storage.storageType];
    if (kind === undefined) {
      skipped.set(key, value.storage.storageType);
      continue;
    }
    refs.push([key, value, kind]);
    uses.set(value.storage.key, (uses.get(value.storage.key) ?? 0) + 1);
  }

  const storages = new Map<string, Float32Array>();
  const out = new Map<string, Tensor>();
  let storageElements = 0;
  let copied = 0;
  for (const [key, ref, kind] of refs) {
    let storage = storages.get(ref.storage.key);
    if (storage === undefined) {
      const record = files[`${root}data/${ref.storage.key}`];
      if (record === undefined) {
        throw new T2LError(
          'missing-tensor',
          `${label}: tensor "${key}" needs the storage record ${root}data/${ref.storage.key}, which the archive lacks`,
        );
      }
      storage = decodeStorage(record, kind, bigEndian);
      // torch sizes the storage by its persistent id (numel), not by the record: a tensor that
      // needs more than numel elements is refused even if the record holds them.
      if (storage.length > ref.storage.numel) storage = storage.subarray(0, ref.storage.numel);
      storages.set(ref.storage.key, storage);
      storageElements += storage.length;
    }
    const n = checkSpan(storage, ref, key, label);
    const data = gather(storage, ref, n, uses.get(ref.storage.key) === 1);
    if (data.buffer !== storage.buffer) {
      copied += n;
      if (copied > 2 * storageElements + 1024) {
        throw new T2LError(
          'bad-pickle',
          `${label}: tensors up to "${key}" copy ${copied} elements out of storages holding ${storageElements}; ` +
            'a state dict does not view its storages that many times',
        );
      }
    }
    out.set(key, { shape: [...ref.size], data, sourceDType: kind.dtype });
  }
  return { weights: out, skipped };
}

/**
 * Every persistent id naming one storage key must give the same storage type and element count.
 * torch.load (torch/serialization.py `_load`, whose `persistent_load` the weights_only unpickler
 * uses too) builds a key's storage from the FIRST id naming it (numel × element size bytes, typed
 * by its storage type) and hands that same storage to every later id, ignoring their type and
 * numel; `_rebuild_tensor_v2` then `set_`s each tensor on it, which fails ("Trying to resize
 * storage that is not resizable") when the tensor needs more than it holds, and reinterprets it
 * when the types differ. torch.save never writes two ids that differ for one key, so such a file
 * was edited: refused with both tensors and both sizes named, whichever of those torch would do.
 */
function sameStorage(
  seen: Map<string, [string, StorageRef]>,
  key: string,
  s: StorageRef,
  label: string,
): void {
  const first = seen.get(s.key);
  if (first === undefined) {
    seen.set(s.key, [key, s]);
    return;
  }
  const [firstKey, f] = first;
  if (f.numel !== s.numel || f.storageType !== s.storageType) {
    throw new T2LError(
      'bad-pickle',
      `${label}: tensors "${firstKey}" and "${key}" share storage ${s.key} but disagree on it: ` +
        `${f.numel} elements of torch.${f.storageType} and ${s.numel} elements of torch.${s.storageType}; ` +
        'torch.load refuses or reinterprets such a file',
    );
  }
}

/** readTorchCheckpoint's float tensors (entries of other dtypes are left out). */
export function readTorchStateDict(bytes: Uint8Array, label = 'hypermod.pt'): Map<string, Tensor> {
  return readTorchCheckpoint(bytes, label).weights;
}

/** How much a deflated member may grow: at most this times the whole file's size, in total. */
export const MAX_INFLATE_RATIO = 4;

function unzip(bytes: Uint8Array, label: string): Record<string, Uint8Array> {
  const notTorch =
    'a torch.save checkpoint is a zip archive (torch >= 1.6); the old non-zip legacy format is not supported';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    throw new T2LError(
      'bad-zip',
      `${label} is a bare pickle, i.e. the old non-zip legacy torch.save format, which is not supported; ` +
        're-save it with torch >= 1.6 (torch.save(torch.load(f), f))',
    );
  }
  try {
    return zipMembers(bytes, (name) => WANTED.test(name), {
      maxInflatedBytes: MAX_INFLATE_RATIO * bytes.length,
    });
  } catch (e) {
    if (e instanceof ZipBudgetError) {
      throw new T2LError('bad-zip', `${label}: ${e.message}`, { cause: e });
    }
    if (e instanceof ZipAmbiguityError) {
      throw new T2LError(
        'bad-zip',
        `${label} is ambiguous: ${e.message}, so it is refused; save it again with torch.save`,
        { cause: e },
      );
    }
    if (e instanceof ZipIntegrityError) {
      throw new T2LError(
        'bad-zip',
        `${label} is damaged: ${e.message}; torch.load would refuse it too, so fetch or save it again`,
        { cause: e },
      );
    }
    throw new T2LError(
      'bad-zip',
      `${label} is not a torch.save zip archive, or it is truncated (${(e as Error).message}); ${notTorch}`,
      { cause: e },
    );
  }
}

function readByteOrder(record: Uint8Array | undefined, label: string): boolean {
  if (record === undefined) return false; // torch < 1.13 wrote no byteorder record and only little-endian
  const s = new TextDecoder().decode(record).trim();
  if (s !== 'little' && s !== 'big') {
    throw new T2LError(
      'bad-zip',
      `${label}: byteorder record says "${s}", expected "little" or "big"`,
    );
  }
  return s === 'big';
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The whole storage as float32; a view of the record when it already is little-endian float32. */
function decodeStorage(record: Uint8Array, kind: StorageKind, bigEndian: boolean): Float32Array {
  const n = Math.floor(record.length / kind.bytes);
  const view = new DataView(record.buffer, record.byteOffset, n * kind.bytes);
  const le = !bigEndian;
  if (kind.dtype === 'float32') {
    // A view into the file when aligned (torch pads every record to 64 bytes); a copy otherwise.
    if (le === hostLittleEndian && record.byteOffset % 4 === 0) {
      return new Float32Array(record.buffer, record.byteOffset, n);
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
    return out;
  }
  const out = new Float32Array(n);
  if (kind.dtype === 'float64') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
  } else if (kind.dtype === 'bfloat16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, le) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, le));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Checks a tensor's view of its storage before anything is allocated, and returns its element
 * count: every size and stride a non-negative safe integer (pickle.ts), the count at most what
 * the storage holds, and the last element's index inside the storage.
 */
function checkSpan(storage: Float32Array, ref: TensorRef, key: string, label: string): number {
  const { size, stride, offset } = ref;
  const where = () =>
    `${label}: tensor "${key}" ${shapeString(size)} (offset ${offset}, stride ${shapeString(stride)})`;
  let n = 1;
  for (const d of size) n *= d;
  if (n === 0) return 0;
  if (n > storage.length) {
    throw new T2LError(
      'bad-pickle',
      `${where()} has ${n} elements but storage ${ref.storage.key} holds only ${storage.length}` +
        (stride.some((s, d) => s === 0 && size[d]! > 1)
          ? ' (a stride-0 broadcast; save the tensor itself, e.g. .contiguous())'
          : ''),
    );
  }
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (!Number.isSafeInteger(last) || last >= storage.length) {
    throw new T2LError(
      'bad-pickle',
      `${where()} needs ${last + 1} elements of storage ${ref.storage.key}, which holds only ${storage.length}`,
    );
  }
  return n;
}

/** Copies the tensor's n elements out of its storage in row-major order, following the strides. */
function gather(storage: Float32Array, ref: TensorRef, n: number, soleUser: boolean): Float32Array {
  const { size, stride, offset } = ref;
  if (n === 0) return new Float32Array(0);
  if (isContiguous(size, stride)) {
    // A whole, unshared storage becomes the tensor without a copy; otherwise copy so that tensors
    // which share a storage in the file never alias each other in memory.
    if (soleUser && offset === 0 && n === storage.length) return storage;
    return storage.slice(offset, offset + n);
  }
  const out = new Float32Array(n);
  const rank = size.length;
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  for (let i = 0; i < n; i++) {
    out[i] = storage[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) {
        src += stride[d]!;
        break;
      }
      src -= (size[d]! - 1) * stride[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(size: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d]!;
  }
  return true;
}
