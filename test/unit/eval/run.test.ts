/**
 * The run loop (src/core/eval/run.ts) with a scripted backend: what each model is asked, scoring,
 * progress, cancel keeping whole rows, failures. The real backend (llama.cpp) is exercised by
 * test/cli/eval.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { EvalItem } from '../../../src/core/eval/protocol';
import { runEval, type CompleteRequest, type EvalModel } from '../../../src/core/eval/run';

const item = (id: string, expected: string, rule: EvalItem['rule'] = 'free'): EvalItem => ({
  id,
  system: '',
  user: `question ${id}`,
  prefill: '',
  expected,
  rule,
  maxTokens: 16,
});
const models: EvalModel[] = [
  { id: 'base', label: 'base model', adapter: null },
  { id: 'L', label: 'T2L L', adapter: 'a.gguf' },
];
// The base answers "x" to everything; the adapter answers the expected text of q1..q3 and "y" after.
const answers: Record<string, Record<string, string>> = {
  base: { q1: 'x', q2: 'x', q3: 'x', q4: 'x' },
  L: { q1: 'one', q2: 'x', q3: 'three', q4: 'y' },
};

describe('runEval', () => {
  it('asks every model every prompt, base first, and scores by the item rule', async () => {
    const seen: CompleteRequest[] = [];
    let clock = 0;
    const progress: number[][] = [];
    const result = await runEval({
      items: [item('q1', 'one'), item('q2', 'x'), item('q3', 'Three.'), item('q4', 'z')],
      models,
      buildPrompt: (it) => `<${it.user}>`,
      complete: async (req) => {
        seen.push(req);
        clock += 500;
        const id = req.prompt.slice(10, 12);
        const text = answers[req.adapter === null ? 'base' : 'L']![id]!;
        return { text, tokens: 1, stop: 'eog' };
      },
      onProgress: (p) => progress.push([p.done, p.total, p.examplesPerSecond, p.secondsLeft ?? -1]),
      now: () => clock,
    });
    expect(seen.map((r) => [r.prompt, r.adapter, r.maxTokens])).toEqual([
      ['<question q1>', null, 16],
      ['<question q1>', 'a.gguf', 16],
      ['<question q2>', null, 16],
      ['<question q2>', 'a.gguf', 16],
      ['<question q3>', null, 16],
      ['<question q3>', 'a.gguf', 16],
      ['<question q4>', null, 16],
      ['<question q4>', 'a.gguf', 16],
    ]);
    expect(result.rows.map((r) => [r.answers['base']!.correct, r.answers['L']!.correct])).toEqual([
      [false, true],
      [true, true],
      [false, true],
      [false, false],
    ]);
    const [base, L] = result.summaries;
    expect(base!.accuracy).toMatchObject({ n: 4, correct: 1, accuracy: 0.25 });
    expect(base!.vsBase).toBeNull();
    expect(L!.accuracy).toMatchObject({ n: 4, correct: 3 });
    expect(L!.vsBase).toMatchObject({ gained: 2, lost: 0, bothRight: 1, bothWrong: 1, p: 0.5 });
    // One example per second (two 0.5 s answers each).
    expect(progress).toEqual([
      [1, 4, 1, 3],
      [2, 4, 1, 2],
      [3, 4, 1, 1],
      [4, 4, 1, 0],
    ]);
    expect(result).toMatchObject({ cancelled: false, total: 4, elapsedSeconds: 4 });
  });

  it('passes the rule as isDecided: a choice answer is decided at its first letter', async () => {
    const decided: boolean[] = [];
    await runEval({
      items: [item('q1', 'B', 'choice')],
      models: [models[0]!],
      buildPrompt: () => 'p',
      complete: async (req) => {
        decided.push(req.isDecided(' ('), req.isDecided(' (B'));
        return { text: 'B', tokens: 1, stop: 'decided' };
      },
    });
    expect(decided).toEqual([false, true]);
  });

  it('cancel keeps the whole rows finished before it and drops the example under way', async () => {
    const controller = new AbortController();
    let calls = 0;
    const rows: string[] = [];
    const result = await runEval({
      items: [item('q1', 'one'), item('q2', 'x'), item('q3', 'three')],
      models,
      buildPrompt: (it) => it.id,
      signal: controller.signal,
      onRow: (r) => rows.push(r.id),
      complete: async (req) => {
        calls++;
        if (calls === 4) {
          // The user cancels while the adapter answers q2: the backend stops with the abort.
          controller.abort();
          throw new DOMException('aborted', 'AbortError');
        }
        return {
          text: answers[req.adapter === null ? 'base' : 'L']![req.prompt]!,
          tokens: 1,
          stop: 'eog',
        };
      },
    });
    expect(result.cancelled).toBe(true);
    expect(result.rows.map((r) => r.id)).toEqual(['q1']);
    expect(rows).toEqual(['q1']);
    expect(result.summaries[1]!.accuracy.n).toBe(1);
    expect(calls).toBe(4);
  });

  it('a failing backend throws after the finished rows went to onRow; bad model lists are refused', async () => {
    const rows: string[] = [];
    let calls = 0;
    await expect(
      runEval({
        items: [item('q1', 'one'), item('q2', 'x')],
        models,
        buildPrompt: (it) => it.id,
        onRow: (r) => rows.push(r.id),
        complete: async () => {
          if (++calls === 3) throw new Error('llama.cpp crashed');
          return { text: 'x', tokens: 1, stop: 'eog' };
        },
      }),
    ).rejects.toThrow('llama.cpp crashed');
    expect(rows).toEqual(['q1']);
    const run = (m: EvalModel[]) =>
      runEval({
        items: [],
        models: m,
        buildPrompt: () => '',
        complete: async () => ({ text: '', tokens: 0, stop: 'eog' }),
      });
    await expect(run([models[1]!])).rejects.toThrow(/base model \(no adapter\) first/);
    await expect(run([models[0]!, models[0]!])).rejects.toThrow(
      /two models are both called "base"/,
    );
  });

  it('a prompt that cannot be built fails before any model runs', async () => {
    let calls = 0;
    await expect(
      runEval({
        items: [item('q1', 'one'), item('q2', 'x')],
        models,
        buildPrompt: (it) => {
          if (it.id === 'q2') throw new Error('template refused');
          return it.id;
        },
        complete: async () => {
          calls++;
          return { text: '', tokens: 0, stop: 'eog' };
        },
      }),
    ).rejects.toThrow('template refused');
    expect(calls).toBe(0);
  });
});
