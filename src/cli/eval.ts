/**
 * `t2l eval`: does the adapter help? Scores the base model and each adapter (one per model folder
 * and precision, plus a control adapter) on the same examples with the T2L reference's protocol
 * (core/eval), through llama.cpp (src/node/llama: the base loaded once, the adapter applied per
 * request, greedy), and prints accuracy with its Wilson 95 % interval and the paired comparison
 * with the base (gained, lost, exact sign-test p). `--json` prints every example's answers.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { adapterGguf } from '../core/adapter/download';
import { T2LError } from '../core/errors';
import {
  BENCHMARK_SOURCES,
  MAX_BENCHMARK_LIMIT,
  checkBenchmarkSize,
  isBenchmarkName,
  readBenchmarkSample,
  type BenchmarkSample,
} from '../core/eval/benchmarks';
import {
  checkExampleFileSize,
  decodeExampleBytes,
  parseExamples,
  type ExampleSet,
} from '../core/eval/examples';
import {
  BENCHMARKS,
  DEFAULT_CONTROL_DESCRIPTION,
  MAX_ANSWER_TOKENS,
  NOT_SCORED,
  renderItemPrompt,
  userSetItem,
  userTemplate,
  userTemplateNote,
  type BenchmarkName,
  type EvalItem,
} from '../core/eval/protocol';
import {
  evalResult,
  runEval,
  type CompleteFn,
  type EvalModel,
  type EvalResult,
  type EvalRow,
} from '../core/eval/run';
import { limitNote } from '../core/eval/sample';
import { generateAdapters } from '../core/generate';
import {
  adapterFactsFromManifest,
  baseModelFacts,
  checkBaseForAdapter,
} from '../core/llm/base-check';
import { isPrecision, type Precision } from '../core/package/manifest';
import { openModel, type T2LModel } from '../core/package/model';
import { dirSource } from '../node/fs-source';
import { hubFile } from '../node/hub-cache';
import { openLlamaBase } from '../node/llama';
import { withTempDir } from '../node/temp-dir';
import { createNodeRunner } from '../runtime/node';
import { embedDescriptions } from './generate';
import { cliHubSettings } from './hub';
import { warn } from './options';
import { readGgufHeaderFromFile } from './try';

export interface EvalOptions {
  description: string;
  base: string;
  examples?: string;
  benchmark?: string;
  limit?: string;
  seed?: string;
  precision?: string[];
  /** A description for the control adapter; false: no control; undefined: the default junk. */
  control?: string | boolean;
  template?: string;
  system?: string;
  maxTokens?: string;
  threads?: string;
  encoder?: string;
  json?: boolean;
}

function wholeNumber(value: string, name: string, min: number, max: number): number {
  // Decimal digits only: Number() alone also reads "1e2", "0x10" and " 7 ".
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new T2LError(
      'bad-input',
      `${name} must be a whole number from ${min} to ${max}, found ${value}`,
    );
  }
  return n;
}

/** The benchmark a --benchmark NAME names; HumanEval/MBPP and unknown names are refused. */
function benchmarkName(name: string): BenchmarkName {
  const skipped = NOT_SCORED.find((b) => b.name === name);
  if (skipped) {
    throw new T2LError(
      'unsupported',
      `--benchmark ${name}: ${skipped.title} is not scored here: ${skipped.why}`,
    );
  }
  if (!isBenchmarkName(name)) {
    throw new T2LError(
      'bad-input',
      `--benchmark ${name}: unknown benchmark; the reference's are ${Object.keys(BENCHMARKS).join(', ')}`,
    );
  }
  return name;
}

/**
 * A seeded sample of a benchmark: its pinned parquet file from the HF cache, or downloaded into it
 * through HF_ENDPOINT (hub-cache.ts, as the checkpoints are), its announced and cached size
 * bounded before it is read. Without network and without a cached copy, the one-line error names
 * the host tried and says to use --examples.
 */
async function readBenchmark(
  name: BenchmarkName,
  limit: number | undefined,
  seed: number | undefined,
): Promise<{ sample: BenchmarkSample; commit: string }> {
  const source = BENCHMARK_SOURCES[name];
  const file = await hubFile(
    cliHubSettings(),
    { type: 'dataset', repo: source.repo, revision: source.revision, path: source.file },
    {
      instead: '--examples FILE (your own examples, docs/eval.md)',
      checkSize: (bytes) => checkBenchmarkSize(name, bytes),
    },
  );
  checkBenchmarkSize(name, (await stat(file.path)).size);
  const bytes = await readFile(file.path);
  const sample = await readBenchmarkSample(
    name,
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    { ...(limit !== undefined ? { limit } : {}), ...(seed !== undefined ? { seed } : {}) },
  );
  return { sample, commit: file.commit };
}

