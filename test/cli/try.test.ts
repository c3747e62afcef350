/**
 * `t2l try` as a real process on the demo T2L and the demo base model (models/demo, written by
 * `npm run fixtures`): greedy completions without and with the generated adapter, and one-line
 * errors for base models that cannot take the adapter.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderChatPrompt } from '../../src/core/llm/chat-prompt';
import { DEMO_BASE_OPTIONS, makeTinyBase, tinyBaseGguf } from '../../src/fixtures/tiny-base';
import { t2l } from '../support/t2l-cli';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PACKAGE = join(ROOT, 'models', 'demo', 'packages', 'M');
const BASE = join(ROOT, 'models', 'demo', 'base', 'tiny-llama.gguf');
const ENCODER = join(ROOT, 'models', 'demo', 'encoder');
const tmp = mkdtempSync(join(tmpdir(), 't2l-try-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const args = (base: string, ...more: string[]) => [
  'try',
  PACKAGE,
  '--description',
  'summarize news articles',
  '--base',
  base,
  '--prompt',
  'Write a short poem about the sea.',
  '--encoder',
  ENCODER,
  '--max-tokens',
  '12',
  // One llama.cpp thread: the demo base is tiny, and threads spinning at barriers on a busy
  // 2-core machine made each token take seconds (src/node/llama.ts).
  '--threads',
  '1',
  ...more,
];

interface TryJson {
  prompt: string;
  promptTokens: number[];
  usedChatTemplate: boolean;
  notes: string[];
  scale: number;
  base: {
    text: string;
    tokens: number[];
    firstLogprobs: Array<{ token: number; logprob: number }>;
  };
  adapted: TryJson['base'];
  backend: { name: string; version: string; flashAttention: boolean };
}

/** Greedy tokens of the base model straight from node-llama-cpp, with t2l try's settings. */
async function referenceGreedy(prompt: string, n: number) {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath: BASE });
    const ctx = await model.createContext({ contextSize: 128, flashAttention: false, threads: 1 });
    const promptTokens = model.tokenize(prompt, true);
    const tokens: Token[] = [];
    for await (const t of ctx.getSequence().evaluate(promptTokens, { temperature: 0 })) {
      tokens.push(t);
      if (tokens.length === n) break;
    }
    const text = model.detokenize(tokens, false);
    await ctx.dispose();
    await model.dispose();
    return { promptTokens: [...promptTokens], tokens: [...tokens], text };
  } finally {
    await llama.dispose();
  }
}

// Generous limits: each case spawns the CLI (and loads the encoder, onnxruntime and llama.cpp); on a
// busy machine one spawn has taken a minute. Nothing here measures time.
const SLOW = 600_000;

