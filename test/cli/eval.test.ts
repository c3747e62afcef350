/**
 * `t2l eval` as a real process on the demo T2L and the demo base (models/demo), with the fixture
 * example sets in test/fixtures/eval (free answers in JSON Lines, multiple choice in CSV; their
 * answers were picked so that the base, the adapter and the control each get some right and some
 * wrong). The scores must equal an independent computation here: adapters written by
 * `t2l generate --format gguf`, node-llama-cpp run directly on prompts this file builds itself
 * (the demo's chat template rendered with @huggingface/jinja, the reference's empty system message,
 * the ARC layout for choices), and the matching rules restated below.
 */
import { Template } from '@huggingface/jinja';
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCHMARK_SOURCES } from '../../src/core/eval/benchmarks';
import { BENCHMARK_FIXTURE_ROWS, benchmarkHubRepos } from '../../src/fixtures/benchmark-datasets';
import { localHubEnv, startLocalHub, writeHubRepos, type LocalHub } from '../support/local-hub';
import { t2l } from '../support/t2l-cli';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PACKAGE = join(ROOT, 'models', 'demo', 'packages', 'L');
const BASE = join(ROOT, 'models', 'demo', 'base', 'tiny-llama.gguf');
const ENCODER = join(ROOT, 'models', 'demo', 'encoder');
const FREE = join(ROOT, 'test', 'fixtures', 'eval', 'free.jsonl');
const CHOICE = join(ROOT, 'test', 'fixtures', 'eval', 'choice.csv');
const DESCRIPTION = 'answer questions about the solar system';
const CONTROL = 'write a poem about the sea';
const MAX_TOKENS = 8;
const DEMO_TEMPLATE =
  '{{ bos_token }}{% for message in messages %}<|{{ message.role }}|>{{ message.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}';

