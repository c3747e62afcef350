import { WeightTable, type ModuleSpec, type T2LSpec } from '../checkpoint/spec';
import { T2LError } from '../errors';
import type { Tensor } from '../tensor';
import { GraphBuilder, int } from './builder';
import {
  DEFAULT_MAX_INITIALIZER_BYTES,
  DEFAULT_MIN_QUANTIZED_ELEMENTS,
  Layers,
  type WeightFormat,
} from './layers';
import { DEFAULT_Q4_BLOCK_SIZE, Q4_BLOCK_SIZES, type Precision } from './quantize';

export const TASK_EMB_INPUT = 'task_emb';
/** Optional output: the task encoder's result, to check step 1 of the spec alone. */
export const ENCODED_TASK_EMB_OUTPUT = 'encoded_task_emb';
export const loraAName = (module: string) => `${module}.lora_A`;
export const loraBName = (module: string) => `${module}.lora_B`;

export interface GraphOptions {
  maxInitializerBytes?: number;
  /** How the matrix weights are stored (default fp32, the reference's numbers). */
  precision?: Precision;
  /** q4: input features per quantization block (16, 32, 64 or 128; default 32). */
  blockSize?: number;
  /** int8/q4: non-head Linear weights with at least this many elements are quantized too. */
  minQuantizedElements?: number;
  /** q4: store the block scales as float16 (default true). */
  halfScales?: boolean;
  /** q4: MatMulNBits accuracy_level, 0 (float32 activations) or 4 (int8 activations; default). */
  accuracyLevel?: 0 | 4;
  producer?: string;
  metadata?: Record<string, string>;
  /** Also output encoded_task_emb [N, Z/2] (tests and debugging). */
  encodedOutput?: boolean;
}

/**
 * The whole hypernetwork as one ONNX graph: task_emb [N, E] in; for each module m,
 * m.lora_A [N, L, r, in] and m.lora_B [N, L, out, r] out, post-processing included. All N task
 * embeddings, L layers and M modules go through the shared MLPs together, as one batch laid out
 * [N, M, (A|B,) L, (rank,) features]; only the per-module heads are separate MatMuls.
 */
export function buildT2LGraph(
  spec: T2LSpec,
  weights: Map<string, Tensor>,
  options: GraphOptions = {},
): Uint8Array {
  return buildT2LModel(spec, weights, options).graph;
}

/** What a built graph holds, for the package manifest. */
export interface GraphInfo {
  format: WeightFormat;
  /** Checkpoint keys of the matrix weights, by how they are stored. */
  stored: Partial<Record<Precision, string[]>>;
  /** Bytes of all initializers, and of the largest. */
  initializerBytes: number;
  largestInitializerBytes: number;
}

