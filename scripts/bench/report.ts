import type { Ceilings } from './ceilings';
import { SHAPES } from './shapes';
import type { CaseResult } from './types';

export interface BenchRun {
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    loadAtStart: number[];
    loadAtEnd?: number[];
  };
  /** The best of the measurements at the start and at the end. */
  ceilings: Ceilings;
  ceilingsAtEnd?: Ceilings;
  browserCeilings?: { matmulGflops: number; matmulFewRowsGflops: number; threads: number };
  node: CaseResult[];
  chromium: CaseResult[];
  seconds?: number;
}

// NaN (and null, which JSON makes of it) prints as a dash: a figure not measured.
const fixed = (d: number) => (v: number | null) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–';
const f0 = fixed(0);
const f1 = fixed(1);
const f2 = fixed(2);
const ms = (v: number | null) => (v !== null && v >= 100 ? f0(v) : f1(v));
const sec = (v: number) => f2(v / 1000);

/**
 * Bytes of weights one generation reads as the runtime holds them: fp16 weights are widened to
 * float32 when the session is created (a folded Cast), so they read what fp32 reads; int8 ones
 * stay 8-bit (DynamicQuantizeMatMul) and q4 ones 4-bit.
 */
export function runtimeWeightBytes(run: BenchRun, r: CaseResult): number {
  if (r.precision !== 'fp16') return r.weightBytes;
  const fp32 = run.node.find((x) => x.shape === r.shape && x.precision === 'fp32' && !x.error);
  return fp32?.weightBytes ?? r.weightBytes;
}

/** The floor set by the ceilings: FLOPs over GFLOP/s or weight bytes over GB/s, the larger. */
export function floorMs(run: BenchRun, r: CaseResult, n = 1): number {
  const compute = (n * r.flopsPerEmbedding) / (run.ceilings.matmul.gflops * 1e9);
  const memory = runtimeWeightBytes(run, r) / (run.ceilings.copy.gbps * 1e9);
  return 1000 * Math.max(compute, memory);
}

const label = (id: string) => SHAPES.find((s) => s.id === id)?.label ?? id;