async function readExampleSet(path: string): Promise<ExampleSet> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new T2LError('bad-input', `${path}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof T2LError) throw e;
    throw new T2LError('missing-file', `${path}: no such file`);
  }
  checkExampleFileSize(size, path);
  const bytes = await readFile(path);
  return parseExamples(decodeExampleBytes(bytes, path), { source: path });
}

/** What --json records of a benchmark sample: the dataset file, the seed and the rows drawn. */
function benchmarkRecord(bench: { sample: BenchmarkSample; commit: string }, count: number) {
  const { sample, commit } = bench;
  return {
    benchmark: sample.benchmark,
    title: BENCHMARKS[sample.benchmark].title,
    dataset: {
      repo: sample.source.repo,
      config: sample.source.config ?? null,
      split: sample.source.split,
      file: sample.source.file,
      revision: sample.source.revision,
      commit,
    },
    total: sample.total,
    limit: sample.limit,
    seed: sample.seed,
    indices: sample.indices,
    ids: sample.examples.map((e) => e.id),
    count,
  };
}

interface Config {
  model: EvalModel;
  dir: string;
  precision: Precision;
  description: string;
}

function fmtPct(x: number): string {
  return Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`;
}

function fmtP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

/** The result table: base first, then each configuration. */
export function formatTable(result: EvalResult): string {
  const head = ['model', 'accuracy', '95% interval', 'right', 'vs base: gained', 'lost', 'p'];
  const lines = result.summaries.map((s) => {
    const a = s.accuracy;
    return [
      s.model.label,
      fmtPct(a.accuracy),
      a.n === 0 ? '—' : `${fmtPct(a.interval.low)} – ${fmtPct(a.interval.high)}`,
      `${a.correct}/${a.n}`,
      s.vsBase ? `+${s.vsBase.gained}` : '',
      s.vsBase ? `−${s.vsBase.lost}` : '',
      s.vsBase ? fmtP(s.vsBase.p) : '',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [row(head), ...lines.map(row)].join('\n');
}

export async function evalCommand(dirs: string[], opts: EvalOptions): Promise<void> {
  // Everything that can be refused is checked before the slow parts (encoder, llama.cpp).
  if (Boolean(opts.examples) === Boolean(opts.benchmark)) {
    throw new T2LError('bad-input', 'give either --examples FILE or --benchmark NAME');
  }
  if (!opts.description.trim()) throw new T2LError('bad-input', '--description must not be empty');
  const maxTokens =
    opts.maxTokens === undefined
      ? undefined
      : wholeNumber(opts.maxTokens, '--max-tokens', 1, MAX_ANSWER_TOKENS);
  const threads =
    opts.threads === undefined ? undefined : wholeNumber(opts.threads, '--threads', 1, 256);
  const limit =
    opts.limit === undefined
      ? undefined
      : wholeNumber(opts.limit, '--limit', 1, MAX_BENCHMARK_LIMIT);
  const seed =
    opts.seed === undefined ? undefined : wholeNumber(opts.seed, '--seed', 0, 2 ** 32 - 1);
  const benchmark = opts.benchmark ? benchmarkName(opts.benchmark) : undefined;
  if ((opts.limit !== undefined || opts.seed !== undefined) && !opts.benchmark) {
    throw new T2LError(
      'bad-input',
      '--limit and --seed choose a benchmark sample; they go with --benchmark',
    );
  }
  if (benchmark && (opts.template !== undefined || opts.system !== undefined)) {
    throw new T2LError(
      'bad-input',
      `--template and --system apply to --examples; --benchmark ${benchmark} asks the reference's own prompt`,
    );
  }
  const precisions = (opts.precision ?? []).flatMap((p) => p.split(',')).map((p) => p.trim());
  for (const p of precisions) {
    if (!isPrecision(p))
      throw new T2LError('bad-input', `--precision ${p}: use fp32, fp16, int8 or q4`);
  }
  // '' is no template (the defaults), as the page's empty template field.
  const template = userTemplate(opts.template);

  let set: ExampleSet | undefined;
  let bench: { sample: BenchmarkSample; commit: string } | undefined;
  let items: EvalItem[];
  if (benchmark) {
    bench = await readBenchmark(benchmark, limit, seed);
    // A sample asked larger than the split is the whole split: said, not silent.
    const note = limitNote(
      limit === undefined ? 'the default --limit' : '--limit',
      bench.sample.limit,
      bench.sample.total,
    );
    if (note) process.stderr.write(`t2l: note: ${note}\n`);
    items = bench.sample.examples.map((e) =>
      maxTokens !== undefined ? { ...e.item, maxTokens } : e.item,
    );
  } else {
    set = await readExampleSet(opts.examples!);
    const note =
      template === null
        ? null
        : userTemplateNote(template, set.examples.filter((e) => e.choices).length);
    if (note) process.stderr.write(`t2l: note: ${note}\n`);
    items = set.examples.map((e) =>
      userSetItem(e, {
        ...(template !== null ? { template } : {}),
        ...(opts.system !== undefined ? { system: opts.system } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      }),
    );
  }

  const header = await readGgufHeaderFromFile(opts.base);
  const facts = baseModelFacts(header, opts.base);
  const prompts = new Map<EvalItem, string>();
  for (const item of items) {
    prompts.set(
      item,
      renderItemPrompt(item, facts.chatTemplate, facts, {
        source: opts.base,
        remedy:
          "the reference evaluates with the base model's chat template; use a base GGUF whose template renders",
      }),
    );
  }

  // One configuration per model folder and precision (a package has only its own precision).
  const opened: Array<{ dir: string; precision: Precision; model: T2LModel }> = [];
  for (const dir of dirs) {
    for (const p of precisions.length ? precisions : [undefined]) {
      const model = await openModel(dirSource(dir), {
        onWarning: warn,
        ...(p ? { precision: p as Precision } : {}),
      });
      if (p && model.manifest.precision !== p) {
        throw new T2LError(
          'bad-input',
          `${dir}: a converted package at ${model.manifest.precision}; --precision ${p} needs the checkpoint folder (or a package converted with t2l convert --precision ${p})`,
        );
      }
      checkBaseForAdapter(header, adapterFactsFromManifest(model.manifest, {}), opts.base);
      opened.push({ dir, precision: model.manifest.precision, model });
    }
  }
  const control =
    opts.control === false
      ? null
      : typeof opts.control === 'string'
        ? opts.control
        : DEFAULT_CONTROL_DESCRIPTION;
  if (control !== null && !control.trim())
    throw new T2LError('bad-input', '--control must not be empty');

  // The adapters' GGUF files: removed however the command ends (a signal, Ctrl-C twice, an error).
  await withTempDir('t2l-eval-', async (tmp) => {
    const configs: Config[] = [];
    const label = (dir: string, precision: Precision) => {
      const name =
        dirs.filter((d) => basename(d) === basename(dir)).length > 1 ? dir : basename(dir);
      return precisions.length > 1 || precision !== 'fp32' ? `${name} ${precision}` : name;
    };
    for (const [i, { dir, precision, model }] of opened.entries()) {
      const { manifest } = model;
      const descriptions =
        i === 0 && control !== null ? [opts.description, control] : [opts.description];
      const emb = await embedDescriptions(
        descriptions,
        { flag: opts.encoder, package: manifest.encoder },
        manifest.taskEmbSize,
        {},
      );
      const runner = await createNodeRunner(model.graph, { backends: ['cpu'] });
      try {
        const adapters = await generateAdapters(manifest, runner, emb);
        for (const [j, adapter] of adapters.entries()) {
          const isControl = j === 1;
          const path = join(tmp, `${i}-${j}.gguf`);
          await writeFile(
            path,
            adapterGguf(manifest, adapter, {
              description: descriptions[j]!,
              source: dir,
              backend: runner.backend,
            }),
          );
          configs.push({
            model: {
              id: isControl ? 'control' : `${dir}@${precision}`,
              label: isControl ? `control (${label(dir, precision)})` : label(dir, precision),
              adapter: path,
            },
            dir,
            precision,
            description: descriptions[j]!,
          });
        }
      } finally {
        await runner.release();
      }
    }
    // The control goes last in the table.
    configs.sort((a, b) => Number(a.model.id === 'control') - Number(b.model.id === 'control'));

    const llm = await openLlamaBase(opts.base, threads === undefined ? {} : { threads });
    let result: EvalResult;
    let interrupt = () => {};
    const models: EvalModel[] = [
      { id: 'base', label: 'base model', adapter: null },
      ...configs.map((c) => c.model),
    ];
    // The rows finished so far, kept in case the run fails partway (the LLM on example 7): they
    // are printed, marked incomplete, before the error, as the page keeps them in History.
    const finished: EvalRow[] = [];
    let failure: { error: unknown; message: string } | null = null;
    const started = Date.now();
    try {
      const complete: CompleteFn = async (req) => {
        const c = await llm.complete(
          llm.tokenize(req.prompt),
          req.maxTokens,
          req.adapter === null ? undefined : { path: req.adapter, scale: 1 },
          { stopWhen: req.isDecided },
        );
        return { text: c.text, tokens: c.tokens.length, stop: c.stop };
      };
      const tty = process.stderr.isTTY;
      let lastProgressLine = 0;
      // Ctrl-C cancels: the answer under way finishes, whole rows are kept and printed.
      const controller = new AbortController();
      const onInterrupt = () => {
        if (controller.signal.aborted) process.exit(130);
        controller.abort();
        process.stderr.write(
          '\nt2l: cancelling after the answer under way; the finished examples are printed (Ctrl-C again to quit now)\n',
        );
      };
      process.on('SIGINT', onInterrupt);
      interrupt = () => process.off('SIGINT', onInterrupt);
      const run = runEval({
        signal: controller.signal,
        items,
        models,
        buildPrompt: (item) => prompts.get(item)!,
        complete,
        onRow: (row) => finished.push(row),
        // A terminal gets one line rewritten in place; a pipe or a CI log a line every 10 s at most.
        onProgress: (p) => {
          const text = `${p.done}/${p.total} examples, ${p.examplesPerSecond.toFixed(2)}/s, ${p.secondsLeft === null ? '?' : Math.ceil(p.secondsLeft)} s left`;
          if (tty) {
            process.stderr.write(`\r${text}  ${p.done === p.total ? '\n' : ''}`);
          } else if (p.done === p.total || Date.now() - lastProgressLine >= 10_000) {
            lastProgressLine = Date.now();
            process.stderr.write(`${text}\n`);
          }
        },
      });
      try {
        result = await run;
      } catch (e) {
        if (finished.length === 0) throw e;
        failure = { error: e, message: e instanceof Error ? e.message : String(e) };
        result = evalResult(models, finished, items.length, false, (Date.now() - started) / 1000);
        if (tty) process.stderr.write('\n');
      }
    } finally {
      interrupt();
      await llm.dispose();
    }
    if (result.cancelled) process.exitCode = 130;

    if (opts.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            examples: set
              ? { source: set.source, format: set.format, count: items.length }
              : benchmarkRecord(bench!, items.length),
            base: { path: opts.base, name: facts.name ?? null, arch: facts.arch },
            description: opts.description,
            control,
            protocol: {
              greedy: true,
              chatTemplate: facts.chatTemplate !== undefined,
              system: items[0]?.system ?? '',
              template,
            },
            backend: llm.backend,
            models: [
              { id: 'base', label: 'base model', adapter: null },
              ...configs.map((c) => ({
                id: c.model.id,
                label: c.model.label,
                dir: c.dir,
                precision: c.precision,
                description: c.description,
              })),
            ],
            summaries: result.summaries.map((s) => ({
              model: s.model.id,
              ...s.accuracy,
              vsBase: s.vsBase,
            })),
            rows: result.rows,
            // As the page's report: false when Cancel or an error stopped the run early.
            complete: !result.cancelled && failure === null,
            cancelled: result.cancelled,
            error: failure?.message ?? null,
            elapsedSeconds: result.elapsedSeconds,
          },
          null,
          2,
        )}\n`,
      );
      if (failure) throw failure.error;
      return;
    }
    const out = process.stdout;
    const kinds = items.filter((i) => i.rule === 'choice').length;
    if (set) {
      out.write(
        `examples: ${set.source} (${items.length}: ${items.length - kinds} free answer, ${kinds} multiple choice)\n`,
      );
    } else {
      const { sample, commit } = bench!;
      const src = sample.source;
      out.write(
        `examples: ${BENCHMARKS[sample.benchmark].title}, ${items.length} of ${sample.total} rows (seed ${sample.seed}) of ${src.repo}${src.config ? ` ${src.config}` : ''} ${src.split} at ${commit.slice(0, 12)}\n`,
      );
    }
    out.write(
      `base model: ${facts.name ?? opts.base} (${facts.arch}); adapters from "${opts.description}"\n`,
    );
    if (control !== null) out.write(`control adapter from "${control}"\n`);
    if (result.cancelled) {
      out.write(`cancelled: ${result.rows.length} of ${result.total} examples scored\n`);
    }
    if (failure) {
      out.write(
        `incomplete: the run failed after ${result.rows.length} of ${result.total} examples; the scores are of those (the error follows on stderr)\n`,
      );
    }
    out.write(`\n${formatTable(result)}\n\n`);
    out.write(
      `greedy decoding with the base model's chat template, llama.cpp (${llm.backend.name} ${llm.backend.version}, CPU); ` +
        `95% Wilson intervals; p: exact two-sided sign test (McNemar) on the examples gained and lost (docs/eval.md)\n`,
    );
    if (failure) throw failure.error;
  });
}
