import { GraphBuilder, int, ints, float } from '../../src/core/onnx/builder';
import type { FloatTensor } from '../../src/core/runtime/types';
import { mulberry32 } from '../../src/core/eval/sample';

/**
 * A tiny graph over the ops the T2L graph uses (opset 17), shared by the browser harness and the
 * Node reference run so both sides build byte-identical models from the same seed.
 */

function values(rand: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

export const SMOKE_OUTPUTS = ['y', 'ln'] as const;

export function buildSmokeModel(seed = 1): Uint8Array {
  const rand = mulberry32(seed);
  const g = new GraphBuilder('runtime_smoke');
  const x = g.input('x', [2, 3, 8]);
  const bias = g.input('bias', [1, 5]);

  const w1 = g.weight('w1', [8, 16], values(rand, 8 * 16, 0.35));
  const b1 = g.weight('b1', [16], values(rand, 16, 0.1));
  const h = g.op('Add', [g.op('MatMul', [x, w1]), b1]);

  const gamma = g.weight(
    'gamma',
    [16],
    values(rand, 16, 0.5).map((v) => v + 1),
  );
  const beta = g.weight('beta', [16], values(rand, 16, 0.1));
  const ln = g.op('LayerNormalization', [h, gamma, beta], { axis: int(-1), epsilon: float(1e-5) });
  const silu = g.op('Mul', [ln, g.op('Sigmoid', [ln])]);

  // [2,3,16] -> [2,3,4,4] -> [2,4,3,4], then swap the two halves of axis 1 along the last axis.
  const r = g.op('Reshape', [silu, g.int64('shape', [2, 3, 4, 4])]);
  const t = g.op('Transpose', [r], { perm: ints([0, 2, 1, 3]) });
  const axis1 = g.int64('axes', [1]);
  const lo = g.op('Slice', [t, g.int64('starts', [0]), g.int64('ends', [2]), axis1]);
  const hi = g.op('Slice', [t, g.int64('starts', [2]), g.int64('ends', [4]), axis1]);
  const c = g.op('Concat', [hi, lo], { axis: int(3) });

  const w2 = g.weight('w2', [8, 5], values(rand, 8 * 5, 0.35));
  const y = g.op('Add', [g.op('MatMul', [c, w2]), bias]);

  g.output('y', y, [2, 2, 3, 5]);
  g.output('ln', ln, [2, 3, 16]);
  return g.toModel({ producer: 't2l-web runtime smoke' });
}

export function smokeFeeds(seed = 2): Record<string, FloatTensor> {
  const rand = mulberry32(seed);
  return {
    x: { dims: [2, 3, 8], data: values(rand, 2 * 3 * 8, 2) },
    bias: { dims: [1, 5], data: values(rand, 5, 0.5) },
  };
}
