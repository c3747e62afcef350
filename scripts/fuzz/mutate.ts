/** Seeded mutations of bytes, JSON values and YAML text, for the fuzz targets (scripts/fuzz). */

/** mulberry32: a small seeded generator, so every input is reproducible from (seed, target, i). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The input's seed: one stream per (run seed, target, index). */
export function inputSeed(seed: number, target: string, i: number): number {
  let h = seed >>> 0;
  for (const c of target) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  return (h + Math.imul(i, 0x85ebca6b)) >>> 0;
}

export type Rand = () => number;
export const int = (r: Rand, n: number) => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x40];

/**
 * Byte-level mutations: flips, interesting bytes, 32-bit boundary values, truncation, insertion,
 * deletion and chunk duplication. `focus` optionally biases positions into a range (a header).
 */
export function mutateBytes(r: Rand, input: Uint8Array, focus?: [number, number]): Uint8Array {
  let b: Uint8Array = input.slice();
  const pos = () => {
    if (focus && r() < 0.7) return focus[0] + int(r, Math.max(1, focus[1] - focus[0]));
    return int(r, Math.max(1, b.length));
  };
  const rounds = 1 + int(r, 4);
  for (let k = 0; k < rounds; k++) {
    switch (int(r, 7)) {
      case 0: {
        const at = pos();
        b[at] = (b[at] ?? 0) ^ (1 << int(r, 8));
        break;
      }
      case 1:
        b[pos()] = pick(r, INTERESTING_BYTES);
        break;
      case 2: {
        const at = pos();
        const v = pick(r, [0, 0xffffffff, 0x7fffffff, 0x80000000, 0xffff, 1, 2 ** 31 + 7]);
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, v >>> 0, r() < 0.5);
        break;
      }
      case 3:
        b = b.slice(0, pos());
        break;
      case 4: {
        const at = pos();
        const extra = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
        b = concat(b.subarray(0, at), extra, b.subarray(at));
        break;
      }
      case 5: {
        const at = pos();
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 64))));
        break;
      }
      default: {
        const at = pos();
        const len = 1 + int(r, 256);
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
      }
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Values that have broken readers before: wrong types, boundaries, non-finite numbers. */
export const ODD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  'true',
  'false',
  '',
  'x',
  '../../../../dev/zero',
  0,
  -1,
  1,
  1.5,
  2 ** 53,
  1e308,
  -1e308,
  16,
  4,
  [],
  ['q_proj'],
  ['k_proj', 'o_proj'],
  [1, 2],
  {},
  { a: 1 },
];

/** Sets, deletes or retypes one value somewhere in a JSON-like tree (a copy). */
export function mutateValue(r: Rand, root: unknown): unknown {
  const copy = structuredClone(root) as unknown;
  const rounds = 1 + int(r, 3);
  for (let k = 0; k < rounds; k++) {
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object')
        for (const [key, x] of Object.entries(v)) walk(x, [...path, key]);
    };
    walk(copy, []);
    const path = pick(r, paths.slice(1));
    if (!path) continue;
    let parent = copy as Record<string | number, unknown>;
    for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    const current = parent[last];
    const choice = int(r, 4);
    if (choice === 0 && !Array.isArray(parent)) delete parent[last];
    else if (choice === 1 && typeof current === 'number')
      parent[last] = pick(r, [current * 2, current + 1, current - 1, -current, 0, current / 2]);
    else parent[last] = structuredClone(pick(r, ODD_VALUES));
  }
  return copy;
}

/** YAML-specific text mutations: aliases (bounded expansion), tags, odd scalars, anchors. */
export function mutateYamlText(r: Rand, text: string): string {
  const lines = text.split('\n');
  switch (int(r, 5)) {
    case 0: {
      // A "billion laughs" document.
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        bomb.push(
          `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`,
        );
      }
      return bomb.join('\n') + '\n' + text;
    }
    case 1: {
      const i = int(r, lines.length);
      lines[i] =
        `${(lines[i] ?? '').split(':')[0]}: ${pick(r, ['.inf', '-.inf', '.nan', 'yes', 'no', 'on', '~', '0x10', '1e999', '!!binary AAAA', '!!python/object:os.system x', '*undefined', '[', '{a: 1}', '"true"'])}`;
      return lines.join('\n');
    }
    case 2:
      return text + `\nshared_AB_head: ${pick(r, ['true', 'false', '1', '"yes"'])}\n`;
    case 3: {
      const i = int(r, lines.length);
      lines.splice(i, 1);
      return lines.join('\n');
    }
    default:
      return new TextDecoder().decode(mutateBytes(r, new TextEncoder().encode(text)));
  }
}
