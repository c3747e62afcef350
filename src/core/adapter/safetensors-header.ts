/**
 * The header of a safetensors file, parsed once with a schema: its length bounded against the
 * file before anything is decoded, every tensor's dtype in an allow-list, its shape a list of
 * non-negative safe integers, its data_offsets inside the data section and as long as shape ×
 * dtype size, the tensors tiling the data exactly (no overlaps, gaps or trailing bytes), and
 * `__metadata__` an object of strings. Errors name the file, the key, expected and found.
 */
import { z } from 'zod';
import { T2LError } from '../errors';
import { describeIssues, preview } from '../schema';
import type { DType } from '../tensor';
import { parseJsonBounded } from '../json';

/** The dtypes read (and widened to float32), with their element size. */
export const READABLE_DTYPES = {
  F32: { size: 4, dtype: 'float32' },
  F16: { size: 2, dtype: 'float16' },
  BF16: { size: 2, dtype: 'bfloat16' },
  F64: { size: 8, dtype: 'float64' },
} as const satisfies Record<string, { size: number; dtype: DType }>;

export type ReadableDType = keyof typeof READABLE_DTYPES;

const READABLE = Object.keys(READABLE_DTYPES) as [ReadableDType, ...ReadableDType[]];
// Valid in the format, but not floats we could widen to float32.
const OTHER_DTYPES = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'I32', 'U64', 'I64']);
/** The same cap the reference (Rust) reader puts on the header. */
export const MAX_HEADER = 100_000_000;

const safeCount = z.int().nonnegative();

const tensorEntry = z.object({
  dtype: z.enum(READABLE, {
    error: (iss) =>
      typeof iss.input === 'string' && OTHER_DTYPES.has(iss.input)
        ? `expected ${READABLE.join(', ')} (${iss.input} is not a float dtype we read), found "${iss.input}"`
        : `expected one of ${READABLE.join(', ')}`,
  }),
  shape: z.array(safeCount),
  data_offsets: z.tuple([safeCount, safeCount], {
    error: 'expected [begin, end] of two non-negative integers',
  }),
});

/** One tensor as the header declares it; offsets are relative to the start of the data. */
export interface HeaderEntry {
  name: string;
  dtype: ReadableDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Bytes a tensor of this shape and dtype takes; Infinity past 2^53 (a zero dim still gives 0). */
function byteSize(shape: readonly number[], size: number): number {
  if (shape.includes(0)) return 0;
  let n = size;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

const show = (o: readonly number[]) => `[${o.join(', ')}]`;

/** The header's tensors as [name, entry] pairs, checked against the `dataLength` data bytes. */
function tensorsSchema(dataLength: number) {
  const structure = z.array(z.tuple([z.string(), tensorEntry]));
  // Piped: the offsets are compared only once every entry has the right types.
  return structure.pipe(
    z.custom<z.output<typeof structure>>().superRefine((pairs, ctx) => {
      const entries: Array<HeaderEntry & { i: number }> = [];
      for (const [i, [name, e]] of pairs.entries()) {
        const [begin, end] = e.data_offsets;
        const path = [i, 1, 'data_offsets'];
        if (begin > end) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `expected begin <= end, found ${show(e.data_offsets)}`,
          });
          continue;
        }
        const want = byteSize(e.shape, READABLE_DTYPES[e.dtype].size);
        if (end - begin !== want) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `expected ${want === Infinity ? 'more than 2^53' : want} bytes for shape ${show(e.shape)} of ${e.dtype}, found ${show(e.data_offsets)} holding ${end - begin}`,
          });
          continue;
        }
        if (end > dataLength) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `expected within the ${dataLength} bytes of data, found ${show(e.data_offsets)}`,
          });
          continue;
        }
        entries.push({ i, name, dtype: e.dtype, shape: e.shape, begin, end });
      }
      if (ctx.issues.length > 0) return;
      // Sorted by offset, the tensors must tile the data exactly: no gaps, no overlaps, nothing after.
      const sorted = entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
      let at = 0;
      for (const e of sorted) {
        if (e.begin !== at) {
          const what = e.begin < at ? 'overlaps the previous tensor' : `leaves a gap after ${at}`;
          ctx.addIssue({
            code: 'custom',
            path: [e.i, 1, 'data_offsets'],
            message: `expected to begin at byte ${at}, found ${show([e.begin, e.end])} (${what})`,
          });
          return;
        }
        at = e.end;
      }
      if (at !== dataLength) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `expected the tensors to end at the end of the data (${dataLength} bytes), found ${dataLength - at} trailing bytes after byte ${at}`,
        });
      }
    }),
  );
}

const metadataSchema = z.array(z.tuple([z.string(), z.string()]));

/** An issue's path [i, 1, ...rest] in a list of pairs, shown with the pair's key. */
function pairPath(path: readonly PropertyKey[], keyOf: (i: number) => string): PropertyKey[] {
  if (typeof path[0] !== 'number') return [...path];
  return [keyOf(path[0]), ...path.slice(2)];
}

/**
 * Reads and checks the header of a safetensors file (see the module comment). Returns the tensors
 * in header order, the metadata, and where the data section starts. Throws bad-safetensors. The
 * header's objects are checked as lists of [key, value] pairs, so any name (`__proto__` too) is data.
 */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  label: string,
): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (message: string, cause?: unknown): never => {
    throw new T2LError('bad-safetensors', `${label}: ${message}`, { cause });
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`header length ${n} runs past the end of the file (${bytes.length - 8} bytes after it)`);
  }
  const headerLength = Number(n);
  if (headerLength > MAX_HEADER) fail(`header length ${headerLength} exceeds ${MAX_HEADER} bytes`);

  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(8, 8 + headerLength),
    );
    json = parseJsonBounded(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${String(e)})`, e);
  }
  if (!isObject(json)) fail('header is not a JSON object');
  const header = json as Record<string, unknown>;
  const pairs = Object.entries(header).filter(([k]) => k !== '__metadata__');
  const dataStart = 8 + headerLength;

  const rawMeta = Object.hasOwn(header, '__metadata__') ? header['__metadata__'] : {};
  if (!isObject(rawMeta)) {
    fail(`__metadata__: expected an object of strings, found ${preview(rawMeta)}`);
  }
  const metaPairs = Object.entries(rawMeta as Record<string, unknown>);
  const meta = metadataSchema.safeParse(metaPairs, { reportInput: true });
  if (!meta.success) {
    const issues = meta.error.issues.map((i) => ({
      ...i,
      path: ['__metadata__', ...pairPath(i.path, (k) => metaPairs[k]![0])],
    }));
    fail(describeIssues(issues), meta.error);
  }
  const res = tensorsSchema(bytes.length - dataStart).safeParse(pairs, { reportInput: true });
  if (!res.success) {
    const issues = res.error.issues.map((i) => ({
      ...i,
      path: pairPath(i.path, (k) => `tensor ${JSON.stringify(pairs[k]![0])}`),
    }));
    fail(describeIssues(issues), res.error);
  }
  const entries = res.data!.map(([name, e]): HeaderEntry => {
    const [begin, end] = e.data_offsets;
    return { name, dtype: e.dtype, shape: e.shape, begin, end };
  });
  // fromEntries defines own properties: a key "__proto__" stays a key.
  return { entries, metadata: Object.fromEntries(meta.data!), dataStart };
}

const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);
