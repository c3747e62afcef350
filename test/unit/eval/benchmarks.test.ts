/**
 * The benchmarks' Hub data (src/core/eval/benchmarks.ts): the pinned sources, each benchmark's
 * row → prompt/choices/answer mapping restated here as a table (from vllm_eval.py's templates and
 * response fields), the seeded sample read from a parquet file in the real column layout (written
 * by hyparquet-writer, read by hyparquet), and the errors for files that are not as expected.
 */
import { describe, expect, it } from 'vitest';
import {
  BENCHMARK_SOURCES,
  MAX_BENCHMARK_BYTES,
  MAX_BENCHMARK_ROWS,
  benchmarkExample,
  checkBenchmarkSize,
  readBenchmarkSample,
} from '../../../src/core/eval/benchmarks';
import { BENCHMARKS, type BenchmarkName } from '../../../src/core/eval/protocol';
import {
  BENCHMARK_COLUMNS,
  BENCHMARK_FIXTURE_ROWS,
  writeParquet,
} from '../../../src/fixtures/benchmark-datasets';

const buf = (u: Uint8Array) =>
  u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const parquetOf = (name: BenchmarkName) =>
  buf(writeParquet(BENCHMARK_COLUMNS[name], BENCHMARK_FIXTURE_ROWS[name]));

