import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyEncoder } from '../../../scripts/fixtures/write-tiny-encoder';
import { createTextEncoder } from '../../../src/core/encoder/text-encoder';
import {
  ENCODER_DTYPE_FILES,
  makeTinyEncoder,
  type EncoderShape,
} from '../../../src/fixtures/tiny-encoder';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

function ints(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [
    rows.length,
    rows[0]!.length,
  ]);
}

describe('makeTinyEncoder', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = makeTinyEncoder({ hiddenSize: 16 });
    const b = makeTinyEncoder({ hiddenSize: 16 });
    const c = makeTinyEncoder({ hiddenSize: 16, seed: 7 });
    expect(a['onnx/model.onnx']).toEqual(b['onnx/model.onnx']);
    expect(a['onnx/model.onnx']).not.toEqual(c['onnx/model.onnx']);
    expect(a['tokenizer.json']).toEqual(c['tokenizer.json']);
  });

  it('gives a CLS row that depends on every token but not on padding', async () => {
    const H = 16;
    const session = await ort.InferenceSession.create(
      makeTinyEncoder({ hiddenSize: H })['onnx/model.onnx'] as Uint8Array,
    );
    const run = async (ids: number[][], mask: number[][]) => {
      const out = await session.run({
        input_ids: ints(ids),
        attention_mask: ints(mask),
        token_type_ids: ints(ids.map((r) => r.map(() => 0))),
      });
      const t = out['last_hidden_state']!;
      expect(t.dims).toEqual([ids.length, ids[0]!.length, H]);
      return t.data as Float32Array;
    };
    const alone = await run([[2, 40, 41, 3]], [[1, 1, 1, 1]]);
    const padded = await run([[2, 40, 41, 3, 0, 0]], [[1, 1, 1, 1, 0, 0]]);
    const changedLast = await run([[2, 40, 42, 3]], [[1, 1, 1, 1]]);
    for (let i = 0; i < H; i++) expect(padded[i]).toBeCloseTo(alone[i]!, 5);
    expect(
      Math.max(...alone.subarray(0, H).map((v, i) => Math.abs(v - changedLast[i]!))),
    ).toBeGreaterThan(1e-3);
    await session.release();
  });

  it('a shaped random transformer honours the attention mask: each padded row is its text alone', async () => {
    const H = 32;
    const shape: EncoderShape = {
      layers: 2,
      hidden: H,
      heads: 2,
      intermediate: 48,
      vocabSize: 100,
      maxPositions: 16,
      gatedMlp: false,
    };
    const session = await ort.InferenceSession.create(
      makeTinyEncoder({ size: shape })['onnx/model.onnx'] as Uint8Array,
    );
    try {
      const run = async (ids: number[][], mask: number[][]) => {
        const out = await session.run({
          input_ids: ints(ids),
          attention_mask: ints(mask),
          token_type_ids: ints(ids.map((r) => r.map(() => 0))),
        });
        return out['last_hidden_state']!.data as Float32Array;
      };
      const rows = [
        [2, 40, 41, 42, 43, 3],
        [2, 50, 3],
      ];
      const n = rows[0]!.length;
      const padded = await run(
        rows.map((r) => [...r, ...Array<number>(n - r.length).fill(0)]),
        rows.map((r) => [...r.map(() => 1), ...Array<number>(n - r.length).fill(0)]),
      );
      for (const [i, r] of rows.entries()) {
        const alone = await run([r], [r.map(() => 1)]);
        const real = padded.subarray(i * n * H, (i * n + r.length) * H);
        const worst = Math.max(...real.map((v, j) => Math.abs(v - alone[j]!)));
        expect(worst, `row ${i}`).toBeLessThan(1e-5);
      }
    } finally {
      await session.release();
    }
  });

  it('sets the embedding width through hiddenSize', async () => {
    const root = await mkdtemp(join(tmpdir(), 't2l-tiny-'));
    roots.push(root);
    await writeTinyEncoder(join(root, 'tiny-64'), { hiddenSize: 64 });
    const encoder = await createTextEncoder({ localPath: join(root, 'tiny-64') });
    const out = await encoder.embed(['Answer the question']);
    expect(encoder.dim).toBe(64);
    expect(out.dims).toEqual([1, 64]);
    expect(Math.hypot(...out.data)).toBeCloseTo(8, 4);
    await encoder.dispose();
  });

  it('writes a shaped random transformer at every dtype, under transformers.js file names', async () => {
    const shape: EncoderShape = {
      layers: 2,
      hidden: 64,
      heads: 4,
      intermediate: 128,
      vocabSize: 1000,
      maxPositions: 64,
      gatedMlp: true,
    };
    const root = await mkdtemp(join(tmpdir(), 't2l-shaped-'));
    roots.push(root);
    const dir = join(root, 'shaped');
    await writeTinyEncoder(dir, { size: shape, dtypes: ['fp32', 'fp16', 'q8', 'q4'] });
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({ num_hidden_layers: 2, hidden_size: 64, vocab_size: 1000 });
    const rows: Record<string, Float32Array> = {};
    for (const dtype of ['fp32', 'fp16', 'q8', 'q4'] as const) {
      expect(existsSync(join(dir, ENCODER_DTYPE_FILES[dtype]))).toBe(true);
      const encoder = await createTextEncoder({ localPath: dir, dtype, device: 'cpu' });
      rows[dtype] = (await encoder.embed(['Solve the math problems step by step'])).data;
      await encoder.dispose();
    }
    const cos = (a: Float32Array, b: Float32Array) =>
      a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);
    for (const dtype of ['fp16', 'q8', 'q4']) {
      expect(cos(rows[dtype]!, rows['fp32']!)).toBeGreaterThan(0.99);
    }
  });
});