const tmp = mkdtempSync(join(tmpdir(), 't2l-eval-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const evalArgs = (examples: string, ...more: string[]) => [
  'eval',
  PACKAGE,
  '--encoder',
  ENCODER,
  '--base',
  BASE,
  '--examples',
  examples,
  '--description',
  DESCRIPTION,
  '--control',
  CONTROL,
  '--max-tokens',
  String(MAX_TOKENS),
  '--threads',
  '1',
  ...more,
];

// --- The reference's rules, restated for this test (utils/eval_tasks.py). ---
const STRIP = ':`\'"(.) ';
const stripSet = (s: string) => {
  let a = 0;
  let b = s.length;
  while (a < b && STRIP.includes(s[a]!)) a++;
  while (b > a && STRIP.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
};
// The fixtures' texts are ASCII: Python's str.strip() is trim() there.
const norm = (s: string) => stripSet(s.trim()).toLowerCase();
const freeRight = (out: string, answer: string) => {
  if (norm(out) === norm(answer)) return true;
  // str(float(out)) == answer.strip(), for the plain decimals a model could print here.
  if (!/^\s*-?[0-9]+(\.[0-9]+)?\s*$/.test(out)) return false;
  const x = Number(out);
  return (Number.isInteger(x) ? `${x}.0` : String(x)) === answer.trim();
};
const choice = (s: string) => {
  const c = norm(s)[0];
  return c !== undefined && /[a-z0-9]/.test(c) ? c : null;
};
const choiceRight = (out: string, letter: string) => choice(out) === choice(letter);

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
interface Case {
  id: string;
  user: string;
  expected: string;
  right: (out: string) => boolean;
}
function freeCases(): Case[] {
  return readFileSync(FREE, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; prompt: string; answer: string })
    .map((r) => ({
      id: r.id,
      user: r.prompt,
      expected: r.answer,
      right: (o) => freeRight(o, r.answer),
    }));
}
function choiceCases(): Case[] {
  const rows = Papa.parse<Record<string, string>>(readFileSync(CHOICE, 'utf8'), {
    header: true,
    skipEmptyLines: true,
  }).data;
  return rows.map((r) => {
    const choices = JSON.parse(r['choices']!) as string[];
    const a = r['answer']!;
    const index = /^[A-Za-z]$/.test(a)
      ? LETTERS.indexOf(a.toUpperCase())
      : /^[0-9]+$/.test(a)
        ? Number(a)
        : choices.indexOf(a);
    const letter = LETTERS[index]!;
    const user =
      `Answer the question below by choosing the correct choice.\n\n${r['prompt']}\n\n` +
      `${choices.map((c, i) => `${LETTERS[i]}: ${c}`).join('\n')}\n\n` +
      'You must respond with the letter corresponding to the correct choice without any explanation.';
    return { id: r['id']!, user, expected: letter, right: (o) => choiceRight(o, letter) };
  });
}

/** Greedy text of the demo base, with an adapter or none, straight from node-llama-cpp. */
type Direct = (user: string, adapter: string | null) => Promise<string>;
let direct: Direct;
let closeDirect: () => Promise<void>;
const adapters: Record<string, string> = {};

interface EvalJson {
  models: Array<{ id: string; label: string; description?: string }>;
  summaries: Array<{
    model: string;
    n: number;
    correct: number;
    accuracy: number;
    interval: { low: number; high: number };
    vsBase: { gained: number; lost: number; p: number } | null;
  }>;
  rows: Array<{
    id: string;
    user: string;
    expected: string;
    answers: Record<string, { output: string; correct: boolean }>;
  }>;
}

/** Wilson 95 % from its closed form, and the sign test from a binomial sum, written here. */
const wilson = (k: number, n: number) => {
  const z = 1.959963984540054;
  const p = k / n;
  const c = p + (z * z) / (2 * n);
  const h = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [(c - h) / (1 + (z * z) / n), (c + h) / (1 + (z * z) / n)];
};
const signP = (a: number, b: number) => {
  const n = a + b;
  let c = 1;
  let tail = 0;
  for (let i = 0; i <= Math.min(a, b); i++) {
    if (i > 0) c = (c * (n - i + 1)) / i;
    tail += c;
  }
  return n === 0 ? 1 : Math.min(1, (2 * tail) / 2 ** n);
};

/** The independent scores of base, adapter and control on `cases`. */
async function independent(cases: Case[]) {
  const right: Record<string, boolean[]> = { base: [], adapter: [], control: [] };
  const texts: Record<string, string[]> = { base: [], adapter: [], control: [] };
  for (const c of cases) {
    for (const [name, path] of [
      ['base', null],
      ['adapter', adapters['adapter']!],
      ['control', adapters['control']!],
    ] as const) {
      const text = await direct(c.user, path);
      texts[name]!.push(text);
      right[name]!.push(c.right(text));
    }
  }
  return { right, texts };
}

const SLOW = 600_000;

/** stderr without t2l eval's progress lines ("3/5 examples, 1.20/s, 2 s left"). */
function withoutProgress(stderr: string): string {
  return stderr.replace(/^\d+\/\d+ examples, [\d.]+\/s, (\d+|\?) s left\n/gm, '');
}
describe('t2l eval on the demo', { timeout: SLOW }, () => {
  beforeAll(async () => {
    const gen = await t2l([
      'generate',
      PACKAGE,
      '--description',
      DESCRIPTION,
      CONTROL,
      '--encoder',
      ENCODER,
      '--format',
      'gguf',
      '-o',
      join(tmp, 'gen'),
    ]);
    expect(gen.code).toBe(0);
    adapters['adapter'] = join(tmp, 'gen', '0.gguf');
    adapters['control'] = join(tmp, 'gen', '1.gguf');

    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: BASE });
    expect(model.fileInfo.metadata.tokenizer.chat_template).toBe(DEMO_TEMPLATE);
    const template = new Template(DEMO_TEMPLATE);
    direct = async (user, adapter) => {
      const prompt = template.render({
        messages: [
          { role: 'system', content: '' },
          { role: 'user', content: user },
        ],
        bos_token: '<s>',
        eos_token: '</s>',
        add_generation_prompt: true,
      });
      const tokens = model.tokenize(prompt, true);
      const ctx = await model.createContext({
        contextSize: tokens.length + MAX_TOKENS + 1,
        flashAttention: false,
        threads: 1,
        ...(adapter ? { lora: { adapters: [{ filePath: adapter, scale: 1 }] } } : {}),
      });
      const out: Token[] = [];
      for await (const t of ctx.getSequence().evaluate(tokens, { temperature: 0 })) {
        if (model.isEogToken(t)) break;
        out.push(t);
        if (out.length === MAX_TOKENS) break;
      }
      await ctx.dispose();
      return model.detokenize(out, false);
    };
    closeDirect = async () => {
      await model.dispose();
      await llama.dispose();
    };
  }, 600_000);
  afterAll(async () => closeDirect?.());

  it('free answers (--json): every answer and score equals node-llama-cpp run directly, matched by the restated rule', async () => {
    const r = await t2l([...evalArgs(FREE), '--json']);
    // Progress lines (a pipe gets one every 10 s and the last), and nothing else: no warnings.
    expect(withoutProgress(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as EvalJson;
    const cases = freeCases();
    const ind = await independent(cases);
    // The fixture tells the models apart: the base and the adapter are each right and wrong somewhere.
    expect(ind.right['base']).toContain(true);
    expect(ind.right['base']).toContain(false);
    expect(ind.right['adapter']).not.toEqual(ind.right['base']);

    const ids = out.models.map((m) => m.id);
    expect(ids[0]).toBe('base');
    expect(ids.at(-1)).toBe('control');
    const [, adapterId] = ids;
    expect(out.rows.map((row) => row.id)).toEqual(cases.map((c) => c.id));
    cases.forEach((c, i) => {
      const row = out.rows[i]!;
      expect(row.user).toBe(c.user);
      expect(row.answers['base']!.output).toBe(ind.texts['base']![i]);
      expect(row.answers[adapterId!]!.output).toBe(ind.texts['adapter']![i]);
      expect(row.answers['control']!.output).toBe(ind.texts['control']![i]);
      expect(row.answers['base']!.correct).toBe(ind.right['base']![i]);
      expect(row.answers[adapterId!]!.correct).toBe(ind.right['adapter']![i]);
      expect(row.answers['control']!.correct).toBe(ind.right['control']![i]);
    });

    const n = cases.length;
    const count = (xs: boolean[]) => xs.filter(Boolean).length;
    for (const [id, name] of [
      ['base', 'base'],
      [adapterId!, 'adapter'],
      ['control', 'control'],
    ] as const) {
      const s = out.summaries.find((x) => x.model === id)!;
      const k = count(ind.right[name]!);
      expect(s).toMatchObject({ n, correct: k });
      const [lo, hi] = wilson(k, n);
      expect(s.interval.low).toBeCloseTo(k === 0 ? 0 : lo!, 10);
      expect(s.interval.high).toBeCloseTo(k === n ? 1 : hi!, 10);
      if (name === 'base') {
        expect(s.vsBase).toBeNull();
        continue;
      }
      const gained = ind.right[name]!.filter((x, i) => x && !ind.right['base']![i]).length;
      const lost = ind.right[name]!.filter((x, i) => !x && ind.right['base']![i]).length;
      expect(s.vsBase).toMatchObject({ gained, lost });
      expect(s.vsBase!.p).toBeCloseTo(signP(gained, lost), 12);
    }
  });

  it('multiple choice (CSV, table): the printed accuracies equal the independent scores', async () => {
    const r = await t2l(evalArgs(CHOICE));
    // Progress lines (a pipe gets one every 10 s and the last), and nothing else: no warnings.
    expect(withoutProgress(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    const cases = choiceCases();
    const ind = await independent(cases);
    expect(ind.right['control']).not.toEqual(ind.right['base']);
    const n = cases.length;
    const lines = r.stdout.split('\n');
    const line = (label: RegExp) => lines.find((l) => label.test(l))!;
    for (const [label, name] of [
      [/^base model /, 'base'],
      [/^L /, 'adapter'],
      [/^control \(L\) /, 'control'],
    ] as const) {
      const k = ind.right[name]!.filter(Boolean).length;
      const [lo, hi] = wilson(k, n);
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const text = line(label);
      expect(text).toContain(`${k}/${n}`);
      expect(text).toContain(pct(k / n));
      expect(text).toContain(`${pct(k === 0 ? 0 : lo!)} – ${pct(k === n ? 1 : hi!)}`);
      if (name !== 'base') {
        const gained = ind.right[name]!.filter((x, i) => x && !ind.right['base']![i]).length;
        const lost = ind.right[name]!.filter((x, i) => !x && ind.right['base']![i]).length;
        expect(text).toMatch(
          new RegExp(`\\+${gained}\\s+−${lost}\\s+${signP(gained, lost).toFixed(3)}$`),
        );
      }
    }
    expect(r.stdout).toMatch(/^examples: .*choice\.csv \(4: 0 free answer, 4 multiple choice\)$/m);
  });

  describe('--benchmark arc_easy through the local Hub (HF_ENDPOINT), cached in HF_HOME', () => {
    let hub: LocalHub;
    const home = join(tmp, 'hf-home');
    const guardLog = join(tmp, 'guard.log');
    const env = (extra: Record<string, string> = {}, hfHome = home): NodeJS.ProcessEnv => {
      const base: NodeJS.ProcessEnv = { ...process.env };
      for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE']) {
        delete base[k];
      }
      return { ...base, ...localHubEnv(hub, guardLog), HF_HOME: hfHome, ...extra };
    };
    const benchArgs = (...more: string[]) =>
      evalArgs(FREE)
        .flatMap((a, i, all) => (all[i - 1] === '--examples' || a === '--examples' ? [] : [a]))
        .concat('--benchmark', 'arc_easy', ...more);
    beforeAll(async () => {
      const root = join(tmp, 'hub');
      await writeHubRepos(root, benchmarkHubRepos());
      hub = await startLocalHub({ root });
    });
    afterAll(async () => hub?.stop());

    /** mulberry32 + partial Fisher-Yates (sample.ts's documented rule), restated. */
    const sampled = (total: number, n: number, seed: number) => {
      let a = seed >>> 0;
      const rand = () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const idx = Array.from({ length: total }, (_, i) => i);
      for (let i = 0; i < Math.min(n, total); i++) {
        const j = i + Math.floor(rand() * (total - i));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      return idx.slice(0, Math.min(n, total)).sort((x, y) => x - y);
    };
    /** ARC rows as vllm_eval.py's ARC_TEMPLATE asks them (padded to four with N/A), written here. */
    const arcCase = (index: number): Case => {
      const row = BENCHMARK_FIXTURE_ROWS.arc_easy[index] as {
        id: string;
        question: string;
        choices: { text: string[]; label: string[] };
        answerKey: string;
      };
      const text = [...row.choices.text];
      const label = [...row.choices.label];
      while (text.length < 4) {
        text.push('N/A');
        label.push(/^[0-9]/.test(label[0]!) ? String(label.length + 1) : 'ABCD'[label.length]!);
      }
      const user =
        `Answer the question below by choosing the correct choice.\n\n${row.question}\n\n` +
        `${[0, 1, 2, 3].map((i) => `${label[i]}: ${text[i]}`).join('\n')}\n\n` +
        'You must respond with the letter corresponding to the correct choice without any explanation.';
      return {
        id: row.id,
        user,
        expected: row.answerKey,
        right: (o) => choiceRight(o, row.answerKey),
      };
    };

    it('a seeded sample: the rows, prompts, answers and scores equal node-llama-cpp run directly; the seed, rows and pinned commit recorded', async () => {
      const r = await t2l([...benchArgs('--limit', '5', '--seed', '3'), '--json'], false, env());
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as EvalJson & { examples: Record<string, unknown> };
      const indices = sampled(12, 5, 3);
      const cases = indices.map(arcCase);
      expect(out.examples).toMatchObject({
        benchmark: 'arc_easy',
        dataset: {
          repo: 'allenai/ai2_arc',
          config: 'ARC-Easy',
          split: 'test',
          file: 'ARC-Easy/test-00000-of-00001.parquet',
          revision: BENCHMARK_SOURCES.arc_easy.revision,
          commit: BENCHMARK_SOURCES.arc_easy.revision,
        },
        total: 12,
        limit: 5,
        seed: 3,
        indices,
        ids: cases.map((c) => c.id),
        count: 5,
      });
      const ind = await independent(cases);
      // The fixture's S row (index 10) is answered right by the demo's "s…" answers, the rest not.
      expect(ind.right['base']).toEqual(indices.map((i) => i === 10));
      const [, adapterId] = out.models.map((m) => m.id);
      expect(out.rows.map((row) => row.id)).toEqual(cases.map((c) => c.id));
      cases.forEach((c, i) => {
        const row = out.rows[i]!;
        expect(row.user).toBe(c.user);
        expect(row.expected).toBe(c.expected);
        for (const [id, name] of [
          ['base', 'base'],
          [adapterId!, 'adapter'],
          ['control', 'control'],
        ] as const) {
          // A choice answer stops once its letter is decided (outputDecided): a prefix of the
          // direct run's text, with the same verdict.
          expect(ind.texts[name]![i]!.startsWith(row.answers[id]!.output)).toBe(true);
          expect(row.answers[id]!.output.trim()).not.toBe('');
          expect(row.answers[id]!.correct).toBe(ind.right[name]![i]);
        }
      });
      for (const [id, name] of [
        ['base', 'base'],
        [adapterId!, 'adapter'],
      ] as const) {
        const k = ind.right[name]!.filter(Boolean).length;
        expect(out.summaries.find((x) => x.model === id)).toMatchObject({ n: 5, correct: k });
        expect(k).toBe(1);
      }
      // Only the pinned commit was asked for, and only through the endpoint.
      hub.assertPinned({ 'allenai/ai2_arc': BENCHMARK_SOURCES.arc_easy.revision });
      expect(hub.requests.some((q) => q.url.startsWith('/datasets/allenai/ai2_arc/resolve/'))).toBe(
        true,
      );
    });

    it('offline: from the cache it runs; with no cache it says in one line which host it tried and to use --examples', async () => {
      const asked = hub.requests.length;
      await hub.stop();
      try {
        // --limit over the split's 12 rows: all 12 scored, and stderr says so.
        const cached = await t2l(benchArgs('--limit', '100', '--no-control'), false, env());
        expect(cached.code).toBe(0);
        expect(cached.stdout).toMatch(
          /^examples: ARC-Easy, 12 of 12 rows \(seed 0\) of allenai\/ai2_arc ARC-Easy test at 210d026faf99$/m,
        );
        expect(withoutProgress(cached.stderr)).toBe(
          't2l: note: --limit 100 but the set has 12 examples: scoring all 12\n',
        );
        expect(hub.requests.length).toBe(asked);
        const empty = join(tmp, 'hf-home-empty');
        const r = await t2l(benchArgs('--limit', '2'), false, env({}, empty));
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^t2l: error: [^\n]+\n$/);
        const { host } = new URL(hub.endpoint);
        expect(r.stderr).toContain(`cannot reach the Hub at ${host}`);
        expect(r.stderr).toContain('allenai/ai2_arc/ARC-Easy/test-00000-of-00001.parquet');
        expect(r.stderr).toMatch(/or pass --examples FILE/);
      } finally {
        await hub.start();
      }
    });
  });
});

describe(
  't2l eval: bad input is one line naming the line and field, before any model loads',
  { timeout: SLOW },
  () => {
    const refused = async (args: string[], pattern: RegExp) => {
      const r = await t2l(args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^t2l: error: [^\n]+\n$/);
      expect(r.stderr).toMatch(pattern);
    };
    const write = (name: string, text: string) => {
      const p = join(tmp, name);
      writeFileSync(p, text);
      return p;
    };

    // Each case is its own process; they run side by side.
    it('malformed line, missing answer, answer not among the choices, empty file', async () => {
      await Promise.all([
        refused(
          evalArgs(
            write('bad.jsonl', '{"prompt": "a", "answer": "b"}\n{"prompt": "c", "answer": }\n'),
          ),
          /bad\.jsonl: line 2: not valid JSON/,
        ),
        refused(
          evalArgs(write('noanswer.jsonl', '{"prompt": "a", "answer": "b"}\n\n{"prompt": "c"}\n')),
          /noanswer\.jsonl: line 3, field "answer": missing/,
        ),
        refused(
          evalArgs(write('choices.csv', 'prompt,answer,A,B,C\nq,b,x,y,z\nq2,F,x,y,z\n')),
          /choices\.csv: line 3, field "answer": "F" is not among the 3 choices/,
        ),
        refused(evalArgs(write('empty.jsonl', '')), /empty\.jsonl: the file is empty/),
      ]);
    });

    it('--template "" is the default templates, as the page\'s empty template field (review 11)', async () => {
      // Accepted: the command goes on to the examples, whose own fault is then the error.
      await Promise.all([
        refused(
          [...evalArgs(write('tpl.jsonl', '{"prompt": "a", "answer": }\n')), '--template', ''],
          /^t2l: error: [^\n]*tpl\.jsonl: line 1: not valid JSON/,
        ),
        refused(
          [...evalArgs(FREE), '--template', ' '],
          /^t2l: error: the template must hold \{prompt\}, where each row goes\n$/,
        ),
      ]);
    });

    it("--max-tokens past the shared limit (core MAX_ANSWER_TOKENS, the page field's too) is refused (review 11)", async () => {
      await Promise.all([
        refused(
          [...evalArgs(FREE), '--max-tokens', '513'],
          /^t2l: error: --max-tokens must be a whole number from 1 to 512, found 513\n$/,
        ),
        // Written in decimal digits only: JavaScript's Number() reads 1e2 as 100 and 0x10 as 16.
        refused(
          [...evalArgs(FREE), '--max-tokens', '1e2'],
          /^t2l: error: --max-tokens must be a whole number from 1 to 512, found 1e2\n$/,
        ),
        refused(
          [...evalArgs(FREE), '--limit', '0x10'],
          /^t2l: error: --limit must be a whole number from 1 to [\d,]+, found 0x10\n$/,
        ),
        // 512 is accepted: the command goes on to the examples, whose fault is then the error.
        refused(
          [...evalArgs(write('mt.jsonl', '{"prompt": "a", "answer": }\n')), '--max-tokens', '512'],
          /^t2l: error: [^\n]*mt\.jsonl: line 1: not valid JSON/,
        ),
      ]);
    });

    it('a 100 MB file and a 100,000-row file are refused without reading them whole', async () => {
      const big = join(tmp, 'big.jsonl');
      const fd = openSync(big, 'w');
      ftruncateSync(fd, 100 * 1024 * 1024); // sparse: no disk used
      closeSync(fd);
      const rows = `${'{"prompt":"p","answer":"a"}\n'.repeat(100_000)}`;
      await Promise.all([
        refused(
          evalArgs(big),
          /big\.jsonl: the file is 104857600 bytes, more than the 16777216 bytes/,
        ),
        refused(
          evalArgs(write('rows.jsonl', rows)),
          /rows\.jsonl: line 10001: more than 10000 rows/,
        ),
      ]);
    });

    it('--benchmark: unknown names, HumanEval, both sources, a template: refused before anything is fetched', async () => {
      const bench = (name: string, ...more: string[]) =>
        evalArgs(FREE)
          .flatMap((a, i, all) => (all[i - 1] === '--examples' || a === '--examples' ? [] : [a]))
          .concat('--benchmark', name, ...more);
      // No HF_ENDPOINT that answers: a fetch would fail with another message.
      const noHub = {
        ...process.env,
        HF_ENDPOINT: 'http://127.0.0.1:9',
        HF_HOME: join(tmp, 'none'),
      };
      const refusedNoHub = async (args: string[], pattern: RegExp) => {
        const r = await t2l(args, false, noHub);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^t2l: error: [^\n]+\n$/);
        expect(r.stderr).toMatch(pattern);
      };
      await Promise.all([
        refusedNoHub(
          bench('arc_easyy'),
          /--benchmark arc_easyy: unknown benchmark; the reference's are arc_easy, /,
        ),
        refusedNoHub(
          bench('humaneval'),
          /HumanEval is not scored here: .*execute untrusted Python/,
        ),
        refusedNoHub(
          [...evalArgs(FREE), '--benchmark', 'boolq'],
          /either --examples FILE or --benchmark NAME/,
        ),
        refusedNoHub(
          bench('boolq', '--template', '{prompt}'),
          /--template and --system apply to --examples/,
        ),
        refusedNoHub(
          bench('boolq', '--limit', '0'),
          /--limit must be a whole number from 1 to 10000, found 0/,
        ),
        // The page's Accuracy panel refuses these templates with the same words
        // (test/unit/app/accuracy-run.test.ts).
        refusedNoHub(
          [...evalArgs(FREE), '--template', 'Q: {question}'],
          /^t2l: error: the template may use only \{prompt\} and \{choices\} \(other fields of a row are not read\); found \{question\}\n$/,
        ),
        refusedNoHub(
          [...evalArgs(FREE), '--template', 'No field here'],
          /^t2l: error: the template must hold \{prompt\}, where each row goes\n$/,
        ),
      ]);
    });
  },
);

describe('t2l eval: failures partway and signals (review 11)', { timeout: SLOW }, () => {
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      JSON.stringify({ id: `r${i + 1}`, prompt: `Question ${i + 1}?`, answer: `${i + 1}` }),
    );

  it('the LLM fails on example 7: the 6 finished are printed, marked incomplete, then the error; exit 1', async () => {
    // Row 7's prompt is longer than the demo base's context (2048 tokens): llama.cpp refuses it
    // when its turn comes, after rows 1–6 were answered by every model.
    const lines = rows(8);
    lines[6] = JSON.stringify({ id: 'r7', prompt: 'x '.repeat(5000), answer: '7' });
    const file = join(tmp, 'fails-at-7.jsonl');
    writeFileSync(file, lines.join('\n'));
    const [text, json] = await Promise.all([
      t2l(evalArgs(file)),
      t2l([...evalArgs(file), '--json']),
    ]);
    const error =
      /t2l: error: the prompt \(\d+ tokens\) and --max-tokens 8 exceed the base model's context of 2048 tokens\n$/;

    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'incomplete: the run failed after 6 of 8 examples; the scores are of those (the error follows on stderr)\n',
    );
    // Every model's right count is out of the 6 finished examples.
    const table = text.stdout.split('\n');
    for (const label of [/^base model /, /^L /, /^control \(L\) /]) {
      expect(table.find((l) => label.test(l))).toMatch(/ \d\/6(\s|$)/);
    }
    expect(withoutProgress(text.stderr)).toMatch(error);

    expect(json.code).toBe(1);
    expect(withoutProgress(json.stderr)).toMatch(error);
    const record = JSON.parse(json.stdout) as {
      complete: boolean;
      cancelled: boolean;
      error: string | null;
      rows: Array<{ id: string; answers: Record<string, { correct: boolean }> }>;
      summaries: Array<{ model: string; n: number; correct: number }>;
    };
    expect(record.complete).toBe(false);
    expect(record.cancelled).toBe(false);
    expect(record.error).toMatch(/^the prompt \(\d+ tokens\) and --max-tokens 8 exceed/);
    expect(record.rows.map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    for (const s of record.summaries) {
      expect(s.n).toBe(6);
      expect(s.correct).toBe(record.rows.filter((r) => r.answers[s.model]!.correct).length);
    }
  });

  it('a run that finishes records complete: true and no error in --json', async () => {
    const file = join(tmp, 'two.jsonl');
    writeFileSync(file, rows(2).join('\n'));
    const r = await t2l([...evalArgs(file), '--json', '--control', 'x']);
    expect(r.code).toBe(0);
    const record = JSON.parse(r.stdout) as { complete: boolean; error: string | null };
    expect([record.complete, record.error]).toEqual([true, null]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'killed by %s while it works: its t2l-eval-* folder is removed, exit code %i',
    async (signal, code) => {
      // A private TMPDIR: the command's folder is found here, and only its.
      const own = join(tmp, `tmpdir-${signal}`);
      mkdirSync(own);
      const file = join(tmp, `many-${signal}.jsonl`);
      writeFileSync(file, rows(200).join('\n'));
      const child = spawn(process.execPath, [join(ROOT, 'bin', 't2l.mjs'), ...evalArgs(file)], {
        cwd: ROOT,
        env: { ...process.env, TMPDIR: own },
        stdio: 'ignore',
      });
      const exit = new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
      const folders = () => readdirSync(own).filter((n) => n.startsWith('t2l-eval-'));
      // Killed once the folder holds an adapter: mid-run, not before the folder exists.
      let exited = false;
      void exit.then(() => (exited = true));
      while (!exited && !folders().some((f) => readdirSync(join(own, f)).length > 0)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(exited).toBe(false);
      child.kill(signal);
      expect(await exit).toBe(code);
      expect(folders()).toEqual([]);
    },
  );
});
