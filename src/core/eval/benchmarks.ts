/**
 * The benchmarks' own data: which Hugging Face dataset file each of the eight is read from, at which
 * pinned commit, and how one parquet row becomes a scored example (issue 21, item 1). Pure: the
 * CLI hands it the bytes it downloaded into the HF cache, the page the bytes of its verified cache.
 *
 * Where each fact was read (no network here, so none was read from the Hub itself; `npm run
 * verify:hub` confirms them on a machine with network, docs/hub.md and docs/eval.md list them):
 * - Which dataset, config and split the reference evaluates: SakanaAI/text-to-lora at 8ba7749,
 *   src/hyper_llm_modulator/vllm_eval.py (EVAL_FNS' dataset_name / dataset_kwargs, and
 *   eval_gsm8k's `load_dataset("gsm8k", "main", split="test")`), restated in protocol.ts.
 *   OpenBookQA is loaded there without a config name: the repository's default config, `main`.
 * - Which parquet file holds that split, and the commits: public code of third parties that pin
 *   these files (found with a code search; not this project's reading of the Hub):
 *   allenai/ai2_arc@210d026f… with `ARC-{Easy,Challenge}/test-00000-of-00001.parquet` and their
 *   sha256, allenai/openbookqa@388097ea… `main/test-00000-of-00001.parquet` and its sha256,
 *   Rowan/hellaswag@218ec52e… `data/validation-00000-of-00001.parquet`, google/boolq@35b264d0…
 *   `data/validation-00000-of-00001.parquet`, allenai/winogrande@01e74176…
 *   `winogrande_debiased/validation-00000-of-00001.parquet` (a third party's download URL at that
 *   very commit; other pins of the same commit name `winogrande_xl/…`, and a copy of the dataset
 *   card lists each config's files under its own folder), openai/gsm8k@740312ad…
 *   `main/test-00000-of-00001.parquet`.
 *   ybisk/piqa is a loading-script dataset with no parquet of its own: its split is read from the
 *   Hub's automatic conversion (the `refs/convert/parquet` branch), `plain_text/validation/0000.parquet`,
 *   at 142c5123…, the commit that branch was seen at in a third party's HF cache path.
 * - Column layouts: the datasets' features as their Hub cards and the TFDS community catalog list
 *   them (ARC: id, question, choices{text[], label[]}, answerKey; HellaSwag: ctx, endings[],
 *   label as a string; PIQA: goal, sol1, sol2, label int; Winogrande: sentence, option1, option2,
 *   answer "1"/"2"; BoolQ: question, answer bool, passage; GSM8K: question, answer ending in
 *   "#### N").
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { z } from 'zod';
import { T2LError } from '../errors';
import { gsm8kTarget } from './matching';
import { BENCHMARKS, benchmarkItem, type BenchmarkName, type EvalItem } from './protocol';
import { DEFAULT_BENCHMARK_LIMIT, sampleIndices } from './sample';

/** Where one benchmark's evaluated split lives on the Hub. */
export interface BenchmarkSource {
  /** The dataset repository (`datasets/` URLs). */
  repo: string;
  /** The pinned commit the file is read at (40 hex digits). */
  revision: string;
  /** The parquet file inside the repository at that commit. */
  file: string;
  /** The split it holds (protocol.ts's, the reference's). */
  split: string;
  /** The dataset config, where the repository has several. */
  config?: string;
  /** The repository's own data files, or the Hub's automatic parquet conversion branch. */
  from: 'data files' | 'refs/convert/parquet';
  /** sha256 of the file, where a published pin records it (checked after download). */
  sha256?: string;
}

