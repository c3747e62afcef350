import { describe, expect, it } from 'vitest';
import { parseShareQuery, shareQuery } from '../../../src/app/shared/share-link';
import { cosineTable, stageTable, toCsv } from '../../../src/app/shared/charts/chart-data';
import { matchesSearch, type HistoryEntry } from '../../../src/app/shared/storage/history-db';
import {
  analyzeAdapters,
  applyBlend,
  blendMetadata,
  cosines,
  descriptionsToEmbed,
} from '../../../src/app/worker/analysis';
import type { ColumnOutcome } from '../../../src/app/shared/compare-store';
import type { GenerateRequest } from '../../../src/app/worker/protocol';
import type { GeneratedAdapter } from '../../../src/core/generate';
import type { PackageManifest } from '../../../src/core/package/manifest';

describe('share links', () => {
  it('round-trip every setting, blend included', () => {
    const s = {
      view: 'compare' as const,
      modelId: 'demo-M',
      backend: 'wasm' as const,
      precision: 'q4' as const,
      dtype: 'float16' as const,
      encoderDtype: 'fp32' as const,
      description: 'Solve math, step by step & show work?',
      blendWith: 'Write poems',
      blendWeight: 0.35,
    };
    expect(parseShareQuery(`?${shareQuery(s)}`)).toEqual(s);
  });

  it('carry a blend weight at either end of 0…1', () => {
    // 1: all of the partner description, 0: none of it; both are weights the Blend slider sets.
    expect(parseShareQuery('?d=a&blend=b&w=1')).toEqual({
      description: 'a',
      blendWith: 'b',
      blendWeight: 1,
    });
    expect(parseShareQuery('?d=a&blend=b&w=0')).toEqual({
      description: 'a',
      blendWith: 'b',
      blendWeight: 0,
    });
    const s = { description: 'a', blendWith: 'b', blendWeight: 1 };
    expect(parseShareQuery(`?${shareQuery(s)}`)).toEqual(s);
  });

  it('ignore what they do not know, and never carry a blend without its weight', () => {
    expect(parseShareQuery('?backend=cuda&precision=int3&dtype=x&view=nope&blend=b')).toEqual({});
    expect(parseShareQuery('?blend=b&w=1.5')).toEqual({});
  });
});

const column = (label: string, t: number): ColumnOutcome => ({
  label,
  caption: label,
  description: label,
  config: { modelId: 'm', backend: 'wasm', precision: 'auto', dtype: 'float32' },
  status: 'done',
  stage: null,
  result: {
    timings: { load: t, encode: 1, hypernetwork: 2, pack: 3 },
  } as ColumnOutcome['result'],
});

describe('chart numbers', () => {
  it('CSV quotes labels and keeps full precision', () => {
    const cols = [column('a, "x"', 10), column('b', 0.125)];
    const csv = toCsv(
      cosineTable(cols, [
        [1, 0.123456789],
        [0.123456789, 1],
      ]),
    );
    expect(csv).toBe('adapter,"a, ""x""",b\r\n"a, ""x""",1,0.123456789\r\nb,0.123456789,1\r\n');
    expect(stageTable(cols).rows[1]!.values).toEqual([0.125, 1, 2, 3]);
  });
});

describe('history search', () => {
  it('matches every word, in any field', () => {
    const e = {
      description: 'Write Python functions',
      modelName: 'Demo T2L-S',
      baseModel: 'base',
      variant: 'S',
      precision: 'fp32',
      backend: 'wasm · 2 threads',
    } as HistoryEntry;
    expect(matchesSearch(e, 'python t2l-s')).toBe(true);
    expect(matchesSearch(e, 'python webgpu')).toBe(false);
    expect(matchesSearch(e, '  ')).toBe(true);
  });
});

