/**
 * llama.cpp in Node through node-llama-cpp (its prebuilt CPU binaries; never builds, never
 * downloads): one base model loaded once, greedy completions with a GGUF LoRA applied per context
 * at a chosen scale. Used by `t2l try`.
 *
 * Settings are fixed so runs compare across machines and with the browser (wllama): CPU, plain
 * attention (flash attention off: llama.cpp's CPU flash attention computes in f16 and moves
 * log-probabilities by ~1e-3), the default f16 K/V cache, greedy (argmax) sampling, no penalties.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { T2LError } from '../core/errors';

/** One greedy completion. */
export interface Completion {
  /** The generated text (the tokens detokenized together, special tokens left out). */
  text: string;
  /** The generated token ids, in order (the end-of-generation token, if reached, not included). */
  tokens: number[];
  /** The 10 most likely first tokens after the prompt, with their natural-log probabilities. */
  firstLogprobs: Array<{ token: number; logprob: number }>;
  /**
   * Why it stopped: the token budget, an end-of-generation token, or `stopWhen` said the text so
   * far decides the answer (t2l eval).
   */
  stop: 'max-tokens' | 'eog' | 'decided';
}

export interface CompleteOptions {
  /** Called with the text after each new token; true stops generating there. */
  stopWhen?: (textSoFar: string) => boolean;
}

export interface LoraRun {
  /** A GGUF LoRA adapter file (node-llama-cpp needs a path). */
  path: string;
  /** llama.cpp's adapter scale: 0 = the base model, 1 = as generated. */
  scale: number;
}

export interface LlamaBase {
  /** node-llama-cpp's version and the llama.cpp release its binaries were built from. */
  backend: { name: string; version: string; llamaCpp: string; device: 'cpu' };
  /** Token ids of a prompt: special tokens parsed, no BOS/EOS added (see core/llm/chat-prompt). */
  tokenize(prompt: string): number[];
  complete(
    promptTokens: number[],
    maxTokens: number,
    lora?: LoraRun,
    options?: CompleteOptions,
  ): Promise<Completion>;
  dispose(): Promise<void>;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function packageVersion(dir: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/**
 * Loads node-llama-cpp (CPU) and the base model. Failures become T2LError('runtime').
 *
 * `threads`: llama.cpp's compute threads (default: the machine's physical math cores, node-llama-cpp's
 * `cpuMathCores`). llama.cpp's threads spin at every barrier, so more threads than free cores is
 * far slower, not faster: 12 tokens of the 4-layer demo base took 20 s with node-llama-cpp's default
 * (4 threads on this 2-core machine while other work ran) against 0.04 s on 1 thread.
 */
export async function openLlamaBase(
  modelPath: string,
  options: { threads?: number } = {},
): Promise<LlamaBase> {
  const lib = await import('node-llama-cpp');
  let llama: Llama;
  try {
    llama = await lib.getLlama({
      gpu: false,
      build: 'never',
      progressLogs: false,
      logLevel: lib.LlamaLogLevel.error,
      logger: () => {},
    });
  } catch (e) {
    throw new T2LError(
      'runtime',
      `llama.cpp (node-llama-cpp) could not start on this machine: ${messageOf(e)}`,
    );
  }
  const threads = options.threads ?? llama.cpuMathCores;
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath });
  } catch (e) {
    await llama.dispose();
    throw new T2LError('runtime', `llama.cpp could not load ${modelPath}: ${messageOf(e)}`);
  }
  const pkgDir = join(import.meta.dirname, '..', '..', 'node_modules', 'node-llama-cpp');
  const version = await packageVersion(pkgDir);
  let llamaCpp = 'unknown';
  try {
    llamaCpp = (
      JSON.parse(await readFile(join(pkgDir, 'llama', 'llama.cpp.info.json'), 'utf8')) as {
        tag: string;
      }
    ).tag;
  } catch {
    // Not needed to run; only reported.
  }

  return {
    backend: { name: 'node-llama-cpp', version, llamaCpp, device: 'cpu' },
    tokenize: (prompt) => [...model.tokenize(prompt, true)],
    async complete(promptTokens, maxTokens, lora, options = {}) {
      if (promptTokens.length === 0) throw new T2LError('bad-input', 'the prompt is empty');
      const contextSize = promptTokens.length + maxTokens + 1;
      if (contextSize > model.trainContextSize) {
        throw new T2LError(
          'bad-input',
          `the prompt (${promptTokens.length} tokens) and --max-tokens ${maxTokens} exceed the base model's context of ${model.trainContextSize} tokens`,
        );
      }
      let ctx;
      try {
        ctx = await model.createContext({
          contextSize,
          threads,
          flashAttention: false,
          ...(lora ? { lora: { adapters: [{ filePath: lora.path, scale: lora.scale }] } } : {}),
        });
      } catch (e) {
        throw new T2LError(
          'runtime',
          `llama.cpp could not apply ${lora ? `the adapter ${lora.path}` : 'the base model'}: ${messageOf(e)}`,
        );
      }
      try {
        const seq = ctx.getSequence();
        const input = promptTokens as Token[];
        const out = await seq.controlledEvaluate(
          input.map((t, i) =>
            i === input.length - 1 ? [t, { generateNext: { probabilities: true } }] : t,
          ),
        );
        const probabilities = out[input.length - 1]?.next.probabilities;
        if (!probabilities || probabilities.size === 0) {
          throw new T2LError('runtime', 'llama.cpp returned no next-token probabilities');
        }
        // Greedy: the most likely token; ties go to the lowest id, as llama.cpp's greedy sampler.
        let first = -1;
        let best = -Infinity;
        for (const [t, p] of probabilities) {
          if (p > best || (p === best && t < first)) [first, best] = [t, p];
        }
        const firstLogprobs = [...probabilities]
          .sort((a, b) => b[1] - a[1] || a[0] - b[0])
          .slice(0, 10)
          .map(([token, p]) => ({ token, logprob: Math.log(p) }));
        const tokens: number[] = [];
        let stop: Completion['stop'] = 'max-tokens';
        let next = first as Token;
        while (tokens.length < maxTokens) {
          if (model.isEogToken(next)) {
            stop = 'eog';
            break;
          }
          tokens.push(next);
          if (options.stopWhen?.(model.detokenize(tokens as Token[], false))) {
            stop = 'decided';
            break;
          }
          if (tokens.length === maxTokens) break;
          const it = seq.evaluate([next], { temperature: 0 });
          const r = await it.next();
          await it.return();
          if (r.done) break;
          next = r.value;
        }
        return { text: model.detokenize(tokens as Token[], false), tokens, firstLogprobs, stop };
      } finally {
        await ctx.dispose();
      }
    },
    async dispose() {
      await model.dispose();
      await llama.dispose();
    },
  };
}