/** The pinned sources; see the file comment for where each was read. */
export const BENCHMARK_SOURCES: Readonly<Record<BenchmarkName, BenchmarkSource>> = {
  arc_easy: {
    repo: 'allenai/ai2_arc',
    revision: '210d026faf9955653af8916fad021475a3f00453',
    file: 'ARC-Easy/test-00000-of-00001.parquet',
    config: 'ARC-Easy',
    split: 'test',
    from: 'data files',
    sha256: '4160597d618ae851c7eb04e281574f3f654776216ac6b6641588d64527b47177',
  },
  arc_challenge: {
    repo: 'allenai/ai2_arc',
    revision: '210d026faf9955653af8916fad021475a3f00453',
    file: 'ARC-Challenge/test-00000-of-00001.parquet',
    config: 'ARC-Challenge',
    split: 'test',
    from: 'data files',
    sha256: '62f03257e737aed263f55c6abf87c7bb0028a44a6bdd2a26eb1279eb42c1d1e9',
  },
  boolq: {
    repo: 'google/boolq',
    revision: '35b264d03638db9f4ce671b711558bf7ff0f80d5',
    file: 'data/validation-00000-of-00001.parquet',
    split: 'validation',
    from: 'data files',
  },
  hellaswag: {
    repo: 'Rowan/hellaswag',
    revision: '218ec52e09a7e7462a5400043bb9a69a41d06b76',
    file: 'data/validation-00000-of-00001.parquet',
    split: 'validation',
    from: 'data files',
  },
  openbookqa: {
    repo: 'allenai/openbookqa',
    revision: '388097ea7776314e93a529163e0fea805b8a6454',
    file: 'main/test-00000-of-00001.parquet',
    config: 'main',
    split: 'test',
    from: 'data files',
    sha256: 'cd5483e366daa230c1c87bbdc512d8b7229f14f6dd04d19fc8b1a3855aaaa8a3',
  },
  piqa: {
    repo: 'ybisk/piqa',
    revision: '142c51238b3ca2bc61e9a075913871b8b600e8e1',
    file: 'plain_text/validation/0000.parquet',
    config: 'plain_text',
    split: 'validation',
    from: 'refs/convert/parquet',
  },
  winogrande: {
    repo: 'allenai/winogrande',
    revision: '01e74176c63542e6b0bcb004dcdea22d94fb67b5',
    file: 'winogrande_debiased/validation-00000-of-00001.parquet',
    config: 'winogrande_debiased',
    split: 'validation',
    from: 'data files',
  },
  gsm8k: {
    repo: 'openai/gsm8k',
    revision: '740312add88f781978c0658806c59bc2815b9866',
    file: 'main/test-00000-of-00001.parquet',
    config: 'main',
    split: 'test',
    from: 'data files',
  },
};

/**
 * Largest benchmark file accepted, in bytes, checked on the size the Hub announces before the
 * download and on the bytes before parsing. The real files are well under it (HellaSwag's
 * validation split, the largest here, is a few MB).
 */
export const MAX_BENCHMARK_BYTES = 64 << 20;
/** Most rows a benchmark file may declare (HellaSwag validation, the largest, has 10,042). */
export const MAX_BENCHMARK_ROWS = 100_000;
/** Most examples in one sample. */
export const MAX_BENCHMARK_LIMIT = 10_000;
/** The sample's seed unless the user gives one. */
export const DEFAULT_BENCHMARK_SEED = 0;

/** One sampled example: the project's prompt/choices/answer shape, and the item as scored. */
export interface BenchmarkExample {
  /** The row's own id where the dataset has one (ARC, OpenBookQA), else `row N`. */
  id: string;
  /** 0-based row of the split file. */
  index: number;
  /** The question (or sentence, goal, context) as the dataset holds it, before any template. */
  prompt: string;
  /** The choices in order, for multiple-choice benchmarks. */
  choices?: string[];
  /** The expected answer as the reference matches it (a label, "True"/"False", an integer). */
  answer: string;
  /** The reference's prompt and rule for this row (protocol.ts benchmarkItem). */
  item: EvalItem;
}

export interface BenchmarkSample {
  benchmark: BenchmarkName;
  source: BenchmarkSource;
  /** Rows in the split file. */
  total: number;
  limit: number;
  seed: number;
  /** The sampled rows, ascending (sample.ts sampleIndices). */
  indices: number[];
  examples: BenchmarkExample[];
}

const str = z.string({ error: 'expected a string' });
const labelled = z.object({
  text: z.array(str, { error: 'expected a list of strings' }).min(1, 'expected choices'),
  label: z.array(str, { error: 'expected a list of strings' }).min(1, 'expected labels'),
});
const int01 = z.union([z.number(), z.bigint()], { error: 'expected an integer' });

interface Mapping {
  /** The columns read from the file (and required in its schema). */
  columns: string[];
  schema: z.ZodType<Record<string, unknown>>;
  /** The row as prompt/choices/answer, after the schema; throws a message for a bad row. */
  toExample(row: Record<string, unknown>): Omit<BenchmarkExample, 'index' | 'item' | 'id'> & {
    id?: string;
  };
}

/** ARC and OpenBookQA: choices{text,label}, answerKey one of the labels (vllm_eval.py ARC/OQA). */
function labelledChoices(questionField: string): Mapping {
  return {
    columns: ['id', questionField, 'choices', 'answerKey'],
    schema: z.object({
      id: str,
      [questionField]: str,
      choices: labelled,
      answerKey: str,
    }) as unknown as z.ZodType<Record<string, unknown>>,
    toExample(row) {
      const choices = row['choices'] as { text: string[]; label: string[] };
      if (choices.text.length !== choices.label.length) {
        throw new Error(
          `field "choices": ${choices.text.length} texts but ${choices.label.length} labels`,
        );
      }
      const key = row['answerKey'] as string;
      if (!choices.label.includes(key)) {
        throw new Error(
          `field "answerKey": ${JSON.stringify(key)} is not among the labels ${choices.label.join(', ')}`,
        );
      }
      return {
        id: row['id'] as string,
        prompt: row[questionField] as string,
        choices: choices.text,
        answer: key,
      };
    },
  };
}

