/**
 * `t2l try`: description → adapter → answer, in Node. Generates the adapter as `t2l generate`
 * does, writes it as a GGUF LoRA, checks the base model GGUF against it (core/llm/base-check),
 * builds the prompt from the base's chat template (core/llm/chat-prompt, as the app's Try panel
 * does), then runs the base model and the adapted model greedily with llama.cpp (src/node/llama)
 * and prints both. `--json` prints what the browser e2e compares token for token.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterGguf } from '../core/adapter/download';
import type { GgufArch } from '../core/adapter/gguf-target';
import { T2LError } from '../core/errors';
import { generateAdapters } from '../core/generate';
import {
  adapterFactsFromManifest,
  baseModelFacts,
  checkBaseForAdapter,
} from '../core/llm/base-check';
import { GgufPrefixTooShortError, readGgufHeader, type GgufHeader } from '../core/llm/gguf-header';
import { openModel } from '../core/package/model';
import { dirSource } from '../node/fs-source';
import { openLlamaBase, type Completion } from '../node/llama';
import { renderChatPromptIsolated } from '../node/template-render';
import { createNodeRunner } from '../runtime/node';
import { resolveFilePath, resolveModelPath } from '../node/hub-resolve';
import { embedDescriptions } from './generate';
import { cliHubSettings } from './hub';
import { parseModuleOrder, warn } from './options';

interface TryOptions {
  description: string;
  base: string;
  prompt: string;
  system?: string;
  chatTemplate: boolean;
  scale: string;
  maxTokens: string;
  threads?: string;
  encoder?: string;
  moduleOrder?: string;
  arch?: GgufArch;
  nHead?: number;
  nKvHead?: number;
  json?: boolean;
}

/** Reads a GGUF header from the start of a file, reading more while the header needs it. */
export async function readGgufHeaderFromFile(path: string): Promise<GgufHeader> {
  if (!existsSync(path)) throw new T2LError('missing-file', `${path}: no such file`);
  const st = await stat(path);
  // A folder, a FIFO or a device (/dev/zero) is no model file: refuse before reading.
  if (!st.isFile()) {
    throw new T2LError('bad-input', `${path}: not a regular file (expected a .gguf model file)`);
  }
  const { size } = st;
  const fh = await open(path, 'r');
  try {
    let want = Math.min(size, 8 << 20);
    for (;;) {
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, 0);
      try {
        return readGgufHeader(buf.subarray(0, bytesRead), { fileSize: size, source: path });
      } catch (e) {
        if (!(e instanceof GgufPrefixTooShortError) || want >= size) throw e;
        want = Math.min(size, Math.max(e.needBytes, 2 * want));
      }
    }
  } finally {
    await fh.close();
  }
}

function number(value: string, name: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new T2LError(
      'bad-input',
      `${name} must be a number from ${min} to ${max}, found ${value}`,
    );
  }
  if (integer && !Number.isInteger(n)) {
    throw new T2LError('bad-input', `${name} must be a whole number, found ${value}`);
  }
  return n;
}

/** Two columns of `width` characters, word-wrapped, for a terminal. */
function sideBySide(left: string, right: string, width: number): string {
  const wrap = (s: string) => {
    const lines: string[] = [];
    for (const para of s.split('\n')) {
      let line = '';
      for (const word of para.split(/(?<=\s)/)) {
        if (line.length + word.length > width && line.length > 0) {
          lines.push(line.trimEnd());
          line = '';
        }
        for (let w = word; w.length > 0; w = w.slice(width)) {
          if (w.length > width) lines.push(w.slice(0, width));
          else line += w;
          if (w.length <= width) break;
        }
      }
      lines.push(line.trimEnd());
    }
    return lines;
  };
  const a = wrap(left);
  const b = wrap(right);
  const rows: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    rows.push(`${(a[i] ?? '').padEnd(width)} │ ${b[i] ?? ''}`.trimEnd());
  }
  return rows.join('\n');
}

