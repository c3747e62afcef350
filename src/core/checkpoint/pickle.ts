import { T2LError } from '../errors';

/**
 * A restricted unpickler: it understands only what `torch.save(state_dict)` writes. A pickle is a
 * program for a stack machine that may call any Python global, so nothing here ever calls anything:
 * the few globals a state dict needs are recognised by name and rebuilt as plain data, every other
 * global is refused before anything else happens.
 */

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyTuple
  | PyList
  | PyDict
  | PyGlobal
  | StorageRef
  | TensorRef;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyList {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
  constructor(readonly ordered: boolean) {}
}

/** A reference to one of the allowed globals; it is only ever matched by name. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The persistent id `('storage', torch.XStorage, key, location, numel)`: a record in the zip. */
export class StorageRef {
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** What `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` would build. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** Storage classes a state dict may name; only the float ones are later decoded. */
export const STORAGE_TYPES = [
  'FloatStorage',
  'HalfStorage',
  'BFloat16Storage',
  'DoubleStorage',
  'LongStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
] as const;

const ALLOWED_GLOBALS = new Set<string>([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...STORAGE_TYPES.map((s) => `torch.${s}`),
]);

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const latin1Decoder = new TextDecoder('latin1');

/**
 * Runs the pickle in `bytes` and returns its result. `name` prefixes every message,
 * e.g. "hypermod.pt: data.pkl".
 */
export function unpickle(bytes: Uint8Array, name: string): PyValue {
  return new Unpickler(bytes, name).run();
}

class Unpickler {
  private pos = 0;
  private opStart = 0;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PyValue {
    const b = this.bytes;
    while (this.pos < b.length) {
      this.opStart = this.pos;
      const op = b[this.pos++]!;
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail('pickle protocol newer than 5');
          break;
        case 0x95: // FRAME: only a buffering hint
          this.take(8);
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.take(4), true));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: // LONG4
          this.push(this.long(this.size32()));
          break;
        case 0x47: // BINFLOAT
          this.push(this.view.getFloat64(this.take(8), false));
          break;
        case 0x49: // INT (text, protocol 0)
          this.push(this.textInt());
          break;
        case 0x58: // BINUNICODE
          this.push(this.utf8(this.size32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.size64()));
          break;
        case 0x54: // BINSTRING (Python 2 str)
          this.push(this.latin1(this.size32()));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(this.latin1(this.u8()));
          break;
        case 0x42: // BINBYTES
          this.push(this.raw(this.size32()));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.raw(this.u8()));
          break;
        case 0x8e: // BINBYTES8
          this.push(this.raw(this.size64()));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x85: // TUPLE1
          this.push(new PyTuple(this.popN(1)));
          break;
        case 0x86: // TUPLE2
          this.push(new PyTuple(this.popN(2)));
          break;
        case 0x87: // TUPLE3
          this.push(new PyTuple(this.popN(3)));
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x5d: // EMPTY_LIST
          this.push(new PyList([]));
          break;
        case 0x6c: // LIST
          this.push(new PyList(this.popMark()));
          break;
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict(false));
          break;
        case 0x64: // DICT
          this.push(this.setItems(new PyDict(false), this.popMark()));
          break;
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.list(this.top()).items.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          const list = this.list(this.top()).items;
          for (const item of items) list.push(item); // no spread: a huge list would overflow the call stack
          break;
        }
        case 0x73: {
          // SETITEM
          const [k, v] = this.popN(2);
          this.setItems(this.dict(this.top()), [k!, v!]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.dict(this.top()), items);
          break;
        }
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.size32(), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x70: // PUT (text)
          this.memo.set(this.lineInt(), this.top());
          break;
        case 0x68: // BINGET
          this.push(this.get(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.get(this.size32()));
          break;
        case 0x67: // GET (text)
          this.push(this.get(this.lineInt()));
          break;
        case 0x63: // GLOBAL
          this.push(this.global(this.line(), this.line()));
          break;
        case 0x93: {
          // STACK_GLOBAL
          const [mod, nm] = this.popN(2);
          if (typeof mod !== 'string' || typeof nm !== 'string') {
            this.fail('STACK_GLOBAL needs two strings');
          }
          this.push(this.global(mod, nm));
          break;
        }
        case 0x69: // INST: names a class inline, so it is checked like GLOBAL before refusing
          this.global(this.line(), this.line());
          this.fail('INST is not used by torch.save');
          break;
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call(fn, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args));
          break;
        }
        case 0x62: {
          // BUILD: torch sets `_metadata` (module versions) on the OrderedDict; not needed here
          this.pop();
          if (!(this.top() instanceof PyDict)) this.fail(`BUILD on ${describe(this.top())}`);
          break;
        }
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
    this.opStart = this.pos;
    return this.fail('truncated: the pickle ends without STOP');
  }

  private fail(why: string): never {
    throw new T2LError('bad-pickle', `${this.name} is malformed at byte ${this.opStart}: ${why}`);
  }

  private push(v: PyValue): void {
    this.stack.push(v);
  }

  private pop(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack.pop()!;
  }

  private popN(n: number): PyValue[] {
    if (this.stack.length < n) this.fail('stack underflow');
    return this.stack.splice(this.stack.length - n, n);
  }

  private top(): PyValue {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.marks.pop();
    if (prev === undefined) this.fail('no MARK to pop to');
    this.stack = prev;
    return items;
  }

  private get(i: number): PyValue {
    if (!this.memo.has(i)) this.fail(`memo entry ${i} was never stored`);
    return this.memo.get(i)!;
  }

  private list(v: PyValue): PyList {
    if (!(v instanceof PyList)) this.fail(`appending to ${describe(v)}`);
    return v;
  }

  private dict(v: PyValue): PyDict {
    if (!(v instanceof PyDict)) this.fail(`setting items on ${describe(v)}`);
    return v;
  }

  private setItems(d: PyDict, items: PyValue[]): PyDict {
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) d.map.set(items[i]!, items[i + 1]!);
    return d;
  }

  private take(n: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at) this.fail('truncated');
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.bytes[this.take(1)]!;
  }

  private u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  private size32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  private size64(): number {
    const at = this.take(8);
    const n = this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
    if (!Number.isSafeInteger(n)) this.fail('length too large');
    return n;
  }

  private raw(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }

  private utf8(n: number): string {
    const at = this.take(n);
    try {
      return textDecoder.decode(this.bytes.subarray(at, at + n));
    } catch {
      return this.fail('invalid UTF-8 in a string');
    }
  }

  private latin1(n: number): string {
    const at = this.take(n);
    return latin1Decoder.decode(this.bytes.subarray(at, at + n));
  }

  /** Little-endian two's complement, as LONG1/LONG4 store it. */
  private long(n: number): number | bigint {
    const at = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes[at + i]!);
    if (this.bytes[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    const asNumber = Number(v);
    return Number.isSafeInteger(asNumber) ? asNumber : v;
  }

  private line(): string {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) this.fail('truncated: no end of line');
    this.pos = end + 1;
    return latin1Decoder.decode(this.bytes.subarray(start, end));
  }

  private lineInt(): number {
    const s = this.line();
    if (!/^-?\d+$/.test(s)) this.fail(`not an integer: "${s}"`);
    return Number(s);
  }

  private textInt(): number | boolean {
    const s = this.line();
    if (s === '01') return true;
    if (s === '00') return false;
    if (!/^-?\d+L?$/.test(s)) this.fail(`not an integer: "${s}"`);
    return Number(s.replace('L', ''));
  }

  private global(module: string, name: string): PyGlobal {
    const g = new PyGlobal(module, name);
    if (!ALLOWED_GLOBALS.has(g.qualified)) {
      throw new T2LError(
        'forbidden-global',
        `${this.name} refers to the global "${g.qualified}"; a state dict never does, ` +
          'so the file is refused (it is never executed)',
      );
    }
    return g;
  }

  private persistent(pid: PyValue): StorageRef {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [tag, type, key, location, count] = items;
    if (
      items.length !== 5 ||
      tag !== 'storage' ||
      !(type instanceof PyGlobal) ||
      !type.name.endsWith('Storage') ||
      typeof key !== 'string' ||
      typeof location !== 'string' ||
      !isIndex(count)
    ) {
      this.fail(`persistent id ${describe(pid)} is not a torch storage reference`);
    }
    return new StorageRef(type.name, key, location, count);
  }

  private call(fn: PyValue, args: PyValue): PyValue {
    if (!(fn instanceof PyGlobal)) this.fail(`calling ${describe(fn)}`);
    if (!(args instanceof PyTuple)) this.fail(`arguments of ${fn.qualified} are not a tuple`);
    const a = args.items;
    switch (fn.qualified) {
      case 'collections.OrderedDict':
        if (a.length !== 0) this.fail('OrderedDict built with arguments');
        return new PyDict(true);
      case 'torch._utils._rebuild_tensor_v2': {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        const [storage, offset, size, stride] = a;
        if (a.length < 6 || a.length > 7 || !(storage instanceof StorageRef)) {
          this.fail('_rebuild_tensor_v2 without a storage');
        }
        const sizes = this.ints(size, 'size');
        const strides = this.ints(stride, 'stride');
        if (!isIndex(offset)) this.fail('_rebuild_tensor_v2 with a bad storage offset');
        if (sizes.length !== strides.length) this.fail('size and stride differ in length');
        return new TensorRef(storage, offset, sizes, strides);
      }
      case 'torch._utils._rebuild_parameter': {
        // (data, requires_grad, backward_hooks): a Parameter is its tensor here
        const data = a[0];
        if (a.length !== 3 || !(data instanceof TensorRef)) {
          this.fail('_rebuild_parameter without a tensor');
        }
        return data;
      }
      default:
        return this.fail(`calling ${fn.qualified}, which a state dict never does`);
    }
  }

  private ints(v: PyValue | undefined, what: string): number[] {
    if (!(v instanceof PyTuple) || !v.items.every(isIndex)) {
      this.fail(`tensor ${what} ${describe(v)} is not a tuple of non-negative integers`);
    }
    return v.items as number[];
  }
}

function isIndex(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A short description of a value for error messages. */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'string') return `the string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyList) return `a list of ${v.items.length}`;
  if (v instanceof PyDict) return `a dict of ${v.map.size}`;
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof StorageRef) return `storage ${v.key}`;
  return 'a tensor';
}
