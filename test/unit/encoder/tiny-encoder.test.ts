import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTinyEncoder } from '../../../scripts/fixtures/write-tiny-encoder';
import { createTextEncoder } from '../../../src/core/encoder/text-encoder';
import { makeTinyEncoder } from '../../../src/fixtures/tiny-encoder';

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
});
