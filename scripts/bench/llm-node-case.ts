/**
 * The LLM benchmark's reference figures in Node (llama.cpp through node-llama-cpp), in its own
 * process so that its resident memory is its own:
 * `tsx scripts/bench/llm-node-case.ts <base.gguf> <adapter.gguf> <prompt> <tokens> <runs>` prints
 * one JSON line (LlmCaseResult).
 *
 * Every run decodes exactly `tokens` tokens greedily (an end-of-generation token does not stop
 * it, so runs are comparable): time to first token covers the prompt's evaluation and the first
 * sampled token; tokens/s is over the tokens after the first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { stats } from './types';
import type { LlmCaseResult, LlmRun } from './llm-types';

const [basePath, adapterPath, prompt, tokensArg, runsArg] = process.argv.slice(2);
const TOKENS = Number(tokensArg ?? 32);
const RUNS = Number(runsArg ?? 3);
const THREADS = 2;
const mib = (b: number) => b / 2 ** 20;
const now = () => performance.now();

const version = (
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', 'node_modules', 'node-llama-cpp', 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;
const rssStart = process.memoryUsage().rss;
const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
let t = now();
const model = await llama.loadModel({ modelPath: basePath!, gpuLayers: 0 });
const loadMs = now() - t;
const rssAfterLoad = process.memoryUsage().rss;

/** One greedy decode of TOKENS tokens in a fresh sequence; the text's tokens are returned too. */
async function decode(
  context: Awaited<ReturnType<typeof model.createContext>>,
  m: typeof model,
): Promise<LlmRun> {
  const sequence = context.getSequence();
  try {
    const input = m.tokenize(prompt!, true);
    const out: number[] = [];
    const t0 = now();
    let first = 0;
    for await (const token of sequence.evaluate(input, { temperature: 0 })) {
      if (out.length === 0) first = now();
      out.push(token);
      if (out.length >= TOKENS) break;
    }
    const end = now();
    return {
      ttftMs: first - t0,
      tokens: out.length,
      tokensPerSecond: out.length > 1 ? (out.length - 1) / ((end - first) / 1000) : NaN,
      text: m.detokenize(out as never),
    };
  } finally {
    sequence.dispose();
  }
}

async function measure(m: typeof model, lora?: string) {
  t = now();
  const context = await m.createContext({
    contextSize: 256,
    threads: THREADS,
    ...(lora ? { lora: { adapters: [{ filePath: lora, scale: 1 }] } } : {}),
  });
  const contextMs = now() - t;
  const runs: LlmRun[] = [];
  for (let i = 0; i <= RUNS; i++) runs.push(await decode(context, m));
  await context.dispose();
  // The first run warms up (allocations, caches); the others are measured.
  const warm = runs.slice(1);
  return {
    contextMs,
    coldTtftMs: runs[0]!.ttftMs,
    ttftMs: stats(warm.map((r) => r.ttftMs)),
    tokensPerSecond: stats(warm.map((r) => r.tokensPerSecond)),
    tokens: runs[0]!.tokens,
    text: runs[0]!.text,
  };
}

const base = await measure(model);
const withAdapter = await measure(model, adapterPath);
const result: LlmCaseResult = {
  runtime: 'node',
  engine: `node-llama-cpp ${version} (${llama.buildType} build)`,
  backend: 'cpu',
  threads: THREADS,
  modelMiB: mib(model.size),
  loadMs,
  base,
  adapter: withAdapter,
  memory: {
    rssStartMiB: mib(rssStart),
    rssAfterLoadMiB: mib(rssAfterLoad),
    rssEndMiB: mib(process.memoryUsage().rss),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await llama.dispose();
