/**
 * A seeded sample of a benchmark's rows: the same seed and sizes give the same rows on every machine
 * and in the page, so a run can be repeated and its example ids recorded. (The reference scores
 * whole splits; a sample of N keeps a browser or CPU run short. The sample's Wilson interval says
 * how far it may be from the whole split.)
 */

/** Examples in a benchmark sample unless the user asks for another number (issue 21). */
export const DEFAULT_BENCHMARK_LIMIT = 50;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain): a small, fast PRNG with a full
 * 2^32 period, plenty for choosing a few rows. Returns uniform floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `min(n, total)` distinct row indexes in [0, total), chosen uniformly by a partial Fisher–Yates
 * shuffle driven by mulberry32(seed), returned in ascending order (the dataset's order).
 * Throws RangeError unless total and n are whole numbers ≥ 0 and seed a whole number in [0, 2^32).
 */
export function sampleIndices(total: number, n: number, seed: number): number[] {
  for (const [name, v] of [
    ['total', total],
    ['n', n],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`sampleIndices: ${name} = ${v}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new RangeError(`sampleIndices: seed ${seed} is not a whole number in [0, 2^32)`);
  }
  const k = Math.min(n, total);
  const random = mulberry32(seed);
  // Only the swapped positions are stored: O(k) memory for any split size.
  const swapped = new Map<number, number>();
  const at = (i: number) => swapped.get(i) ?? i;
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (total - i));
    const pick = at(j);
    swapped.set(j, at(i));
    out.push(pick);
  }
  return out.sort((a, b) => a - b);
}

/**
 * What to tell the user when a sample asks for more rows than its set has (sampleIndices then
 * takes them all), or null: "--limit 100 but the set has 20 examples: scoring all 20". `asked`
 * names the setting as the user gave it ("--limit" in the CLI, "N =" in the page).
 */
export function limitNote(asked: string, limit: number, total: number): string | null {
  return limit > total
    ? `${asked} ${limit} but the set has ${total} examples: scoring all ${total}`
    : null;
}