export async function tryCommand(arg: string, opts: TryOptions): Promise<void> {
  const scale = number(opts.scale, '--scale', 0, 2);
  const maxTokens = number(opts.maxTokens, '--max-tokens', 1, 4096, true);
  const threads =
    opts.threads === undefined ? undefined : number(opts.threads, '--threads', 1, 256, true);
  if (!opts.prompt) throw new T2LError('bad-input', '--prompt must not be empty');

  // Everything that can be refused is checked before the slow parts (encoder, llama.cpp).
  const hub = cliHubSettings();
  const { path: basePath, label: baseLabel } = await resolveFilePath(
    opts.base,
    hub,
    '--base <a local .gguf file>',
  );
  const { path: dir, label: source } = await resolveModelPath(arg, hub);
  const header = await readGgufHeaderFromFile(basePath);
  const facts = baseModelFacts(header, baseLabel);
  const model = await openModel(dirSource(dir), {
    moduleOrder: parseModuleOrder(opts.moduleOrder),
    onWarning: warn,
  });
  const { manifest } = model;
  const gguf = { arch: opts.arch, nHead: opts.nHead, nKvHead: opts.nKvHead };
  checkBaseForAdapter(header, adapterFactsFromManifest(manifest, gguf), baseLabel);
  // The template is a stranger's code: rendered in a worker thread with heap and time limits.
  const rendered = await renderChatPromptIsolated(
    facts.chatTemplate,
    { user: opts.prompt, ...(opts.system !== undefined ? { system: opts.system } : {}) },
    facts,
    {
      useTemplate: opts.chatTemplate,
      source: opts.base,
      remedy: 'run with --no-chat-template to use a plain prompt instead',
    },
  );

  const emb = await embedDescriptions(
    [opts.description],
    { flag: opts.encoder, package: manifest.encoder },
    manifest.taskEmbSize,
    {},
    hub,
  );
  const runner = await createNodeRunner(model.graph, { backends: ['cpu'] });
  let adapterBytes: Uint8Array;
  try {
    const [adapter] = await generateAdapters(manifest, runner, emb);
    adapterBytes = adapterGguf(manifest, adapter!, {
      gguf,
      description: opts.description,
      source,
      backend: runner.backend,
    });
  } finally {
    await runner.release();
  }

  const tmp = await mkdtemp(join(tmpdir(), 't2l-try-'));
  const loraPath = join(tmp, 'adapter.gguf');
  await writeFile(loraPath, adapterBytes);
  const llm = await openLlamaBase(basePath, threads === undefined ? {} : { threads });
  let base: Completion;
  let adapted: Completion;
  let promptTokens: number[];
  try {
    promptTokens = llm.tokenize(rendered.prompt);
    base = await llm.complete(promptTokens, maxTokens);
    adapted = await llm.complete(promptTokens, maxTokens, { path: loraPath, scale });
  } finally {
    await llm.dispose();
    await rm(tmp, { recursive: true, force: true });
  }

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          prompt: rendered.prompt,
          promptTokens,
          usedChatTemplate: rendered.usedTemplate,
          notes: rendered.notes,
          description: opts.description,
          scale,
          maxTokens,
          greedy: true,
          base,
          adapted,
          baseModel: { path: baseLabel, ...facts, chatTemplate: undefined },
          backend: { ...llm.backend, flashAttention: false, kvCache: 'f16' },
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const out = process.stdout;
  out.write(`base model: ${facts.name ?? baseLabel} (${facts.arch}, ${facts.layers} layers)\n`);
  out.write(`adapter: "${opts.description}" from ${source}\n`);
  for (const note of rendered.notes) out.write(`note: ${note}\n`);
  out.write(`prompt (${promptTokens.length} tokens): ${JSON.stringify(rendered.prompt)}\n\n`);
  const width = 38;
  const head = (c: Completion) => `${c.tokens.length} tokens${c.stop === 'eog' ? ', stopped' : ''}`;
  out.write(
    `${sideBySide(`base model (scale 0)`, `with the adapter (scale ${scale})`, width)}\n` +
      `${'─'.repeat(width)}─┼─${'─'.repeat(width)}\n` +
      `${sideBySide(base.text.trim(), adapted.text.trim(), width)}\n` +
      `${'─'.repeat(width)}─┴─${'─'.repeat(width)}\n` +
      `${sideBySide(head(base), head(adapted), width)}\n`,
  );
  out.write(`greedy decoding with llama.cpp (${llm.backend.name} ${llm.backend.version}, CPU)\n`);
}
