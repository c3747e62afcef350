import type { EncoderShape } from '../../src/fixtures/tiny-encoder';
import type { EncoderBench } from './encoder-bench';
import type { EncoderCaseResult } from './encoder-types';

const fixed = (d: number) => (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–';
const f0 = fixed(0);
const f1 = fixed(1);
const f2 = fixed(2);
const ms = (v: number) => (v >= 100 ? f0(v) : f1(v));

/**
 * Multiply-adds ×2 of encoding one sequence of `tokens` tokens: every Linear once per token
 * (q, k, v, o; up, gate, down) and attention's two products (QKᵀ and PV, tokens² × hidden each).
 */
export function encoderFlops(s: EncoderShape, tokens: number): number {
  const D = s.hidden;
  const linear = 4 * D * D + (s.gatedMlp ? 3 : 2) * D * s.intermediate;
  return 2 * s.layers * (tokens * linear + 2 * tokens * tokens * D);
}

export interface EncoderReportContext {
  /** onnxruntime-node's float32 MatMul ceiling (GFLOP/s) in the same run. */
  nodeGflops?: number;
  /** onnxruntime-web's wasm MatMul ceiling in Chromium, same run. */
  wasmGflops?: number;
}

function encodeCells(
  bench: EncoderBench,
  r: EncoderCaseResult,
  tokens: number,
  ceiling: number | undefined,
): string {
  const s = r.encode[tokens];
  if (!s) return '– | – | –';
  const flops = encoderFlops(bench.shape, tokens);
  const floor = ceiling ? (1000 * flops) / (ceiling * 1e9) : NaN;
  return `${ms(s.median)} (${ms(s.min)}–${ms(s.max)}, ${s.runs}) | ${f1(flops / (s.median / 1000) / 1e9)} | ${f2(s.median / floor)}`;
}

/** The encoder tables for docs/benchmarks.md (between the bench-encoder markers). */
export function renderEncoderReport(
  bench: EncoderBench,
  ctx: EncoderReportContext,
  header: string,
): string {
  const s = bench.shape;
  const params = (() => {
    const D = s.hidden;
    const perLayer = 4 * (D * D + D) + (s.gatedMlp ? 2 : 1) * (D * s.intermediate + s.intermediate);
    return (
      s.layers * (perLayer + s.intermediate * D + D + 4 * D) +
      (s.vocabSize + s.maxPositions + 2 + 2) * D
    );
  })();
  const lines = [
    header,
    '',
    `Encoder: random weights, ${s.layers} layers, hidden ${s.hidden}, ${s.heads} heads, ` +
      `${s.gatedMlp ? `gated MLP 2 × ${s.intermediate}` : `MLP ${s.intermediate}`}, vocabulary ${s.vocabSize}, ` +
      `${s.maxPositions} learned positions: ${f0(params / 1e6)}M parameters; files ` +
      Object.entries(bench.bytes)
        .map(([d, b]) => `${d} ${f0(b / 2 ** 20)} MiB`)
        .join(', ') +
      `. Work: ${f1(encoderFlops(s, 30) / 1e9)} GFLOP for 30 tokens, ${f1(encoderFlops(s, 300) / 1e9)} for 300. ` +
      `× floor: the median over the FLOPs at the same run's float32 MatMul ceiling ` +
      `(Node ${f0(ctx.nodeGflops)} GFLOP/s; Chromium wasm ${f0(ctx.wasmGflops)}; none for WebGPU, which is SwiftShader here).`,
    '',
    '| runtime | backend | dtype | session s | 30 tokens ms: median (min–max, runs) | GFLOP/s | × floor | 300 tokens ms: median (min–max, runs) | GFLOP/s | × floor | first run 30 / 300 ms | load |',
    '| --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: | --- | ---: |',
  ];
  for (const r of [...bench.node, ...bench.chromium]) {
    const where = `| ${r.runtime} | ${r.backend} | ${r.dtype} |`;
    if (r.error) {
      lines.push(`${where} failed: ${r.error} | | | | | | | | ${f1(r.loadAverage?.[0])} |`);
      continue;
    }
    const ceiling =
      r.backend === 'cpu' ? ctx.nodeGflops : r.backend === 'wasm' ? ctx.wasmGflops : undefined;
    lines.push(
      `${where} ${f2(r.sessionMs / 1000)} | ${encodeCells(bench, r, 30, ceiling)} | ${encodeCells(bench, r, 300, ceiling)} | ` +
        `${f0(r.encode[30]?.firstMs)} / ${f0(r.encode[300]?.firstMs)} | ${f1(r.loadAverage?.[0])} |`,
    );
  }
  if (bench.pipelines.length) {
    lines.push(
      '',
      'Whole pipeline, one 30-token description at a time with warm sessions: encode + Mistral-7B T2L-L ' +
        'generation + packing the PEFT folder (float32 safetensors); medians of the runs after one untimed run. ' +
        'Sessions and conversion are one-time costs, listed apart.',
      '',
      '| runtime | encoder dtype | T2L precision | encoder session s | convert s | T2L session s | encode ms | generate ms | pack ms | total ms: median (min–max, runs) | safetensors MiB | load |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    for (const p of bench.pipelines) {
      const where = `| ${p.runtime}${p.runtime === 'chromium' ? ' wasm' : ''} | ${p.encoderDtype} | ${p.precision} |`;
      if (p.error) {
        lines.push(`${where} failed: ${p.error} | | | | | | | | ${f1(p.loadAverage?.[0])} |`);
        continue;
      }
      lines.push(
        `${where} ${f2(p.encoderSessionMs / 1000)} | ${f2(p.convertMs / 1000)} | ${f2(p.t2lSessionMs / 1000)} | ` +
          `${ms(p.encode.median)} | ${ms(p.generate.median)} | ${ms(p.pack.median)} | ` +
          `${ms(p.total.median)} (${ms(p.total.min)}–${ms(p.total.max)}, ${p.total.runs}) | ${f1(p.safetensorsMiB)} | ${f1(p.loadAverage?.[0])} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