describe('worker analysis', () => {
  const req = (extra: Partial<GenerateRequest>) =>
    ({ descriptions: ['a'], ...extra }) as GenerateRequest;

  it('embeds the blend partner after the description and mixes the two rows', () => {
    const r = req({ blend: { with: 'b', weight: 0.5 } });
    expect(descriptionsToEmbed(r)).toEqual(['a', 'b']);
    const E = 4;
    const emb = { dims: [2, E], data: Float32Array.from([2, 0, 0, 0, 0, 2, 0, 0]) };
    const out = applyBlend(r, emb);
    expect(out.dims).toEqual([1, E]);
    expect([...out.data].map((v) => Number(v.toFixed(5)))).toEqual([1.41421, 1.41421, 0, 0]);
    // An asymmetric weight: row 0 is the description, row 1 the blend partner (weight w).
    const w = 0.2;
    const rows = { dims: [2, E], data: Float32Array.from([3, 1, 0, 2, -1, 0, 4, 1]) };
    const mixed = applyBlend(req({ blend: { with: 'b', weight: w } }), rows).data;
    const want = [0, 1, 2, 3].map((i) => (1 - w) * rows.data[i]! + w * rows.data[E + i]!);
    const norm = Math.hypot(...want);
    [...mixed].forEach((v, i) => expect(v).toBeCloseTo((want[i]! * Math.sqrt(E)) / norm, 5));
    expect(JSON.parse(blendMetadata(r)['t2l.blend']!)).toMatchObject({
      a: 'a',
      b: 'b',
      weight_b: 0.5,
    });
    expect(blendMetadata(req({}))).toEqual({});
    expect(() =>
      descriptionsToEmbed(req({ descriptions: ['a', 'c'], blend: { with: 'b', weight: 0.5 } })),
    ).toThrow('exactly one');
  });

  it('the heatmap uses the rsLoRA scale lora_alpha / sqrt(r) when use_rslora is true', () => {
    const r = 4;
    const inF = 3;
    const outF = 2;
    const A = Float32Array.from({ length: r * inF }, (_, i) => Math.sin(i + 1));
    const B = Float32Array.from({ length: outF * r }, (_, i) => Math.cos(i + 1));
    const adapter: GeneratedAdapter = {
      modules: {
        q: { loraA: A, loraB: B, layers: 1, rank: r, inFeatures: inF, outFeatures: outF },
      },
    };
    const manifest = {
      adapterConfig: { lora_alpha: 16, r, use_rslora: true, target_modules: ['q'] },
      rank: r,
      moduleOrder: ['q'],
      baseModel: 'b',
    } as unknown as PackageManifest;
    const [x] = analyzeAdapters('rs', manifest, [adapter]);
    expect(x!.scale).toBe(16 / 2); // 16 / sqrt(4), not 16 / 4
    // ‖s·B·A‖_F with ΔW formed explicitly.
    let sq = 0;
    for (let o = 0; o < outF; o++)
      for (let i = 0; i < inF; i++) {
        let d = 0;
        for (let k = 0; k < r; k++) d += B[o * r + k]! * A[k * inF + i]!;
        sq += d * d;
      }
    expect(x!.norms[0]![0]).toBeCloseTo(8 * Math.sqrt(sq), 6);
  });

  it('cosines: 1 with itself, symmetric, null across shapes or for unknown ids', () => {
    const adapter = (seed: number, out: number): GeneratedAdapter => {
      let s = seed;
      const next = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
      return {
        modules: {
          q: {
            loraA: Float32Array.from({ length: 2 * 2 * 5 }, next),
            loraB: Float32Array.from({ length: 2 * out * 2 }, next),
            layers: 2,
            rank: 2,
            inFeatures: 5,
            outFeatures: out,
          },
        },
      };
    };
    const manifest = {
      adapterConfig: { lora_alpha: 4, r: 2, use_rslora: false, target_modules: ['q'] },
      rank: 2,
      moduleOrder: ['q'],
      baseModel: 'b',
    } as unknown as PackageManifest;
    const [a] = analyzeAdapters('x', manifest, [adapter(1, 3)]);
    const [b, c] = analyzeAdapters('y', manifest, [adapter(2, 3), adapter(3, 7)]);
    expect(a!.scale).toBe(2);
    expect(a!.norms).toHaveLength(2);
    const m = cosines([a!.id, b!.id, c!.id, 'gone#0']);
    expect(m[0]![0]).toBeCloseTo(1, 10); // computed, not written
    expect(m[0]![1]).toBe(m[1]![0]);
    expect(Math.abs(m[0]![1]!)).toBeLessThan(1);
    expect(m[0]![2]).toBeNull();
    expect(m[3]).toEqual([null, null, null, null]);
  });
});