/**
 * Each benchmark's fields, restated from vllm_eval.py (the template's fields and response_field):
 * what the row must hold, and the project's prompt/choices/answer view of it.
 */
const MAPPINGS: Record<BenchmarkName, Mapping> = {
  // ARC_TEMPLATE over question/choices; response_field answerKey (a letter, or a digit in some rows).
  arc_easy: labelledChoices('question'),
  arc_challenge: labelledChoices('question'),
  // OQA_TEMPLATE over question_stem/choices; response_field answerKey.
  openbookqa: labelledChoices('question_stem'),
  // BOOLQ_TEMPLATE over passage/question; response_field answer, a bool: str() gives "True"/"False".
  boolq: {
    columns: ['question', 'answer', 'passage'],
    schema: z.object({
      question: str,
      passage: str,
      answer: z.boolean({ error: 'expected a bool' }),
    }),
    toExample: (row) => ({
      prompt: row['question'] as string,
      answer: row['answer'] ? 'True' : 'False',
    }),
  },
  // HSWAG_TEMPLATE over ctx/endings[0..3]; response_field label, a string "0".."3" in this dataset.
  hellaswag: {
    columns: ['ctx', 'endings', 'label'],
    schema: z.object({
      ctx: str,
      endings: z
        .array(str, { error: 'expected a list of strings' })
        .length(4, 'expected 4 endings'),
      label: str,
    }),
    toExample(row) {
      const label = row['label'] as string;
      if (!/^[0-3]$/.test(label)) {
        throw new Error(
          `field "label": ${JSON.stringify(label)} is not 0, 1, 2 or 3 (the test split has no labels)`,
        );
      }
      return { prompt: row['ctx'] as string, choices: row['endings'] as string[], answer: label };
    },
  },
  // PIQA_TEMPLATE over goal/sol1/sol2; response_field label, an int 0 or 1.
  piqa: {
    columns: ['goal', 'sol1', 'sol2', 'label'],
    schema: z.object({ goal: str, sol1: str, sol2: str, label: int01 }),
    toExample(row) {
      const label = String(row['label']);
      if (label !== '0' && label !== '1') {
        throw new Error(`field "label": ${label} is not 0 or 1 (the test split has no labels)`);
      }
      return {
        prompt: row['goal'] as string,
        choices: [row['sol1'] as string, row['sol2'] as string],
        answer: label,
      };
    },
  },
  // WINOGRANDE_TEMPLATE over sentence/option1/option2; response_field answer, "1" or "2".
  winogrande: {
    columns: ['sentence', 'option1', 'option2', 'answer'],
    schema: z.object({ sentence: str, option1: str, option2: str, answer: str }),
    toExample(row) {
      const answer = row['answer'] as string;
      if (answer !== '1' && answer !== '2') {
        throw new Error(
          `field "answer": ${JSON.stringify(answer)} is not "1" or "2" (the test split has no answers)`,
        );
      }
      return {
        prompt: row['sentence'] as string,
        choices: [row['option1'] as string, row['option2'] as string],
        answer,
      };
    },
  },
  // eval_gsm8k: template over question; the answer is int(extract_answer_number(row["answer"])).
  gsm8k: {
    columns: ['question', 'answer'],
    schema: z.object({ question: str, answer: str }),
    toExample(row) {
      const n = gsm8kTarget(row['answer'] as string);
      if (n === null) throw new Error('field "answer": no number in it');
      return { prompt: row['question'] as string, answer: String(n) };
    },
  },
};

/** The columns a benchmark's file must hold. */
export function benchmarkColumns(name: BenchmarkName): readonly string[] {
  return MAPPINGS[name].columns;
}

/** "ARC-Easy (allenai/ai2_arc ARC-Easy/test-00000-of-00001.parquet)": names the file in errors. */
export function benchmarkLabel(name: BenchmarkName): string {
  const s = BENCHMARK_SOURCES[name];
  return `${BENCHMARKS[name].title} (${s.repo} ${s.file})`;
}

/**
 * One dataset row as a sampled example: checked against the benchmark's fields (zod), viewed as
 * prompt/choices/answer, and turned into the reference's scored item.
 *
 * @throws T2LError('bad-input') naming the benchmark, the file, the row and the field.
 */
