import { WeightTable, type ModuleSpec, type T2LSpec } from '../checkpoint/spec';
import type { Tensor } from '../tensor';
import { GraphBuilder, int } from './builder';
import { DEFAULT_MAX_INITIALIZER_BYTES, Layers } from './layers';

export const TASK_EMB_INPUT = 'task_emb';
/** Optional output: the task encoder's result, to check step 1 of the spec alone. */
export const ENCODED_TASK_EMB_OUTPUT = 'encoded_task_emb';
export const loraAName = (module: string) => `${module}.lora_A`;
export const loraBName = (module: string) => `${module}.lora_B`;

export interface GraphOptions {
  maxInitializerBytes?: number;
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
  const g = new GraphBuilder('t2l');
  const nn = new Layers(
    g,
    new WeightTable(weights, 'checkpoint'),
    options.maxInitializerBytes ?? DEFAULT_MAX_INITIALIZER_BYTES,
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
  const W1 = nn.w.get('mixer.1.weight');
  const zPart = nn.unsqueeze(nn.matmulT(z, W1.data, 4 * Z, Z, 0, Z / 2, 'mixer.1.z'), [1, 2]);
  const dPart = nn.matmulT(depth, W1.data, 4 * Z, Z, Z / 2, (3 * Z) / 4, 'mixer.1.depth'); // [L, 4Z]
  const tPart = nn.unsqueeze(
    nn.matmulT(type, W1.data, 4 * Z, Z, (3 * Z) / 4, Z, 'mixer.1.type'),
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
    const y = nn.linear(headIn, `heads.${m.name}`);
    let { A, B } = perModule.split(y, m);
    ({ A, B } = postProcess(nn, spec, m, A, B));
    g.output(loraAName(m.name), A, ['N', L, r, m.inFeatures]);
    g.output(loraBName(m.name), B, ['N', L, m.outFeatures, r]);
  });

  return g.toModel({
    producer: options.producer ?? 't2l-web',
    doc: `Text-to-LoRA hypernetwork (T2L-${spec.variant}) for ${spec.baseModel}`,
    metadata: options.metadata ?? {},
  });
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
  const offset = (X: 'A' | 'B', v: string) =>
    g.op('Add', [v, nn.const(`AB_offset.${X}.${m.name}`)]);
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