/** The graph and how its weights are stored. */
export function buildT2LModel(
  spec: T2LSpec,
  weights: Map<string, Tensor>,
  options: GraphOptions = {},
): { graph: Uint8Array; info: GraphInfo } {
  const format = weightFormat(options);
  const g = new GraphBuilder('t2l');
  const nn = new Layers(
    g,
    new WeightTable(weights, 'checkpoint'),
    options.maxInitializerBytes ?? DEFAULT_MAX_INITIALIZER_BYTES,
    format,
  );
  const { latentSize: Z, taskEmbSize: E, layers: L, rank: r } = spec;

  const taskEmb = g.input(TASK_EMB_INPUT, ['N', E]);
  const z = nn.layerNorm(nn.linear(taskEmb, 'task_encoder.mlp.0'), 'task_encoder.mlp.1'); // [N, Z/2]
  if (options.encodedOutput) g.output(ENCODED_TASK_EMB_OUTPUT, z, ['N', Z / 2]);
  const depth = nn.layerNorm(nn.const('layer_depth_encoder.0.weight'), 'layer_depth_encoder.1'); // [L, Z/4]
  // Module i of the order uses row i of the type embedding (the reference's enumerate).
  const type = nn.layerNorm(nn.const('layer_type_encoder.0.weight'), 'layer_type_encoder.1'); // [M, Z/4]

  // mixer.1 on concat(z, depth, type) is the sum of three products with column blocks of its
  // weight; broadcasting the sum gives the [N, M, L, 4Z] batch without materializing the concat.
  // Stored like any other Linear of its size (int8 at Z = 512 in int8 and q4 packages).
  const W1 = nn.w.get('mixer.1.weight');
  const f1 = nn.formatFor(4 * Z * Z, false);
  nn.stored.set('mixer.1.weight', f1);
  const zPart = nn.unsqueeze(nn.matmulT(z, W1.data, 4 * Z, Z, 0, Z / 2, 'mixer.1.z', f1), [1, 2]);
  const dPart = nn.matmulT(depth, W1.data, 4 * Z, Z, Z / 2, (3 * Z) / 4, 'mixer.1.depth', f1); // [L, 4Z]
  const tPart = nn.unsqueeze(
    nn.matmulT(type, W1.data, 4 * Z, Z, (3 * Z) / 4, Z, 'mixer.1.type', f1),
    [1],
  );
  let x = g.op('Add', [
    g.op('Add', [zPart, dPart]),
    g.op('Add', [tPart, nn.const('mixer.1.bias')]),
  ]);
  x = nn.silu(nn.linear(nn.silu(x), 'mixer.4')); // [N, M, L, Z]
  const h1 = nn.residual(x, 'mlp1');

  const perModule = headInputs(nn, spec, h1);
  spec.modules.forEach((m, i) => {
    const headIn = nn.pick(perModule.value, i, 1);
    let A: string;
    let B: string;
    if (spec.variant === 'L') {
      ({ A, B } = headL(nn, spec, m, headIn));
    } else {
      const y = nn.linear(headIn, `heads.${m.name}`, true);
      ({ A, B } = perModule.split(y, m));
      ({ A, B } = postProcess(nn, spec, m, A, B));
    }
    g.output(loraAName(m.name), A, ['N', L, r, m.inFeatures]);
    g.output(loraBName(m.name), B, ['N', L, m.outFeatures, r]);
  });

  const graph = g.toModel({
    producer: options.producer ?? 't2l-web',
    doc: `Text-to-LoRA hypernetwork (T2L-${spec.variant}) for ${spec.baseModel}`,
    metadata: options.metadata ?? {},
  });
  const stored: GraphInfo['stored'] = {};
  for (const [key, p] of nn.stored) (stored[p] ??= []).push(key);
  return {
    graph,
    info: {
      format,
      stored,
      initializerBytes: g.initializerBytes,
      largestInitializerBytes: g.largestInitializerBytes,
    },
  };
}

/** The weight format for the options, checked. */
export function weightFormat(options: GraphOptions): WeightFormat {
  const blockSize = options.blockSize ?? DEFAULT_Q4_BLOCK_SIZE;
  if (!(Q4_BLOCK_SIZES as readonly number[]).includes(blockSize)) {
    throw new T2LError(
      'bad-input',
      `q4 block size ${blockSize} is not one of ${Q4_BLOCK_SIZES.join(', ')} (what MatMulNBits supports everywhere)`,
    );
  }
  return {
    precision: options.precision ?? 'fp32',
    blockSize,
    minQuantizedElements: options.minQuantizedElements ?? DEFAULT_MIN_QUANTIZED_ELEMENTS,
    halfScales: options.halfScales ?? true,
    accuracyLevel: options.accuracyLevel ?? 4,
  };
}

/**
 * The head of module m in T2L-L, with everything after it folded in. The head's output rows for A
 * and for Bᵀ become two products: A's columns as they are, B's permuted so that the product comes
 * out in lora_B's [out, r] order (no Slice, no Transpose). The bias and the post-processing (AB
 * offsets, z-score de-normalization, recon scaling) are per-element affine maps, precomputed into
 * one scale and one shift per output ([L, columns]), so each part takes at most a Mul and an Add.
 */
