/**
 * The page's accuracy run (accuracy/accuracy.ts) with the LLM worker's API (shared/llm/llm.ts) faked:
 * the worker runs llama.cpp in wasm, which cannot run here (the e2e runs the real one). Everything
 * else is real: the core's parser, prompts, matching and statistics, the store, and History's
 * IndexedDB (fake-indexeddb). Expected verdicts and intervals are worked out here, not read back
 * from the code under test.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PromptInput } from '../../../src/app/shared/llm/llm';
import {
  BENCHMARK_FIXTURE_ROWS,
  benchmarkHubRepos,
} from '../../../src/fixtures/benchmark-datasets';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../support/local-hub';

const calls: PromptInput[] = [];
/** Answers per adapter id (null: the base): the fake model's greedy outputs, by user message. */
const answers: Record<string, Record<string, string>> = {};
let onCall: (n: number) => void = () => undefined;

vi.mock('../../../src/app/shared/llm/llm', () => ({
  prepareLlm: vi.fn(async (_base: unknown, adapters: unknown[]) => ({
    prepared: {
      model: { name: 'fake-base' },
      backend: { label: 'fake' },
      adapters: adapters.map((_, i) => `id-${i}`),
      baseLoads: 1,
    },
    ids: adapters.map((_, i) => `id-${i}`),
  })),
  completeLlm: vi.fn(async (_prepared: unknown, input: PromptInput) => {
    calls.push(input);
    onCall(calls.length);
    const who = input.adapter ?? 'base';
    return { text: answers[who]?.[input.prompt] ?? '?', finish: 'stop' };
  }),
}));

/**
 * The generation worker's transport faked (no Worker in Node): a 'benchmark' call runs the worker's
 * own handler (worker/benchmark.ts) here, against the endpoint the page passes (the local Hub).
 */
vi.mock('../../../src/app/shared/worker-client', () => ({
  workerClient: () => ({
    call: async (method: string, params: { hubEndpoint?: string } & Record<string, unknown>) => {
      if (method !== 'benchmark') throw new Error(`unexpected worker call ${method}`);
      const { benchmarkSample } = await import('../../../src/app/worker/benchmark');
      return benchmarkSample(params as never, {
        signal: new AbortController().signal,
        progress: () => undefined,
        headersFor: () => ({}),
        hubEndpoint: params.hubEndpoint ?? 'https://huggingface.co',
      });
    },
  }),
}));

let hub: LocalHub;
let hubRoot: string;
beforeAll(async () => {
  hubRoot = await mkdtemp(join(tmpdir(), 't2l-accuracy-hub-'));
  await writeHubRepos(hubRoot, benchmarkHubRepos());
  hub = await startLocalHub({ root: hubRoot });
});
afterAll(async () => {
  await hub?.stop();
  await rm(hubRoot, { recursive: true, force: true });
});

const SET = [
  '{"prompt": "What is 2 + 3?", "answer": "5"}',
  '{"prompt": "Capital of France?", "answer": "Paris"}',
  '{"prompt": "Is water wet?", "choices": ["yes", "no"], "answer": "A"}',
  '{"prompt": "Largest?", "choices": ["3", "7"], "answer": 1}',
].join('\n');

/** The user message the reference's choice template makes of a choice row (protocol.ts). */
const choiceUser = (q: string, choices: string[]) =>
  `Answer the question below by choosing the correct choice.\n\n${q}\n\n${choices
    .map((c, i) => `${'AB'[i]}: ${c}`)
    .join(
      '\n',
    )}\n\nYou must respond with the letter corresponding to the correct choice without any explanation.`;

/** Wilson 95% interval, restated (z = 1.96 to 9 digits). */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959963985;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const h = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [k === 0 ? 0 : (c - h) / d, k === n ? 1 : (c + h) / d];
}

async function load() {
  globalThis.indexedDB = new IDBFactory();
  vi.resetModules();
  const accuracy = await import('../../../src/app/accuracy/accuracy');
  const { useAccuracy } = await import('../../../src/app/accuracy/accuracy-store');
  const db = await import('../../../src/app/shared/storage/history-db');
  const { useSettings } = await import('../../../src/app/shared/settings-store');
  return { ...accuracy, useAccuracy, db, useSettings };
}

const base = {
  id: 'b',
  label: 'base.gguf',
  size: null,
  // A picked file: no fit check (that needs the browser's navigator), no download.
  source: { kind: 'file', name: 'base.gguf' },
} as never;
const target = {
  key: 'adapter',
  label: 'This adapter',
  kind: 'adapter' as const,
  gguf: new Uint8Array([1]),
};