export function renderReport(run: BenchRun): string {
  const c = run.ceilings;
  const lines: string[] = [];
  lines.push(
    `Run of ${run.date.slice(0, 16).replace('T', ' ')} UTC on ${run.machine.cpus} × ${run.machine.cpuModel}, ` +
      `${f0(run.machine.memGiB)} GiB, Node ${run.machine.node}; 1-minute load average ` +
      `${f1(run.machine.loadAtStart[0]!)} at the start, ${f1(run.machine.loadAtEnd?.[0] ?? NaN)} at the end` +
      (run.seconds ? `; ${f0(run.seconds)} s in all.` : '.'),
    '',
    `**Ceilings** (same run): float32 MatMul in onnxruntime-node ${f0(c.matmul.gflops)} GFLOP/s ` +
      `([${c.matmul.m}×${c.matmul.k}]·[${c.matmul.k}×${c.matmul.n}], ${c.matmul.threads} threads; ` +
      `${f0(c.matmulFewRows.gflops)} GFLOP/s at 32 rows × ${c.matmulFewRows.k} × ${c.matmulFewRows.n}, the shape of one T2L-L head; ` +
      `4-bit MatMulNBits at that shape ${f0(c.matmulNBitsFewRows.gflops)} GFLOP/s), ` +
      `memory copy ${f1(c.copy.gbps)} GB/s (read + write, ${c.copy.bytes / 2 ** 20} MiB)` +
      (run.browserCeilings
        ? `; onnxruntime-web wasm MatMul in Chromium ${f0(run.browserCeilings.matmulGflops)} GFLOP/s ` +
          `(${f0(run.browserCeilings.matmulFewRowsGflops)} at 32 rows, ${run.browserCeilings.threads} threads).`
        : '.'),
    '',
  );

  lines.push(
    '### onnxruntime-node (CPU, 2 threads)',
    '',
    '| checkpoint | precision | .pt MiB | package MiB | read s | convert s | session s | 1 adapter ms: median (min–max) | GFLOP/s | weights GB/s | × floor | 8 adapters ms | ÷ 8 singles | peak RSS MiB | min cosine | max rel. error | load |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of run.node) {
    if (r.error) {
      lines.push(`| ${label(r.shape)} | ${r.precision} | failed: ${r.error} |`);
      continue;
    }
    const t = r.single.median / 1000;
    lines.push(
      `| ${label(r.shape)} | ${r.precision} | ${f0(r.ptMiB)} | ${f1(r.packageMiB)} | ${sec(r.readMs)} | ${sec(r.convertMs)} | ${sec(r.sessionMs)} | ` +
        `${ms(r.single.median)} (${ms(r.single.min)}–${ms(r.single.max)}) | ${f0(r.flopsPerEmbedding / t / 1e9)} | ` +
        `${f1(runtimeWeightBytes(run, r) / t / 1e9)} | ${f2(r.single.median / floorMs(run, r))} | ${ms(r.batch8.median)} | ${f2(batchRatio(r))} | ` +
        `${f0(r.memory['peakRssMiB']!)} | ${r.fidelity ? r.fidelity.minCosine.toFixed(5) : ''} | ` +
        `${r.fidelity ? r.fidelity.maxRelError.toExponential(1) : ''} | ${f1(r.loadAverage?.[0] ?? NaN)} |`,
    );
  }

  const passes = Math.max(0, ...run.node.map((r) => r.passMedians?.length ?? 0));
  if (passes > 1) {
    lines.push(
      '',
      `Each Node case ran in ${passes} separate passes; the table keeps each case's pass with the lowest median (every pass's median is in the JSON).`,
    );
  }

  if (run.chromium.length) {
    lines.push(
      '',
      '### Headless Chromium (onnxruntime-web; wasm with 2 threads, WebGPU on SwiftShader)',
      '',
      '| checkpoint | precision | backend | package MiB | fetch s | read s | convert s | renderer peak Δ in conversion (× .pt) | session s | 1 adapter ms: median (min–max) | GFLOP/s | × wasm floor | × Node | 8 adapters ms | ÷ 8 singles | renderer peak MiB | renderer after session MiB | load |',
      '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of run.chromium) {
      if (r.error) {
        lines.push(`| ${label(r.shape)} | ${r.precision} | ${r.backend} | failed: ${r.error} |`);
        continue;
      }
      const node = run.node.find(
        (x) => x.shape === r.shape && x.precision === r.precision && !x.error,
      );
      // The FLOPs at onnxruntime-web's own wasm MatMul ceiling (measured in the same run).
      const wasmFloor = (x: CaseResult) =>
        x.backend === 'wasm' && run.browserCeilings
          ? f2(
              x.single.median /
                ((1000 * x.flopsPerEmbedding) / (run.browserCeilings.matmulGflops * 1e9)),
            )
          : '';
      const m = r.memory;
      const delta = m['rendererPeakConvertMiB']! - m['rendererBaselineMiB']!;
      lines.push(
        `| ${label(r.shape)} | ${r.precision} | ${r.backend} | ${f1(r.packageMiB)} | ${sec(r.fetchMs ?? NaN)} | ${sec(r.readMs)} | ${sec(r.convertMs)} | ` +
          `${f0(delta)} (${f2(delta / r.ptMiB)}) | ${sec(r.sessionMs)} | ${ms(r.single.median)} (${ms(r.single.min)}–${ms(r.single.max)}) | ` +
          `${f1(r.flopsPerEmbedding / (r.single.median / 1000) / 1e9)} | ${wasmFloor(r)} | ${node ? f1(r.single.median / node.single.median) : ''} | ` +
          `${ms(r.batch8.median)} | ${f2(batchRatio(r))} | ${f0(m['rendererPeakMiB']!)} | ${f0(m['rendererAfterSessionMiB']!)} | ${f1(r.loadAverage?.[0] ?? NaN)} |`,
      );
    }
  }
  lines.push('', ...targets(run));
  return lines.join('\n') + '\n';
}

/** A batch of 8 against 8 single generations (medians): under 1, batching pays. */
function batchRatio(r: CaseResult): number {
  return r.batch8.median / (8 * r.single.median);
}