function headL(nn: Layers, spec: T2LSpec, m: ModuleSpec, x: string): { A: string; B: string } {
  const { layers: L, rank: r, headInSize: H } = spec;
  const key = `heads.${m.name}`;
  const W = nn.w.get(`${key}.weight`);
  const O = W.shape[0]!;
  const format = nn.formatFor(O * H, true);
  nn.stored.set(`${key}.weight`, format);
  const bias = nn.w.has(`${key}.bias`) ? nn.w.get(`${key}.bias`).data : undefined;
  const ri = r * m.inFeatures;
  const ro = r * m.outFeatures;
  const rowsA = new Int32Array(ri).map((_, j) => j);
  // Column o·r + k of the B product is row k of Bᵀ, feature o: head output ri + k·out + o.
  const rowsB = new Int32Array(ro);
  for (let o = 0; o < m.outFeatures; o++) {
    for (let k = 0; k < r; k++) rowsB[o * r + k] = ri + k * m.outFeatures + o;
  }
  const part = (X: 'A' | 'B', rows: Int32Array, shape: [0, number, number, number]) => {
    const g = nn.g;
    // Reshaped first (a view of the product), so that the last op writes the graph output itself.
    const y = nn.reshape(nn.matmulT(x, W.data, O, H, 0, H, `${key}.${X}`, format, rows), shape);
    const { scale, shift } = affinePostProcess(nn, spec, m, X, rows, bias);
    // Constants per layer and column are [L, a, b]; per column only, [a, b].
    const dims = (data: Float32Array) =>
      data.length === rows.length ? shape.slice(2) : shape.slice(1);
    // In q4 packages the per-layer constants are stored as float16 too (their rounding, 5e-4
    // relative, is far below the 4-bit heads'): 13.6 MB less for Llama-L.
    const constant = (name: string, data: Float32Array) =>
      format === 'q4' ? nn.halfConst(name, dims(data), data) : g.weight(name, dims(data), data);
    let v = y;
    if (typeof scale === 'number') {
      if (scale !== 1) {
        v = g.op('Mul', [v, g.weight(`${key}.${X}.scale`, [], Float32Array.of(scale))]);
      }
    } else {
      v = g.op('Mul', [v, constant(`${key}.${X}.scale`, scale)]);
    }
    if (shift) v = g.op('Add', [v, constant(`${key}.${X}.shift`, shift)]);
    return v;
  };
  return {
    A: part('A', rowsA, [0, L, r, m.inFeatures]),
    B: part('B', rowsB, [0, L, m.outFeatures, r]),
  };
}

/**
 * The spec's "after the head" steps for T2L-L, with the head's bias, as X = y·scale + shift on
 * the product y = x·Wᵀ (columns `rows` of the head). The per-layer tensors (AB_offset,
 * mean/std_recon_target) are [L, r, in] for A and [L, out, r] for B, i.e. already in the product's
 * column order. No shift when it is all zero.
 */
function affinePostProcess(
  nn: Layers,
  spec: T2LSpec,
  m: ModuleSpec,
  X: 'A' | 'B',
  rows: Int32Array,
  bias: Float32Array | undefined,
): { scale: number | Float32Array; shift: Float32Array | undefined } {
  const L = spec.layers;
  const cols = rows.length;
  const b = (j: number) => (bias ? bias[rows[j]!]! : 0);
  const perLayer = (name: string) => nn.w.get(`${name}.${X}.${m.name}`).data;
  const result = (scale: number | Float32Array, shift: Float32Array) => ({
    scale,
    shift: isZero(shift) ? undefined : shift,
  });
  if (spec.trainingTask === 'recon' && !spec.factorized) {
    // X = (y + b) / sqrt(delta_w_scaling)
    const c = Math.sqrt(spec.deltaWScaling);
    return result(
      1 / c,
      Float32Array.from({ length: cols }, (_, j) => b(j) / c),
    );
  }
  const off = perLayer('AB_offset');
  const shift = new Float32Array(L * cols);
  if (spec.trainingTask === 'recon' && spec.predZScore) {
    // X = (y + b)·(std + 1e-10) + mean + offset
    const std = perLayer('std_recon_target');
    const mean = perLayer('mean_recon_target');
    const scale = new Float32Array(L * cols);
    for (let i = 0; i < L * cols; i++) {
      const s = Math.fround(std[i]! + 1e-10);
      scale[i] = s;
      shift[i] = b(i % cols) * s + mean[i]! + off[i]!;
    }
    return result(scale, shift);
  }
  // X = y + b + offset (sft, and factorized recon without z-scores)
  for (let i = 0; i < L * cols; i++) shift[i] = b(i % cols) + off[i]!;
  return result(1, shift);
}

