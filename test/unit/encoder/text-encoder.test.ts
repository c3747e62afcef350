import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeTinyEncoder } from '../../../scripts/fixtures/write-tiny-encoder';
import { T2LError } from '../../../src/core/errors';
import {
  DEFAULT_ENCODER,
  MAX_TOKENS,
  createTextEncoder,
  tokenizeDescription,
  type DescriptionEncoder,
} from '../../../src/core/encoder/text-encoder';

const E = 1024;
let root: string;
let dir: string;
let encoder: DescriptionEncoder;
let tokenizer: BertTokenizer;
let session: ort.InferenceSession;
let vocab: Record<string, number>;
let fetchSpy: ReturnType<typeof vi.fn>;
const realFetch = { global: globalThis.fetch, env: env.fetch };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't2l-encoder-'));
  dir = join(root, 'tiny-encoder');
  await writeTinyEncoder(dir);
  // The independent path: the tokenizer built straight from the JSON files, the model run by ORT.
  const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  tokenizer = new BertTokenizer(json, config);
  vocab = json.model.vocab;
  session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'));
});

beforeEach(() => {
  fetchSpy = vi.fn(async () => {
    throw new Error('network access in a test');
  });
  globalThis.fetch = fetchSpy as unknown as typeof fetch;
  env.fetch = fetchSpy as unknown as typeof env.fetch;
});

afterEach(() => {
  globalThis.fetch = realFetch.global;
  env.fetch = realFetch.env;
});

afterAll(async () => {
  await encoder?.dispose();
  await session?.release();
  await rm(root, { recursive: true, force: true });
});

async function reference(ids: number[]): Promise<Float32Array> {
  const feed = (values: number[]) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(v)),
      [1, values.length],
    );
  const out = await session.run({
    input_ids: feed(ids),
    attention_mask: feed(ids.map(() => 1)),
    token_type_ids: feed(ids.map(() => 0)),
  });
  const hidden = out['last_hidden_state']!.data as Float32Array;
  const row = Array.from(hidden.subarray(0, E));
  const norm = Math.hypot(...row);
  return Float32Array.from(row, (v) => (v / norm) * Math.sqrt(E));
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(expected[i]!)),
    );
  }
}

function row(data: Float32Array, i: number): Float32Array {
  return data.subarray(i * E, (i + 1) * E);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / E;
}