export function benchmarkExample(
  name: BenchmarkName,
  row: Record<string, unknown>,
  index: number,
): BenchmarkExample {
  const where = `${benchmarkLabel(name)}: row ${index}`;
  const mapping = MAPPINGS[name];
  const parsed = mapping.schema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw new T2LError(
      'bad-input',
      `${where}${field ? `, field "${field}"` : ''}: ${issue.message}`,
    );
  }
  let view: ReturnType<Mapping['toExample']>;
  try {
    view = mapping.toExample(parsed.data);
  } catch (e) {
    throw new T2LError('bad-input', `${where}, ${(e as Error).message}`);
  }
  const id = view.id ?? `row ${index}`;
  const item = benchmarkItem(BENCHMARKS[name], parsed.data, id);
  const { id: _ignored, ...rest } = view;
  void _ignored;
  return { id, index, ...rest, item };
}

/**
 * Reads a seeded sample of a benchmark from its parquet file (hyparquet): the footer first, the
 * declared row count and the columns checked, then the needed columns of the rows read, the
 * sampled ones mapped by {@link benchmarkExample}.
 *
 * @param bytes the whole file (at most MAX_BENCHMARK_BYTES; callers check the announced size first)
 * @param options.limit examples wanted (default 50; fewer when the split is smaller)
 * @param options.seed the sample's seed (default 0), a whole number in [0, 2^32)
 * @throws T2LError('bad-input') naming the benchmark and the file: not a parquet file, too large,
 *   too many rows, a missing column (with the columns found), a row whose field is not as expected.
 */
export async function readBenchmarkSample(
  name: BenchmarkName,
  bytes: ArrayBuffer,
  options: { limit?: number; seed?: number } = {},
): Promise<BenchmarkSample> {
  const label = benchmarkLabel(name);
  const limit = options.limit ?? DEFAULT_BENCHMARK_LIMIT;
  const seed = options.seed ?? DEFAULT_BENCHMARK_SEED;
  checkBenchmarkSize(name, bytes.byteLength);
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(bytes);
  } catch (e) {
    throw new T2LError(
      'bad-input',
      `${label}: not a readable parquet file (${(e as Error).message})`,
    );
  }
  const total = Number(metadata.num_rows);
  if (!Number.isSafeInteger(total) || total < 0 || total > MAX_BENCHMARK_ROWS) {
    throw new T2LError(
      'bad-input',
      `${label}: the file declares ${metadata.num_rows} rows; at most ${MAX_BENCHMARK_ROWS} are read`,
    );
  }
  if (total === 0) throw new T2LError('bad-input', `${label}: the file holds no rows`);
  const found = parquetSchema(metadata).children.map((c) => c.element.name);
  const columns = MAPPINGS[name].columns;
  const missing = columns.filter((c) => !found.includes(c));
  if (missing.length > 0) {
    throw new T2LError(
      'bad-input',
      `${label}: no column "${missing[0]}" (the file has ${found.map((f) => `"${f}"`).join(', ')}; ${BENCHMARKS[name].title} needs ${columns.map((c) => `"${c}"`).join(', ')})`,
    );
  }
  const indices = sampleIndices(total, limit, seed);
  let rows: Record<string, unknown>[];
  try {
    // Only the rows up to the last one sampled, only the needed columns.
    rows = (await parquetReadObjects({
      file: bytes,
      metadata,
      columns,
      rowStart: 0,
      rowEnd: (indices.at(-1) ?? -1) + 1,
    })) as Record<string, unknown>[];
  } catch (e) {
    throw new T2LError(
      'bad-input',
      `${label}: the parquet data cannot be read (${(e as Error).message})`,
    );
  }
  const examples = indices.map((i) => {
    const row = rows[i];
    if (row === undefined) throw new T2LError('bad-input', `${label}: row ${i} is missing`);
    return benchmarkExample(name, row, i);
  });
  return {
    benchmark: name,
    source: BENCHMARK_SOURCES[name],
    total,
    limit,
    seed,
    indices,
    examples,
  };
}

/** Refuses a benchmark file by its announced or actual size, before it is read. */
export function checkBenchmarkSize(name: BenchmarkName, byteLength: number): void {
  if (byteLength > MAX_BENCHMARK_BYTES) {
    throw new T2LError(
      'bad-input',
      `${benchmarkLabel(name)}: the file is ${byteLength} bytes, more than the ${MAX_BENCHMARK_BYTES} bytes accepted for a benchmark file`,
    );
  }
}

/** Whether `name` is one of the eight benchmarks scored here. */
export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.prototype.hasOwnProperty.call(BENCHMARKS, name);
}