beforeEach(() => {
  calls.length = 0;
  onCall = () => undefined;
  for (const k of Object.keys(answers)) delete answers[k];
  answers['base'] = {
    'What is 2 + 3?': ' 5.',
    'Capital of France?': 'London',
    [choiceUser('Is water wet?', ['yes', 'no'])]: 'B',
    [choiceUser('Largest?', ['3', '7'])]: 'B) 7',
  };
  answers['id-0'] = {
    'What is 2 + 3?': '5',
    'Capital of France?': 'paris',
    [choiceUser('Is water wet?', ['yes', 'no'])]: '(A)',
    [choiceUser('Largest?', ['3', '7'])]: 'A',
  };
});

describe('accuracy run in the page', () => {
  it('scores the base and the adapter with the core’s prompts and rules, and keeps the report in History', async () => {
    const a = await load();
    const entry = await a.db.addHistoryEntry({ createdAt: 1, description: 'd' } as never, {
      safetensors: new Uint8Array(1),
      zip: new Uint8Array(1),
    });
    a.editAccuracyForm('t', { text: SET, maxTokens: 7 });
    await a.runAccuracy('t', base, [target], { historyIds: async () => [entry.id] });
    const p = a.accuracyPanel('t');
    expect(p.error).toBeNull();
    expect(p.status).toBe('done');
    // Per row: base, then adapter; the base gets no adapter, the adapter its id at scale 1.
    expect(calls.map((c) => c.adapter)).toEqual([
      null,
      'id-0',
      null,
      'id-0',
      null,
      'id-0',
      null,
      'id-0',
    ]);
    expect(calls.every((c) => c.maxTokens === 7 && c.scale === 1 && c.system === '')).toBe(true);
    expect(calls.every((c) => c.keepEmptySystem === true && c.useTemplate === true)).toBe(true);
    // Each answer stops where its row's matching rule settles it (the worker applies the rule).
    expect(calls.map((c) => c.decidedBy)).toEqual([
      'free',
      'free',
      'free',
      'free',
      'choice',
      'choice',
      'choice',
      'choice',
    ]);
    // Free answers: " 5." and "5" match "5" (stripped), "paris" matches "Paris", "London" does
    // not; choices: the first letter of the answer, "B" vs expected A wrong, "(A)" right, "B) 7" right.
    const r = p.report!;
    expect(r.rows.map((x) => x.answers.map((y) => y.correct))).toEqual([
      [true, true],
      [false, true],
      [false, true],
      [true, false],
    ]);
    expect(r.rows.map((x) => x.expected)).toEqual(['5', 'Paris', 'A', 'B']);
    const [b, ad] = r.summaries;
    expect([b!.correct, b!.n, ad!.correct, ad!.n]).toEqual([2, 4, 3, 4]);
    expect([b!.low, b!.high]).toEqual(wilson(2, 4).map((x) => expect.closeTo(x, 8)));
    expect([ad!.low, ad!.high]).toEqual(wilson(3, 4).map((x) => expect.closeTo(x, 8)));
    // Gained rows 2 and 3, lost row 4: p = 2 · P(X ≤ 1), X ~ Bin(3, 1/2) = 2 · 4/8 = 1.
    expect(ad!.vsBase).toEqual({ gained: 2, lost: 1, pValue: 1 });
    expect(b!.vsBase).toBeNull();
    // No template or system message given: the defaults, recorded as such.
    expect([r.template, r.system, r.maxTokens]).toEqual([null, '', 7]);
    expect(p.note).toBeNull();
    // Kept with the entry, and read back after a "reload" (a fresh module).
    expect(p.savedTo).toBe(entry.id);
    vi.resetModules();
    const again = await import('../../../src/app/shared/storage/history-db');
    expect(await again.historyEvals(entry.id)).toEqual([r]);
  });

  it('Cancel keeps the finished rows, summarized, and marks the report incomplete', async () => {
    const a = await load();
    a.editAccuracyForm('t', { text: SET });
    // Cancel while the third row's base answer is being written.
    onCall = (n) => {
      if (n === 5) a.cancelAccuracy('t');
    };
    await a.runAccuracy('t', base, [target]);
    const p = a.accuracyPanel('t');
    expect(p.status).toBe('cancelled');
    expect(p.report!.complete).toBe(false);
    expect(p.report!.rows.map((x) => x.id)).toEqual(['line 1', 'line 2']);
    expect(p.report!.summaries.map((s) => [s.correct, s.n])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(p.progress!.done).toBe(2);
  });

  it('the template and system message reach every prompt the worker gets; the report, its CSV and History record them', async () => {
    const a = await load();
    const { reportCsv } = await import('../../../src/app/accuracy/accuracy-report');
    const entry = await a.db.addHistoryEntry({ createdAt: 1, description: 'd' } as never, {
      safetensors: new Uint8Array(1),
      zip: new Uint8Array(1),
    });
    const template = 'Task: {prompt}\n{choices}\nAnswer {{briefly}}:';
    a.editAccuracyForm('t', { text: SET, template, system: 'Be brief.' });
    await a.runAccuracy('t', base, [target], { historyIds: async () => [entry.id] });
    const p = a.accuracyPanel('t');
    expect(p.error).toBeNull();
    // The user messages, written here: {prompt}, {choices} as "A: …" lines ('' for a free row),
    // "{{" for a brace; each asked of the base and then the adapter.
    const users = [
      'Task: What is 2 + 3?\n\nAnswer {briefly}:',
      'Task: Capital of France?\n\nAnswer {briefly}:',
      'Task: Is water wet?\nA: yes\nB: no\nAnswer {briefly}:',
      'Task: Largest?\nA: 3\nB: 7\nAnswer {briefly}:',
    ];
    expect(calls.map((c) => c.prompt)).toEqual(users.flatMap((u) => [u, u]));
    expect(calls.every((c) => c.system === 'Be brief.' && c.useTemplate === true)).toBe(true);
    const r = p.report!;
    expect([r.template, r.system]).toEqual([template, 'Be brief.']);
    // The table still shows each row's own prompt.
    expect(r.rows.map((x) => x.prompt)).toEqual([
      'What is 2 + 3?',
      'Capital of France?',
      'Is water wet?',
      'Largest?',
    ]);
    const csv = reportCsv(r).split('\r\n');
    expect(csv[0]).toMatch(/,template,system$/);
    expect(csv[1]).toMatch(/,"Task: \{prompt\}\n\{choices\}\nAnswer \{\{briefly\}\}:",Be brief\.$/);
    vi.resetModules();
    const again = await import('../../../src/app/shared/storage/history-db');
    expect(await again.historyEvals(entry.id)).toEqual([r]);
  });

  it('a template t2l eval would refuse is refused with its words, before anything runs', async () => {
    const a = await load();
    for (const [template, words] of [
      [
        'Q: {question}',
        'the template may use only {prompt} and {choices} (other fields of a row are not read); found {question}',
      ],
      ['No field here', 'the template must hold {prompt}, where each row goes'],
    ] as const) {
      a.editAccuracyForm('t', { text: SET, template });
      await a.runAccuracy('t', base, [target]);
      const p = a.accuracyPanel('t');
      expect(p.status).toBe('error');
      expect(p.error).toEqual({ title: 'The template cannot be used', message: words });
    }
    expect(calls).toHaveLength(0);
  });

  it('a run an error stops partway keeps its finished rows, marked incomplete with the error, in History too', async () => {
    const a = await load();
    const entry = await a.db.addHistoryEntry({ createdAt: 1, description: 'd' } as never, {
      safetensors: new Uint8Array(1),
      zip: new Uint8Array(1),
    });
    a.editAccuracyForm('t', { text: SET });
    // The worker fails on the third row's base answer (not a Cancel).
    onCall = (n) => {
      if (n === 5) throw new Error('The LLM worker stopped: out of memory.');
    };
    await a.runAccuracy('t', base, [target], { historyIds: async () => [entry.id] });
    const p = a.accuracyPanel('t');
    expect(p.status).toBe('error');
    expect(p.error).toEqual({
      title: 'The accuracy run failed after 2 of 4 examples; those are kept',
      message: 'The LLM worker stopped: out of memory.',
    });
    const r = p.report!;
    expect(r.complete).toBe(false);
    expect(r.error).toBe('The LLM worker stopped: out of memory.');
    expect(r.rows.map((x) => x.id)).toEqual(['line 1', 'line 2']);
    // Summarized over the two rows: base right on row 1, the adapter on both.
    expect(r.summaries.map((x) => [x.correct, x.n])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(p.savedTo).toBe(entry.id);
    vi.resetModules();
    const again = await import('../../../src/app/shared/storage/history-db');
    expect(await again.historyEvals(entry.id)).toEqual([r]);
  });

  it('names the malformed line and runs nothing', async () => {
    const a = await load();
    a.editAccuracyForm('t', { text: `${SET}\n{"prompt": "x", "answer": }` });
    await a.runAccuracy('t', base, [target]);
    const p = a.accuracyPanel('t');
    expect(p.status).toBe('error');
    expect(p.error!.message).toMatch(/line 5/);
    expect(calls).toHaveLength(0);
  });

  it('a picked file that is not UTF-8 is refused naming the line, not read with U+FFFD', async () => {
    const a = await load();
    const enc = (t: string) => new TextEncoder().encode(t);
    // Latin-1 "é" (0xe9): Blob.text() would have put U+FFFD in the prompt and scored that.
    const latin1 = new Uint8Array([...enc('prompt,answer\nqu'), 0xe9, ...enc(',a\n')]);
    await a.pickExampleFile('t', new File([latin1], 'set.csv'));
    const p = a.accuracyPanel('t');
    expect(p.status).toBe('error');
    expect(p.error!.message).toMatch(/^set\.csv: line 2: not UTF-8 text \(bytes e9 2c 61 0a/);
    expect(p.form.text).not.toContain('\uFFFD');
    // UTF-8, with or without its byte-order mark, is read as before.
    await a.pickExampleFile(
      't',
      new File([new Uint8Array([0xef, 0xbb, 0xbf, ...enc('prompt,answer\nqué,a\n')])], 'ok.csv'),
    );
    expect(a.accuracyPanel('t').form.text).toBe('prompt,answer\nqué,a\n');
    expect(a.accuracyPanel('t').error).toBeNull();
  });

  it('a benchmark sample through the Hub endpoint: its rows, seed and file in the report', async () => {
    const a = await load();
    a.useSettings.setState({ hubEndpoint: hub.endpoint });
    const rows = BENCHMARK_FIXTURE_ROWS.piqa as Array<{ goal: string; label: number }>;
    // The fake model answers PIQA's second row right, the others not at all.
    const piqaUser = (goal: string) => calls.find((c) => c.prompt.includes(`"""${goal}"""`));
    answers['base'] = {};
    // N = 4 asked of a split of 3 rows: all 3 are scored, and the page says so.
    a.editAccuracyForm('t', { source: 'benchmark', benchmark: 'piqa', limit: 4, seed: 5 });
    onCall = () => {
      const last = calls.at(-1)!;
      if (last.prompt.includes(rows[1]!.goal)) answers['base']![last.prompt] = ' 1';
    };
    await a.runAccuracy('t', base, [target]);
    const p = a.accuracyPanel('t');
    expect(p.error).toBeNull();
    expect(p.note).toBe('N = 4 but the set has 3 examples: scoring all 3');
    // The reference's 512 answer tokens, as t2l eval --benchmark without --max-tokens.
    expect(calls.map((c) => c.maxTokens)).toEqual(Array<number>(6).fill(512));
    expect(p.report!.maxTokens).toBe(512);
    expect(p.report!.set).toMatchObject({
      kind: 'benchmark',
      name: 'PIQA',
      total: 3,
      seed: 5,
      source: expect.stringMatching(
        /^ybisk\/piqa plain_text\/validation\/0000\.parquet at 142c5123/,
      ),
    });
    expect(p.report!.rows.map((r) => r.id)).toEqual(['row 0', 'row 1', 'row 2']);
    expect(p.report!.rows.map((r) => r.expected)).toEqual(rows.map((r) => String(r.label)));
    expect(piqaUser(rows[0]!.goal)!.prompt).toMatch(/^Choose the option that either answers/);
    // Scored by the reference's choice rule: the base right on row 1 only (its answer there is "1").
    expect(p.report!.rows.map((r) => r.answers[0]!.correct)).toEqual([false, true, false]);
    expect(
      hub.requests.some((r) => r.url.startsWith('/datasets/ybisk/piqa/resolve/142c5123')),
    ).toBe(true);
    // The field's cap applies to a benchmark too, as t2l eval --max-tokens does (now from the cache).
    calls.length = 0;
    a.editAccuracyForm('t', { limit: 2, benchmarkMaxTokens: 9, maxTokens: 5 });
    await a.runAccuracy('t', base, [target]);
    const capped = a.accuracyPanel('t');
    expect(capped.note).toBeNull();
    expect(calls.map((c) => c.maxTokens)).toEqual([9, 9, 9, 9]);
    expect(capped.report!.maxTokens).toBe(9);
  });

  it('offline with nothing cached: the benchmark says the host cannot be reached; own examples still run', async () => {
    const a = await load();
    a.useSettings.setState({ hubEndpoint: 'http://127.0.0.1:9' });
    a.editAccuracyForm('t', { source: 'benchmark', benchmark: 'boolq' });
    await a.runAccuracy('t', base, [target]);
    const p = a.accuracyPanel('t');
    expect(p.error!.title).toBe('The benchmark cannot be read');
    expect(p.error!.message).toMatch(
      /^BoolQ \(google\/boolq data\/validation-00000-of-00001\.parquet\) is not in this browser's cache and the Hub at 127\.0\.0\.1:9 cannot be reached .*your own examples .* still work offline\.$/,
    );
    expect(calls).toHaveLength(0);
    a.editAccuracyForm('t', { source: 'own', text: SET });
    await a.runAccuracy('t', base, [target]);
    expect(a.accuracyPanel('t').status).toBe('done');
  });
});

describe('Compare’s Accuracy row in History', () => {
  it('keeps the report with every column’s History entry, marked as Compare’s, after a reload', async () => {
    const a = await load();
    const { useCompare } = await import('../../../src/app/shared/compare-store');
    const { useCatalog } = await import('../../../src/app/shared/catalog-store');
    // The browser's globals the base's URL and fit check read (Node 20 has neither): the page's
    // address, and a navigator that knows no memory or quota.
    vi.stubGlobal('navigator', {});
    vi.stubGlobal('location', new URL('http://localhost/'));
    useCatalog.setState({
      catalog: {
        models: [
          {
            id: 'demo-L',
            baseModel: 'demo/tiny',
            baseGguf: { url: 'https://hub.test/tiny.gguf', size: 1000 },
          },
        ],
        encoders: {},
      } as never,
    });
    const stored: { id: number }[] = [];
    for (const d of ['L column', 'S column']) {
      stored.push(
        await a.db.addHistoryEntry({ createdAt: 1, description: d } as never, {
          safetensors: new Uint8Array(1),
          zip: new Uint8Array(1),
        }),
      );
    }
    const column = (i: number, label: string) =>
      ({
        label,
        status: 'done',
        result: { model: { baseModel: 'demo/tiny' } },
        adapter: { gguf: new Uint8Array([i]) },
        historyId: stored[i]!.id,
      }) as never;
    useCompare.setState({ columns: [column(0, 'T2L-L'), column(1, 'T2L-S')] });
    a.editAccuracyForm(a.COMPARE_PANEL, { text: SET });
    await a.runCompareAccuracy();
    const p = a.accuracyPanel(a.COMPARE_PANEL);
    expect(p.error).toBeNull();
    expect(p.status).toBe('done');
    expect(p.saveNote).toBeNull();
    const r = p.report!;
    expect(r.origin).toBe('compare');
    expect(r.models.map((m) => m.key)).toEqual(['base', 'col-0', 'col-1']);
    expect(r.rows).toHaveLength(4);
    // A "reload": a fresh module reads the same report from each column's entry.
    vi.resetModules();
    const again = await import('../../../src/app/shared/storage/history-db');
    for (const e of stored) expect(await again.historyEvals(e.id)).toEqual([r]);
    vi.unstubAllGlobals();
  });
});

describe('the control adapter’s description', () => {
  it('is the core’s junk string by default, the text typed otherwise, or none', async () => {
    const { controlDescription } = await import('../../../src/app/accuracy/accuracy');
    const { defaultForm } = await import('../../../src/app/accuracy/accuracy-store');
    const { DEFAULT_CONTROL_DESCRIPTION } = await import('../../../src/core/eval/protocol');
    const f = defaultForm();
    expect(f.control).toBe('junk');
    expect(controlDescription(f, DEFAULT_CONTROL_DESCRIPTION)).toBe(DEFAULT_CONTROL_DESCRIPTION);
    expect(controlDescription({ ...f, controlText: ' zz ' }, 'j')).toBe('zz');
    expect(controlDescription({ ...f, control: 'description', controlText: '' }, 'j')).toBeNull();
    expect(
      controlDescription({ ...f, control: 'description', controlText: 'Write poems.' }, 'j'),
    ).toBe('Write poems.');
    expect(controlDescription({ ...f, control: 'none', controlText: 'x' }, 'j')).toBeNull();
  });
});