interface HeadInputs {
  /** [N, M, ..., H]: the head input for every module; picked along axis 1. */
  value: string;
  /** Turns the head output of one module into A [N, L, r, in] and B [N, L, out, r]. */
  split(y: string, m: ModuleSpec): { A: string; B: string };
}

function headInputs(nn: Layers, spec: T2LSpec, h1: string): HeadInputs {
  const { layers: L, rank: r } = spec;
  const g = nn.g;
  const transposeB = (bt: string) =>
    g.op('Transpose', [bt], { perm: { kind: 'ints', value: [0, 1, 3, 2] } });

  switch (spec.variant) {
    case 'L': {
      // head output [N, L, r·in + r·out]: A row-major, then Bᵀ row-major.
      const value = nn.mlp3(nn.residual(h1, 'mlp2'));
      return {
        value,
        split: (y, m) => {
          const ri = r * m.inFeatures;
          const A = nn.reshape(nn.slice(y, [0], [ri], [-1]), [0, L, r, m.inFeatures]);
          const bt = nn.reshape(nn.slice(y, [ri], [ri + r * m.outFeatures], [-1]), [
            0,
            L,
            r,
            m.outFeatures,
          ]);
          return { A, B: transposeB(bt) };
        },
      };
    }
    case 'M':
    case 'S': {
      // g = MLP2(h1 + LN_oe(out_emb.<m>.X)) for X in (A, B): [N, M, 2, L, Z].
      const hx = g.op('Add', [nn.unsqueeze(h1, [2]), outEmbeddings(nn, spec)]);
      let v = nn.residual(hx, 'mlp2');
      if (spec.variant === 'S') v = rankPositions(nn, spec, nn.unsqueeze(v, [4]), true); // [N, M, 2, L, r, Z]
      const value = nn.mlp3(v);
      const rows = spec.variant === 'M';
      return {
        value,
        split: (y, m) => {
          // M: y is [N, 2, L, r·max], viewed [.., r, max]; S: y is [N, 2, L, r, max].
          const yy = rows ? nn.reshape(y, [0, 2, L, r, m.headOut / r]) : y;
          const pickX = (x: number, width: number) =>
            nn.reshape(nn.slice(yy, [x, 0], [x + 1, width], [1, -1]), [0, L, r, width]);
          return { A: pickX(0, m.inFeatures), B: transposeB(pickX(1, m.outFeatures)) };
        },
      };
    }
    case 'autoreg-unshared': {
      // One rank at a time: [N, M, L, r, Z] → head rows [in | out] per rank.
      const v = rankPositions(nn, spec, nn.unsqueeze(h1, [3]), false);
      const value = nn.mlp3(v);
      return {
        value,
        split: (y, m) => {
          const A = nn.slice(y, [0], [m.inFeatures], [-1]);
          const bt = nn.slice(y, [m.inFeatures], [m.inFeatures + m.outFeatures], [-1]);
          return { A, B: transposeB(bt) };
        },
      };
    }
  }
}

/** LN_oe of out_emb.<m>.A/B stacked as [1, M, 2, 1, Z], broadcast against [N, M, 1, L, Z]. */
function outEmbeddings(nn: Layers, spec: T2LSpec): string {
  const Z = spec.latentSize;
  const M = spec.modules.length;
  const data = new Float32Array(M * 2 * Z);
  spec.modules.forEach((m, i) => {
    data.set(nn.w.get(`out_emb.${m.name}.A`).data, 2 * i * Z);
    data.set(nn.w.get(`out_emb.${m.name}.B`).data, (2 * i + 1) * Z);
  });
  const normed = nn.layerNorm(nn.g.weight('out_emb', [M, 2, Z], data), 'out_emb_norm');
  return nn.reshape(normed, [1, M, 2, 1, Z]);
}