describe('t2l try', { timeout: SLOW }, () => {
  it('--json: the base model and the adapted model, greedy, with the chat template; the adapter changes the text', async () => {
    const r = await t2l([...args(BASE), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as TryJson;
    expect(out.prompt).toBe(
      renderChatPrompt(
        '{{ bos_token }}{% for message in messages %}<|{{ message.role }}|>{{ message.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}',
        { user: 'Write a short poem about the sea.' },
        { bosToken: '<s>' },
      ).prompt,
    );
    expect(out.prompt).toBe('<s><|user|>Write a short poem about the sea.<|end|><|assistant|>');
    expect(out.usedChatTemplate).toBe(true);
    expect(out.scale).toBe(1);
    expect(out.backend).toMatchObject({ name: 'node-llama-cpp', version: '3.21.1' });

    const ref = await referenceGreedy(out.prompt, 12);
    expect(out.promptTokens).toEqual(ref.promptTokens);
    expect(out.base.tokens).toEqual(ref.tokens);
    expect(out.base.text).toBe(ref.text);
    expect(out.base.text.trim().split(/\s+/).length).toBeGreaterThan(3);

    for (const c of [out.base, out.adapted]) {
      expect(c.tokens).toHaveLength(12);
      expect(c.firstLogprobs).toHaveLength(10);
      expect(c.firstLogprobs[0]!.token).toBe(c.tokens[0]);
      expect(c.firstLogprobs[0]!.logprob).toBeLessThan(0);
    }
    expect(out.adapted.tokens).not.toEqual(out.base.tokens);
    expect(out.adapted.text).not.toBe(out.base.text);
  });

  it('--scale 0 gives exactly the base model; --system and --no-chat-template make a plain prompt', async () => {
    const r = await t2l([
      ...args(BASE),
      '--json',
      '--scale',
      '0',
      '--system',
      'Be brief.',
      '--no-chat-template',
    ]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as TryJson;
    expect(out.prompt).toBe('Be brief.\n\nWrite a short poem about the sea.');
    expect(out.usedChatTemplate).toBe(false);
    expect(out.notes).toEqual(['chat template off: plain prompt']);
    expect(out.adapted.tokens).toEqual(out.base.tokens);
    expect(out.adapted.firstLogprobs).toEqual(out.base.firstLogprobs);
  });

  describe('bad input: one line, no stack trace', () => {
    const oneLine = async (base: string, pattern: RegExp, more: string[] = []) => {
      const r = await t2l([...args(base), ...more]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^t2l: error: [^\n]+\n$/);
      expect(r.stderr).toMatch(pattern);
    };
    const write = (name: string, bytes: Uint8Array | string) => {
      const p = join(tmp, name);
      writeFileSync(p, bytes);
      return p;
    };

    it('a missing file, a file that is not GGUF, a truncated GGUF', async () => {
      await oneLine(join(tmp, 'nope.gguf'), /nope\.gguf: no such file/);
      await oneLine(
        write('page.gguf', '<!DOCTYPE html><html>'),
        /page\.gguf: not a GGUF file \(it should start with "GGUF", found bytes 3c 21 44 4f\)/,
      );
      const base = readFileSync(BASE);
      await oneLine(
        write('cut.gguf', base.subarray(0, 5000)),
        /cut\.gguf: truncated (or corrupt )?GGUF/,
      );
      await oneLine(
        write('cut-data.gguf', base.subarray(0, base.length - 10)),
        /cut-data\.gguf: truncated GGUF: tensor \S+ ends at byte \d+, but the file has \d+/,
      );
    });

    it('a base of another architecture, layer count or shape; an adapter as the base', async () => {
      const other = (o: object) => tinyBaseGguf(makeTinyBase({ ...DEMO_BASE_OPTIONS, ...o }));
      await oneLine(
        write('gemma.gguf', other({ arch: 'gemma2' })),
        /gemma\.gguf is gemma2 with 4 layers; this adapter \(made for t2l-web\/tiny-demo-base\) is for llama with 4 layers/,
      );
      await oneLine(
        write('l2.gguf', other({ layers: 2 })),
        /l2\.gguf is llama with 2 layers; .* is for llama with 4 layers/,
      );
      await oneLine(
        write('kv2.gguf', other({ nKvHead: 2 })),
        /kv2\.gguf's blk\.0\.attn_v\.weight is 64 → 32; this adapter's v_proj is 64 → 16/,
      );
      const gen = await t2l([
        'generate',
        PACKAGE,
        '-o',
        join(tmp, 'gen'),
        '--description',
        'x',
        '--encoder',
        ENCODER,
        '--format',
        'gguf',
      ]);
      expect(gen.code).toBe(0);
      await oneLine(
        join(tmp, 'gen', '0.gguf'),
        /0\.gguf is a LoRA adapter \(general\.type = adapter\), not a base model/,
      );
    });

    it('bad --scale, --max-tokens and --threads', async () => {
      await oneLine(BASE, /--scale must be a number from 0 to 2, found 3/, ['--scale', '3']);
      await oneLine(BASE, /--max-tokens must be a whole number, found 1\.5/, [
        '--max-tokens',
        '1.5',
      ]);
      await oneLine(BASE, /--threads must be a whole number, found 1\.5/, ['--threads', '1.5']);
    });
  });
});
