/**
 * The machine's own limits, measured in the same run as the cases: a large float32 MatMul in
 * onnxruntime-node (GFLOP/s, best of several runs) and a large memory copy (GB/s counted as STREAM
 * does for Copy: bytes read plus bytes written).
 * `tsx scripts/bench/ceilings.ts` prints one JSON line.
 */
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { WeightTable } from '../../src/core/checkpoint/spec';
import { GraphBuilder } from '../../src/core/onnx/builder';
import { FP32_FORMAT, Layers } from '../../src/core/onnx/layers';

const { onnx } = onnxProto;
const THREADS = 2;

export interface Ceilings {
  matmul: { m: number; k: number; n: number; gflops: number; threads: number };
  /** Large float32 MatMul with as few rows as one T2L-L head product (32 rows, K 512). */
  matmulFewRows: { m: number; k: number; n: number; gflops: number };
  /** onnxruntime's 4-bit MatMulNBits (block 32, accuracy_level 4) at the same head shape. */
  matmulNBitsFewRows: { m: number; k: number; n: number; gflops: number };
  copy: { bytes: number; gbps: number };
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** The same product through the project's own q4 layer (MatMulNBits), timed the same way. */
async function matmulNBitsGflops(m: number, k: number, n: number, runs: number): Promise<number> {
  const g = new GraphBuilder('ceiling_q4');
  const x = g.input('x', [m, k]);
  const nn = new Layers(
    g,
    new WeightTable(new Map([['w.weight', { shape: [n, k], data: rand(n * k) }]]), 'w'),
    undefined,
    { ...FP32_FORMAT, precision: 'q4' },
  );
  g.output('y', nn.linear(x, 'w', true), [m, n]);
  return time(g.toModel({ producer: 'bench' }), m, k, n, runs);
}

async function matmulGflops(m: number, k: number, n: number, runs: number): Promise<number> {
  const w = rand(k * n);
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'ceiling',
      node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [k, n], dataType: 1, rawData: new Uint8Array(w.buffer) }],
      input: [io('x', [m, k])],
      output: [io('y', [m, n])],
    },
  }).finish();
  return time(model, m, k, n, runs);
}

async function time(model: Uint8Array, m: number, k: number, n: number, runs: number) {
  const session = await InferenceSession.create(model, { intraOpNumThreads: THREADS });
  const x = new Tensor('float32', rand(m * k), [m, k]);
  await session.run({ x });
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run({ x });
    best = Math.min(best, performance.now() - t);
  }
  await session.release();
  return (2 * m * k * n) / (best / 1000) / 1e9;
}

function io(name: string, dims: number[]) {
  return {
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function copyGbps(bytes: number, runs: number): number {
  const src = new Float64Array(bytes / 8).fill(1.5);
  const dst = new Float64Array(bytes / 8);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t);
  }
  return (2 * bytes) / (best / 1000) / 1e9;
}

export async function measureCeilings(): Promise<Ceilings> {
  const big = { m: 1024, k: 2048, n: 4096 };
  const few = { m: 32, k: 512, n: 65536 };
  return {
    matmul: { ...big, gflops: await matmulGflops(big.m, big.k, big.n, 8), threads: THREADS },
    matmulFewRows: { ...few, gflops: await matmulGflops(few.m, few.k, few.n, 15) },
    matmulNBitsFewRows: { ...few, gflops: await matmulNBitsGflops(few.m, few.k, few.n, 15) },
    copy: { bytes: 512 * 2 ** 20, gbps: copyGbps(512 * 2 ** 20, 8) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(await measureCeilings()) + '\n');
}