/**
 * Adds the rank axis (size r, already unsqueezed to 1 in `u`) with the variant's positions.
 * Rotary: g_k = MLP2(rope_k(u)). Learned: shared head g_k = u + MLP2(LN_pe(P_k));
 * unshared g_k = MLP2(u + LN_pe(P_k)).
 */
function rankPositions(nn: Layers, spec: T2LSpec, u: string, sharedHead: boolean): string {
  const g = nn.g;
  const { rank: r, latentSize: Z } = spec;
  if (spec.positions === 'learned') {
    const pe = nn.layerNorm(nn.const('pos_emb.0.weight'), 'pos_emb.1'); // [r, Z]
    if (sharedHead) return g.op('Add', [u, nn.residual(pe, 'mlp2')]);
    return nn.residual(g.op('Add', [u, pe]), 'mlp2');
  }
  const { cos, sin } = rotaryTables(r, Z);
  const half = Z / 2;
  const rotated = g.op(
    'Concat',
    [g.op('Neg', [nn.slice(u, [half], [Z], [-1])]), nn.slice(u, [0], [half], [-1])],
    {
      axis: int(-1),
    },
  );
  const roped = g.op('Add', [
    g.op('Mul', [u, g.weight('rope_cos', [r, Z], cos)]),
    g.op('Mul', [rotated, g.weight('rope_sin', [r, Z], sin)]),
  ]);
  return nn.residual(roped, 'mlp2');
}

/** cos/sin of f_k = concat(k·inv, k·inv), inv_j = 10000^(-2j/Z), as LlamaRotaryEmbedding computes in float32. */
export function rotaryTables(r: number, Z: number): { cos: Float32Array; sin: Float32Array } {
  const half = Z / 2;
  const cos = new Float32Array(r * Z);
  const sin = new Float32Array(r * Z);
  for (let j = 0; j < half; j++) {
    // The reference builds inv_freq in float32 and multiplies positions in float32.
    const inv = Math.fround(1 / Math.pow(10000, Math.fround((2 * j) / Z)));
    for (let k = 0; k < r; k++) {
      const f = Math.fround(k * inv);
      cos[k * Z + j] = cos[k * Z + j + half] = Math.cos(f);
      sin[k * Z + j] = sin[k * Z + j + half] = Math.sin(f);
    }
  }
  return { cos, sin };
}

/** The spec's "after the head" steps for one module. */
function postProcess(
  nn: Layers,
  spec: T2LSpec,
  m: ModuleSpec,
  A: string,
  B: string,
): { A: string; B: string } {
  const g = nn.g;
  // All-zero offsets (a checkpoint not trained from a multi-task LoRA) add nothing: skip them.
  const offset = (X: 'A' | 'B', v: string) =>
    isZero(nn.w.get(`AB_offset.${X}.${m.name}`).data)
      ? v
      : g.op('Add', [v, nn.const(`AB_offset.${X}.${m.name}`)]);
  if (spec.trainingTask === 'sft') return { A: offset('A', A), B: offset('B', B) };
  if (spec.factorized) {
    const zscore = (X: 'A' | 'B', v: string) => {
      if (!spec.predZScore) return v;
      const std = g.op('Add', [
        nn.const(`std_recon_target.${X}.${m.name}`),
        g.weight('eps', [], Float32Array.of(1e-10)),
      ]);
      return g.op('Add', [g.op('Mul', [v, std]), nn.const(`mean_recon_target.${X}.${m.name}`)]);
    };
    return { A: offset('A', zscore('A', A)), B: offset('B', zscore('B', B)) };
  }
  const scale = g.weight(
    'sqrt_delta_w_scaling',
    [],
    Float32Array.of(Math.sqrt(spec.deltaWScaling)),
  );
  return { A: g.op('Div', [A, scale]), B: g.op('Div', [B, scale]) };
}

function isZero(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
