/**
 * How the graph stores its weights, read back from the encoded ONNX model rather than from the
 * manifest: q4 MatMulNBits nodes and their initializers for the block size asked for (checked with
 * a dequantizer written here from onnxruntime's MatMulNBits description), and the initializer
 * size limit on a limit that does not divide any matrix's column width.
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, type Checkpoint } from '../../../src/core/checkpoint/load';
import { memorySource } from '../../../src/core/files';
import { convertCheckpoint } from '../../../src/core/package/model';
import { makeRandomCheckpoint } from '../../../src/fixtures/random-checkpoint';
import { cosine } from '../../support/compare';

const { onnx } = onnxProto;

async function checkpoint(): Promise<Checkpoint> {
  const files = makeRandomCheckpoint({
    taskEmbSize: 96,
    latentSize: 64,
    headInSize: 48, // K = 48: three blocks of 16, one full and one padded block of 32, one of 64
    layers: 3,
    rank: 4,
    modules: [
      { name: 'q_proj', inFeatures: 40, outFeatures: 24 },
      { name: 'v_proj', inFeatures: 40, outFeatures: 8 },
    ],
    sharedABHead: true,
    seed: 21,
  });
  return loadCheckpoint(memorySource('storage', { ...files }));
}

/** IEEE half bits → number, written here (not the code under test's decoder). */
function half(h: number): number {
  const e = (h >> 10) & 31;
  const f = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const attr = (n: onnxProto.onnx.INodeProto, name: string) =>
  Number(n.attribute!.find((a) => a.name === name)?.i ?? NaN);

describe('q4 graph', () => {
  it.each([16, 64])(
    'block size %i: MatMulNBits block_size, initializer shapes, and weights within a step',
    async (blockSize) => {
      const ck = await checkpoint();
      const model = convertCheckpoint(ck, { precision: 'q4', blockSize });
      expect(model.manifest.weights!.blockSize).toBe(blockSize);
      const g = onnx.ModelProto.decode(model.graph).graph!;
      const inits = new Map(g.initializer!.map((t) => [t.name!, t]));
      const producers = new Map(g.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
      const nodes = g.node!.filter((n) => n.opType === 'MatMulNBits');
      expect(nodes.map((n) => n.input![1])).toEqual([
        expect.stringMatching(/^heads\.q_proj\.q4/),
        expect.stringMatching(/^heads\.v_proj\.q4/),
      ]);
      for (const n of nodes) {
        const K = attr(n, 'K');
        const N = attr(n, 'N');
        expect(attr(n, 'block_size')).toBe(blockSize);
        expect(attr(n, 'bits')).toBe(4);
        const blocks = Math.ceil(K / blockSize);
        const packed = inits.get(n.input![1]!)!;
        expect(packed.dims!.map(Number)).toEqual([N, blocks, blockSize / 2]);
        expect(packed.rawData!.length).toBe(N * blocks * (blockSize / 2));
        // Scales: float16 initializer widened by a Cast.
        const cast = producers.get(n.input![2]!)!;
        expect(cast.opType).toBe('Cast');
        const scaleInit = inits.get(cast.input![0]!)!;
        expect(scaleInit.dims!.map(Number)).toEqual([N * blocks]);
        const raw = scaleInit.rawData!;
        const sv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const scales = Array.from({ length: N * blocks }, (_, i) =>
          half(sv.getUint16(2 * i, true)),
        );

        // Dequantize as onnxruntime documents MatMulNBits (contrib_defs): B[n][k] is nibble k of
        // block k / block_size of row n, low nibble first; zero point 8 when none is given.
        const bytes = packed.rawData!;
        const module = n.input![1]!.split('.')[1]!;
        const W = ck.weights.get(`heads.${module}.weight`)!; // [N, K], PyTorch layout
        expect(W.shape).toEqual([N, K]);
        const deq = new Float64Array(N * K);
        for (let r = 0; r < N; r++) {
          for (let k = 0; k < K; k++) {
            const b = Math.floor(k / blockSize);
            const byte =
              bytes[(r * blocks + b) * (blockSize / 2) + Math.floor((k % blockSize) / 2)]!;
            const q = k % 2 === 0 ? byte & 0x0f : byte >> 4;
            const s = scales[r * blocks + b]!;
            deq[r * K + k] = (q - 8) * s;
            // Within one quantization step of the checkpoint's weight.
            expect(Math.abs(deq[r * K + k]! - W.data[r * K + k]!)).toBeLessThanOrEqual(
              Math.abs(s) + 1e-6,
            );
          }
        }
        expect(cosine(deq, W.data)).toBeGreaterThan(0.99);
      }
    },
  );
});

describe('initializer size limit', () => {
  it('no initializer exceeds a limit that divides no matrix column width', async () => {
    const ck = await checkpoint();
    // Column widths here are 4·K bytes (K = 16, 32, 48, 64, 96, 256) for float32, K for int8 and
    // 32 or 16 per column for q4: 3000 is a multiple of none, so rounding the columns per block
    // up instead of down overshoots it.
    const LIMIT = 3000;
    for (const precision of ['fp32', 'fp16', 'int8', 'q4'] as const) {
      const model = convertCheckpoint(ck, { precision, maxInitializerBytes: LIMIT });
      const inits = onnx.ModelProto.decode(model.graph).graph!.initializer!;
      const largest = Math.max(...inits.map((t) => t.rawData!.length));
      expect(largest, precision).toBeLessThanOrEqual(LIMIT);
      expect(inits.length, precision).toBeGreaterThan(80); // really split
    }
  });
});