describe('the pinned sources', () => {
  it('name the split the reference evaluates (vllm_eval.py DS_KWARGS), at a commit', () => {
    // Restated from vllm_eval.py: dataset id, config, split.
    const reference: Record<BenchmarkName, [string, string | undefined, string]> = {
      arc_easy: ['allenai/ai2_arc', 'ARC-Easy', 'test'],
      arc_challenge: ['allenai/ai2_arc', 'ARC-Challenge', 'test'],
      boolq: ['google/boolq', undefined, 'validation'],
      hellaswag: ['Rowan/hellaswag', undefined, 'validation'],
      openbookqa: ['allenai/openbookqa', 'main', 'test'],
      piqa: ['ybisk/piqa', undefined, 'validation'],
      winogrande: ['allenai/winogrande', 'winogrande_debiased', 'validation'],
      gsm8k: ['openai/gsm8k', 'main', 'test'],
    };
    for (const [name, [repo, config, split]] of Object.entries(reference)) {
      const s = BENCHMARK_SOURCES[name as BenchmarkName];
      expect(s.repo, name).toBe(repo);
      expect(s.split, name).toBe(split);
      expect(BENCHMARKS[name as BenchmarkName].dataset.split, name).toBe(split);
      if (config) expect(s.file.startsWith(`${config}/`), name).toBe(true);
      // The file is the split's: its path names the split (and never another one).
      expect(s.file, name).toMatch(new RegExp(`(^|/)${split}(-|/)`));
      expect(s.revision, name).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});

describe('each benchmark row → prompt / choices / answer, and the scored item', () => {
  // Restated per benchmark from vllm_eval.py: the template's fields and response_field.
  const cases: Array<{
    name: BenchmarkName;
    row: Record<string, unknown>;
    want: { id: string; prompt: string; choices?: string[]; answer: string };
    user: RegExp;
    expected: string;
  }> = [
    {
      name: 'arc_easy',
      row: {
        id: 'q1',
        question: 'Q?',
        choices: { text: ['a', 'b', 'c', 'd'], label: ['A', 'B', 'C', 'D'] },
        answerKey: 'C',
      },
      want: { id: 'q1', prompt: 'Q?', choices: ['a', 'b', 'c', 'd'], answer: 'C' },
      user: /\n\nQ\?\n\nA: a\nB: b\nC: c\nD: d\n\n/,
      expected: 'C',
    },
    {
      name: 'arc_challenge',
      row: {
        id: 'q2',
        question: 'Q2',
        choices: { text: ['x', 'y', 'z'], label: ['1', '2', '3'] },
        answerKey: '3',
      },
      want: { id: 'q2', prompt: 'Q2', choices: ['x', 'y', 'z'], answer: '3' },
      user: /1: x\n2: y\n3: z\n4: N\/A\n/,
      expected: '3',
    },
    {
      name: 'openbookqa',
      row: {
        id: '7-1',
        question_stem: 'Stem',
        choices: { text: ['a', 'b', 'c', 'd'], label: ['A', 'B', 'C', 'D'] },
        answerKey: 'A',
      },
      want: { id: '7-1', prompt: 'Stem', choices: ['a', 'b', 'c', 'd'], answer: 'A' },
      user: /correct choice\.\n\nStem\n\nA: a\n/,
      expected: 'A',
    },
    {
      name: 'boolq',
      row: { question: 'is it', passage: 'P.', answer: false },
      want: { id: 'row 4', prompt: 'is it', answer: 'False' },
      user: /^P\.\n\nQuestion: is it\?\n\n/,
      expected: 'False',
    },
    {
      name: 'hellaswag',
      row: { ctx: 'C', endings: ['e0', 'e1', 'e2', 'e3'], label: '2' },
      want: { id: 'row 4', prompt: 'C', choices: ['e0', 'e1', 'e2', 'e3'], answer: '2' },
      user: /Passage: C\n\n0: e0\n1: e1\n2: e2\n3: e3\n\n/,
      expected: '2',
    },
    {
      name: 'piqa',
      row: { goal: 'G', sol1: 's1', sol2: 's2', label: 1n },
      want: { id: 'row 4', prompt: 'G', choices: ['s1', 's2'], answer: '1' },
      user: /"""G"""\n\n0: s1\n1: s2\n\n/,
      expected: '1',
    },
    {
      name: 'winogrande',
      row: { sentence: 'S _.', option1: 'o1', option2: 'o2', answer: '2' },
      want: { id: 'row 4', prompt: 'S _.', choices: ['o1', 'o2'], answer: '2' },
      user: /\n\nS _\.\n\nWhich option is correct\?\n\nOption 1: o1\n\nOption 2: o2\n\n/,
      expected: '2',
    },
    {
      name: 'gsm8k',
      row: { question: 'How many?', answer: 'so 1200 - 2 = <<1200-2=1198>>1198\n#### 1198' },
      want: { id: 'row 4', prompt: 'How many?', answer: '1198' },
      user: /^Please answer the following question: How many\?\n\n$/,
      expected: '1198',
    },
  ];
  for (const c of cases) {
    it(`${c.name}`, () => {
      const e = benchmarkExample(c.name, c.row, 4);
      expect({ id: e.id, prompt: e.prompt, choices: e.choices, answer: e.answer }).toEqual({
        choices: undefined,
        ...c.want,
      });
      expect(e.index).toBe(4);
      expect(e.item.user).toMatch(c.user);
      expect(e.item.expected).toBe(c.expected);
      expect(e.item.id).toBe(c.want.id);
      expect(e.item.rule).toBe(BENCHMARKS[c.name].rule);
    });
  }

  it('a row that is not as the benchmark needs: the benchmark, file, row and field named', () => {
    expect(() =>
      benchmarkExample(
        'arc_easy',
        {
          id: 'x',
          question: 'q',
          choices: { text: ['a', 'b'], label: ['A', 'B'] },
          answerKey: 'E',
        },
        7,
      ),
    ).toThrow(
      'ARC-Easy (allenai/ai2_arc ARC-Easy/test-00000-of-00001.parquet): row 7, field "answerKey": "E" is not among the labels A, B',
    );
    expect(() =>
      benchmarkExample('hellaswag', { ctx: 'c', endings: ['a', 'b', 'c', 'd'], label: '' }, 1),
    ).toThrow(/Rowan\/hellaswag .*: row 1, field "label": "" is not 0, 1, 2 or 3/);
    expect(() =>
      benchmarkExample('boolq', { question: 'q', passage: 'p', answer: 'yes' }, 0),
    ).toThrow(/BoolQ .*: row 0, field "answer": expected a bool/);
    expect(() =>
      benchmarkExample('piqa', { goal: 'g', sol1: 'a', sol2: 'b', label: -1 }, 3),
    ).toThrow(/PIQA .*: row 3, field "label": -1 is not 0 or 1/);
    expect(() => benchmarkExample('gsm8k', { question: 'q', answer: 'none' }, 2)).toThrow(
      /GSM8K .*: row 2, field "answer": no number/,
    );
    expect(() =>
      benchmarkExample('winogrande', { sentence: 's', option1: 'a', answer: '1' }, 5),
    ).toThrow(/Winogrande .*: row 5, field "option2": expected a string/);
  });
});

/** mulberry32 + partial Fisher–Yates, restated (sample.ts's documented rule), to pick the rows. */
function restatedSample(total: number, n: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idx = Array.from({ length: total }, (_, i) => i);
  const k = Math.min(n, total);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (total - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, k).sort((x, y) => x - y);
}

describe('readBenchmarkSample (parquet through hyparquet)', () => {
  it('every benchmark: a seeded sample of the fixture file, in the real column layout', async () => {
    for (const name of Object.keys(BENCHMARKS) as BenchmarkName[]) {
      const rows = BENCHMARK_FIXTURE_ROWS[name];
      const s = await readBenchmarkSample(name, parquetOf(name), { limit: 2, seed: 11 });
      expect(s.total, name).toBe(rows.length);
      expect(s.seed).toBe(11);
      expect(s.indices, name).toEqual(restatedSample(rows.length, 2, 11));
      expect(s.examples.map((e) => e.index)).toEqual(s.indices);
      s.examples.forEach((e) => {
        // The row read from parquet gives the example the plain row gives.
        expect(e, name).toEqual(benchmarkExample(name, rows[e.index]!, e.index));
      });
    }
  });

  it('ARC-Easy: the default 50 takes the whole 12-row fixture; another seed another sample', async () => {
    const all = await readBenchmarkSample('arc_easy', parquetOf('arc_easy'));
    expect(all.limit).toBe(50);
    expect(all.indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(all.examples.map((e) => e.id)[3]).toBe('NYSEDREGENTS_2015_4_3');
    const a = await readBenchmarkSample('arc_easy', parquetOf('arc_easy'), { limit: 4, seed: 1 });
    const b = await readBenchmarkSample('arc_easy', parquetOf('arc_easy'), { limit: 4, seed: 2 });
    expect(a.indices).toEqual(restatedSample(12, 4, 1));
    expect(b.indices).toEqual(restatedSample(12, 4, 2));
    expect(a.indices).not.toEqual(b.indices);
  });

  it('not a parquet file, a missing column, too many rows, too large: named errors', async () => {
    const text = new TextEncoder().encode('id,question\n1,q\n');
    await expect(readBenchmarkSample('arc_easy', buf(text))).rejects.toThrow(
      /^ARC-Easy \(allenai\/ai2_arc ARC-Easy\/test-00000-of-00001\.parquet\): not a readable parquet file/,
    );
    const noKey = writeParquet(
      BENCHMARK_COLUMNS.arc_easy.filter(([n]) => n !== 'answerKey'),
      BENCHMARK_FIXTURE_ROWS.arc_easy,
    );
    await expect(readBenchmarkSample('arc_easy', buf(noKey))).rejects.toThrow(
      'ARC-Easy (allenai/ai2_arc ARC-Easy/test-00000-of-00001.parquet): no column "answerKey" (the file has "id", "question", "choices"; ARC-Easy needs "id", "question", "choices", "answerKey")',
    );
    const many = writeParquet(
      [['question', { kind: 'string' }]],
      Array.from({ length: MAX_BENCHMARK_ROWS + 1 }, () => ({ question: 'q' })),
    );
    await expect(readBenchmarkSample('gsm8k', buf(many))).rejects.toThrow(
      /GSM8K \(openai\/gsm8k main\/test-00000-of-00001\.parquet\): the file declares 100001 rows; at most 100000/,
    );
    expect(() => checkBenchmarkSize('boolq', MAX_BENCHMARK_BYTES + 1)).toThrow(
      /BoolQ \(google\/boolq data\/validation-00000-of-00001\.parquet\): the file is 67108865 bytes, more than the 67108864 bytes/,
    );
    const badRow = writeParquet(BENCHMARK_COLUMNS.winogrande, [
      ...BENCHMARK_FIXTURE_ROWS.winogrande,
      { sentence: 's', option1: 'a', option2: 'b', answer: '' },
    ]);
    await expect(readBenchmarkSample('winogrande', buf(badRow), { limit: 10 })).rejects.toThrow(
      /Winogrande .*: row 3, field "answer": "" is not "1" or "2"/,
    );
  });
});