describe('text encoder over the tiny encoder', () => {
  it('loads from a local folder without touching the network, and restores env', async () => {
    const before = { allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
    encoder = await createTextEncoder({ localPath: dir });
    expect(encoder.dim).toBe(E);
    expect(encoder.id).toBe(dir);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect({
      allowRemoteModels: env.allowRemoteModels,
      localModelPath: env.localModelPath,
    }).toEqual(before);
  });

  it('tokenizes a simple sentence as expected', () => {
    const id = (t: string) => vocab[t];
    expect(tokenizeDescription(tokenizer, 'Solve math problems.')).toEqual([
      id('[CLS]'),
      id('solve'),
      id('math'),
      id('problems'),
      id('.'),
      id('[SEP]'),
    ]);
    // Unknown characters become [UNK] rather than failing.
    expect(tokenizeDescription(tokenizer, '😀 世')).toEqual([
      id('[CLS]'),
      id('[UNK]'),
      id('[UNK]'),
      id('[SEP]'),
    ]);
  });

  it('matches a direct ONNX Runtime run, row 0 normalized to sqrt(E)', async () => {
    const descriptions = [
      'Solve math problems',
      '  Translate English text to French!\n',
      'Écris un résumé 😀 世界',
    ];
    const out = await encoder.embed(descriptions);
    expect(out.dims).toEqual([3, E]);
    expect(out.formatted).toEqual([
      'Solve math problems.',
      'Translate English text to French!',
      'Écris un résumé 😀 世界.',
    ]);
    for (const [i, text] of out.formatted.entries()) {
      const expected = await reference(tokenizer.encode(text));
      expectClose(row(out.data, i), expected);
      expect(Math.hypot(...row(out.data, i))).toBeCloseTo(Math.sqrt(E), 3);
    }
    expect(cosine(row(out.data, 0), row(out.data, 1))).toBeLessThan(0.99);
    expect(cosine(row(out.data, 0), row(out.data, 2))).toBeLessThan(0.99);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('gives a description the same embedding whatever it is batched with', async () => {
    const alone = await encoder.embed(['Classify the sentiment of a review']);
    const together = await encoder.embed(['Write a poem', 'Classify the sentiment of a review']);
    expect(Array.from(row(together.data, 1))).toEqual(Array.from(row(alone.data, 0)));
  });

  it('truncates to 8192 tokens, keeping [CLS] and [SEP]', async () => {
    const long = 'answer the question '.repeat(3000).trim();
    const ids = tokenizeDescription(tokenizer, long);
    expect(ids.length).toBe(MAX_TOKENS);
    expect(ids[0]).toBe(2);
    expect(ids.at(-1)).toBe(3);
    expect(ids.slice(1, -1)).toEqual(
      tokenizer.encode(long, { add_special_tokens: false }).slice(0, MAX_TOKENS - 2),
    );
    const out = await encoder.embed([long]);
    expectClose(out.data, await reference(ids));
  });

  it('refuses an empty description, naming it in a batch', async () => {
    await expect(encoder.embed(['  '])).rejects.toThrow('The task description is empty');
    await expect(encoder.embed(['Write a poem', '\n'])).rejects.toThrow(
      /^Description 2 of 2: The task description/,
    );
    const none = await encoder.embed([]);
    expect(none.dims).toEqual([0, E]);
  });

  it('accepts gte-large-en-v1.5\'s model_type "new" (loaded through the encoder-only base class)', async () => {
    const other = join(root, 'new-type');
    await writeTinyEncoder(other);
    const config = JSON.parse(await readFile(join(other, 'config.json'), 'utf8'));
    await writeFile(
      join(other, 'config.json'),
      JSON.stringify({ ...config, model_type: 'new', architectures: ['NewModel'] }),
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const enc = await createTextEncoder({ localPath: other });
    warn.mockRestore();
    const [a, b] = [await enc.embed(['Write a poem']), await encoder.embed(['Write a poem'])];
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    await enc.dispose();
  });

  it('refuses a folder URL in Node, where transformers.js can only read URLs through its cache', async () => {
    const err = await createTextEncoder({ localPath: 'http://127.0.0.1:9/tiny-encoder' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).code).toBe('unsupported');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('reports a missing local folder as a T2LError, still without network', async () => {
    const err = await createTextEncoder({ localPath: join(root, 'absent') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).code).toBe('missing-file');
    expect((err as T2LError).message).toContain(join(root, 'absent'));
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('loads and checks the same way whether transformers.js or the caller opens the graph', async () => {
    const noWidth = join(root, 'no-hidden-size');
    await writeTinyEncoder(noWidth);
    const config = JSON.parse(await readFile(join(noWidth, 'config.json'), 'utf8'));
    await writeFile(join(noWidth, 'config.json'), JSON.stringify({ ...config, hidden_size: 0 }));
    const release = vi.fn(async () => {});
    const openGraph = vi.fn(async () => ({
      inputNames: ['input_ids'],
      outputNames: ['last_hidden_state'],
      run: async () => {
        throw new Error('a graph whose config failed is never run');
      },
      release,
    }));
    for (const graph of [{}, { openGraph }]) {
      const absent = await createTextEncoder({ localPath: join(root, 'absent'), ...graph }).catch(
        (e: unknown) => e,
      );
      expect(absent).toMatchObject({ name: 'T2LError', code: 'missing-file' });
      expect(String((absent as Error).message)).toContain(
        `Cannot load the text encoder from folder ${join(root, 'absent')}: `,
      );
      const bad = await createTextEncoder({ localPath: noWidth, ...graph }).catch(
        (e: unknown) => e,
      );
      expect(bad).toMatchObject({ name: 'T2LError', code: 'bad-config' });
      expect(String((bad as Error).message)).toBe(
        `Text encoder ${noWidth}: config.json has no valid hidden_size`,
      );
    }
    // The caller's graph is opened beside the tokenizer and config (reading and opening it takes
    // seconds for gte-large) and let go when they fail.
    expect(openGraph).toHaveBeenCalledTimes(2);
    expect(release).toHaveBeenCalledTimes(2);
  });

  it("a failed tokenizer or config stops the caller's graph read at once (it does not wait for it)", async () => {
    const signals: AbortSignal[] = [];
    // A graph read that ends only when it is stopped (a 440 MB download on a slow line).
    const openGraph = (_url: string, _file: string, signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<never>((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as Error)),
      );
    };
    const err = await createTextEncoder({ localPath: join(root, 'absent'), openGraph }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'T2LError', code: 'missing-file' });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('loads a Hub id from huggingface.co (fetch stubbed here)', async () => {
    fetchSpy.mockImplementation(async () => new Response('not found', { status: 404 }));
    const err = await createTextEncoder({ cacheDir: join(root, 'hub-cache') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(T2LError);
    const urls = fetchSpy.mock.calls.map((c) => String(c[0]));
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls)
      expect(url.startsWith(`https://huggingface.co/${DEFAULT_ENCODER}/resolve/main/`)).toBe(true);
  });
});