function targets(run: BenchRun): string[] {
  const node = (shape: string, p: string) =>
    run.node.find((r) => r.shape === shape && r.precision === p && !r.error);
  const web = (shape: string, p: string) =>
    run.chromium.find(
      (r) => r.shape === shape && r.precision === p && r.backend === 'wasm' && !r.error,
    );
  const out = ['### Targets in this run', ''];
  const yes = (ok: boolean) => (ok ? '**met**' : '**not met**');
  const fp32 = node('mistral-L', 'fp32');
  if (fp32) {
    const floor = floorMs(run, fp32);
    const x = fp32.single.median / floor;
    out.push(
      `- Mistral-L fp32 in Node within 2× of the floor (${f1(floor)} ms): median ${ms(fp32.single.median)} ms = ${f2(x)}×, ` +
        `min ${ms(fp32.single.min)} ms = ${f2(fp32.single.min / floor)}×: ${yes(x <= 2)}.`,
    );
    const q4 = node('mistral-L', 'q4');
    if (q4) {
      const ratio = q4.single.median / fp32.single.median;
      out.push(
        `- Mistral-L q4 at most 0.6× fp32's time: ${ms(q4.single.median)} / ${ms(fp32.single.median)} ms = ${f2(ratio)} ` +
          `(batch of 8: ${f2(q4.batch8.median / fp32.batch8.median)}): ${yes(ratio <= 0.6)}.`,
      );
    }
  }
  for (const p of ['fp32', 'fp16', 'int8', 'q4']) {
    const w = web('mistral-L', p);
    const n = node('mistral-L', p);
    if (w && n) {
      const ratio = w.single.median / n.single.median;
      out.push(
        `- Mistral-L ${p}: Chromium wasm within 2.5× of Node: ${f1(ratio)}×: ${yes(ratio <= 2.5)}.`,
      );
    }
  }
  for (const [where, r] of [
    ['Node', node('mistral-L', 'fp32')],
    ['Node', node('mistral-L', 'int8')],
    ['Chromium wasm', web('mistral-L', 'int8')],
  ] as const) {
    if (r) {
      out.push(
        `- Mistral-L ${r.precision} in ${where}: a batch of 8 at most 0.6 × 8 single generations: ` +
          `${ms(r.batch8.median)} / (8 × ${ms(r.single.median)}) ms = ${f2(batchRatio(r))}: ${yes(batchRatio(r) <= 0.6)}.`,
      );
    }
  }
  const fp32Node = node('mistral-L', 'fp32');
  if (run.browserCeilings && fp32Node) {
    const atCeiling =
      (1000 * fp32Node.flopsPerEmbedding) / (run.browserCeilings.matmulGflops * 1e9);
    out.push(
      `  (onnxruntime-web's wasm MatMul peaks at ${f0(run.browserCeilings.matmulGflops)} GFLOP/s here against onnxruntime-node's ${f0(run.ceilings.matmul.gflops)}: ` +
        `even at that ceiling a Mistral-L generation would take ${f0(atCeiling)} ms, ${f1(atCeiling / fp32Node.single.median)}× Node's fp32 median.)`,
    );
  }
  for (const [p, floor] of [
    ['int8', 0.999],
    ['q4', 0.99],
  ] as const) {
    const rs = run.node.filter((r) => r.precision === p && r.fidelity);
    if (rs.length) {
      const worst = Math.min(...rs.map((r) => r.fidelity!.minCosine));
      out.push(
        `- ${p} cosine ≥ ${floor} against fp32 on the synthetic full-size checkpoints (8 embeddings, every LoRA matrix): worst ${worst.toFixed(5)}: ${yes(worst >= floor)}.`,
      );
    }
  }
  for (const p of ['fp32', 'q4']) {
    const w = web('mistral-L', p);
    if (w) {
      const t = w.readMs + w.convertMs;
      const delta = w.memory['rendererPeakConvertMiB']! - w.memory['rendererBaselineMiB']!;
      out.push(
        `- Converting the Mistral-L .pt in Chromium to ${p} under 10 s with peak memory under twice the file: ` +
          `read + convert ${f1(t / 1000)} s (+ ${f1((w.fetchMs ?? 0) / 1000)} s fetching it from the dev server), ` +
          `renderer peak ${f0(delta)} MiB over its baseline = ${f2(delta / w.ptMiB)}× the ${f0(w.ptMiB)} MiB file: ${yes(t < 10_000 && delta < 2 * w.ptMiB)}.`,
      );
    }
  }
  const llama = node('llama-L', 'q4');
  if (llama) {
    out.push(
      `- Llama-L q4 package under 150 MB: ${f1((llama.packageMiB * 2 ** 20) / 1e6)} MB: ${yes(llama.packageMiB * 2 ** 20 < 150e6)}.`,
    );
  }
  return out;
}
