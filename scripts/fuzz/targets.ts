/**
 * Fuzz targets: each makes one mutated input from the demo models (seeded, reproducible) and feeds
 * it to the same readers the CLI uses (modelDirSource + openModel, as `t2l inspect/convert/
 * generate` do; readSafetensors for --embedding), then checks what came out.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { zipSync } from 'fflate';
import { adapterFiles } from '../../src/core/adapter/adapter-files';
import { readSafetensors, writeSafetensors } from '../../src/core/adapter/safetensors';
import { zipMembers } from '../../src/core/checkpoint/zip-view';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { memorySource } from '../../src/core/files';
import { checkTaskEmbeddings, generateAdapters } from '../../src/core/generate';
import { convertCheckpoint, openModel, packageFiles } from '../../src/core/package/model';
import type { PackageManifest } from '../../src/core/package/manifest';
import { renderChatPrompt } from '../../src/core/llm/chat-prompt';
import { DEFAULT_TEMPLATE_BUDGET } from '../../src/core/llm/template-budget';
import { demoCheckpointFiles } from '../../src/fixtures/demo';
import { TINY_CHAT_TEMPLATE } from '../../src/fixtures/tiny-base';
import { modelDirSource } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { int, mutateBytes, mutateValue, mutateYamlText, pick, type Rand } from './mutate';

export const TARGETS = [
  'pickle',
  'ckpt-zip',
  'args-yaml',
  'adapter-config',
  'package-json',
  'model-onnx',
  'safetensors',
  'chat-template',
  'zip-duplicate',
] as const;
export type Target = (typeof TARGETS)[number];

/** An input: the files of a folder (checkpoint or package), or one embedding file. */
export type Input = Record<string, Uint8Array | string>;

const VARIANTS = ['L', 'M', 'S', 'S-learnedpos', 'L-recon', 'M-recon-zscore', 'autoreg-unshared'];
const PACKAGE_VARIANTS = ['M', 'S', 'L'];

const checkpoints = new Map<string, Record<string, Uint8Array | string>>();
const packages = new Map<string, Record<string, Uint8Array | string>>();

function checkpoint(v: string): Record<string, Uint8Array | string> {
  let c = checkpoints.get(v);
  if (!c) checkpoints.set(v, (c = { ...demoCheckpointFiles(v) }));
  return c;
}

async function pkg(v: string): Promise<Record<string, Uint8Array | string>> {
  let p = packages.get(v);
  if (!p) {
    const ckpt = await loadCheckpoint(memorySource(`demo/${v}`, checkpoint(v)));
    packages.set(v, (p = packageFiles(convertCheckpoint(ckpt))));
  }
  return p;
}

const text = (v: Uint8Array | string) => (typeof v === 'string' ? v : new TextDecoder().decode(v));
const E = 1024;
const EMBEDDING = writeSafetensors([
  {
    name: 'task_emb',
    shape: [2, E],
    data: Float32Array.from({ length: 2 * E }, (_, i) => Math.sin(i) * 0.05),
  },
]);

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'chat-templates');
/** Real models' templates (test/fixtures/chat-templates, Gemma-2's inline, the demo base's). */
const REAL_TEMPLATES = [
  readFileSync(join(FIXTURES, 'llama-3.1-8b-instruct.jinja'), 'utf8'),
  readFileSync(join(FIXTURES, 'mistral-7b-instruct-v0.2.jinja'), 'utf8'),
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
  TINY_CHAT_TEMPLATE,
];
/** Sizes that straddle the budget's limits (20,000 items/argument, 4 Mi characters, ...). */
const BIG = [0, 1, 7, 100, 1000, 19_999, 20_000, 20_001, 65_536, 1e6, 1e7, 1e8, 1e9, 2 ** 31, 1e15];
/** Hostile fragments: loops, growth, recursion, big arguments; N and M are filled with BIG. */
const HOSTILE = [
  '{% for i in range(N) %}{% endfor %}',
  '{% for i in range(N) %}{% for j in range(M) %}{{ i }}{% endfor %}{% endfor %}',
  '{{ range(N)|join(",") }}',
  '{{ range(-N, M)|length }}',
  '{{ range(0, N, 1)|list|length }}',
  "{% set ns = namespace(s='ab') %}{% for i in range(N) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
  '{% set ns = namespace(l=[]) %}{% for i in range(N) %}{% set ns.l = ns.l + [i, i] %}{% endfor %}{{ ns.l|length }}',
  "{% set ns = namespace(l=['x']) %}{% for i in range(N) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}",
  '{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}',
  '{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(N) }}',
  "{{ 'a\nb'|indent(N) }}",
  "{{ 'x'|center(N) }}",
  '{{ messages|tojson(indent=N) }}',
  "{{ (messages[0]['content'] ~ '\n')|indent(N, true) }}",
  "{{ 'ab'|replace('a', 'aaaa', N) }}",
  '{% for m in messages * N %}{% endfor %}',
  "{{ '%s'|format(range(N)) }}",
  "{% for i in range(N) %}{{ messages[0]['content'] }}{% endfor %}",
  "{{ (messages[0]['content'] * N)|length }}",
  '{% set x = range(N) %}{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}',
  "{{ ''.join(range(N)|map('string')) }}",
  "{{ messages[0]['content'].split('')|length }}",
  '{% set ns = namespace(l=[1]) %}{% for i in range(N) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l|tojson }}',
  "{% set ns = namespace(d={'a': 1}) %}{% for i in range(N) %}{% set ns.d = {'x': ns.d, 'y': ns.d} %}{% endfor %}{{ ns.d|string }}",
  '{% set ns = namespace(l=[1]) %}{% for i in range(N) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l == ns.l }}',
  '{% set ns = namespace(l=[1]) %}{% for i in range(M) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l|unique|list|length }}',
  // One builtin call on values the budget allows, whose result would not be (a string of 2^k).
  ...[
    "{{ 'xy'|replace('', S) }}",
    "{{ S.replace('', 'ab') }}",
    "{{ S.split('x')|length }}",
    "{{ (S ~ ' ')|join(', ') }}",
    '{{ range(20000)|join(S) }}',
    "{{ S.replace('x', '\n')|indent(20000, true, true) }}",
    '{{ [S, S, S, S]|tojson(indent=20000, ensure_ascii=true) }}',
    '{{ [1, 2, 3]|tojson(separators=(S, S)) }}',
    "{% set ns.l = [S] %}{% for i in range(13) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l ~ '' }}",
    "{{ strftime_now(S.replace('x', '%B')) }}",
    '{% set ns.me = ns %}{{ ns|tojson }}',
  ].map(
    (t) =>
      `{% set ns = namespace(s='x') %}{% for i in range(N % 23) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}${t.replaceAll('S', 'ns.s')}`,
  ),
];

/** A chat template: a real one mutated, a hostile one, or fragments spliced into a real one. */
function chatTemplateInput(r: Rand): string {
  const fill = (t: string) =>
    t.replaceAll('N', String(pick(r, BIG))).replaceAll('M', String(pick(r, BIG)));
  const roll = r();
  if (roll < 0.35) return fill(pick(r, HOSTILE));
  const real = pick(r, REAL_TEMPLATES);
  if (roll < 0.7) {
    // Splice hostile fragments into a real template at tag boundaries.
    let t = real;
    for (let k = 1 + int(r, 3); k > 0; k--) {
      const cuts = [...t.matchAll(/%}|}}/g)].map((m) => m.index + m[0].length);
      const at = cuts.length > 0 ? pick(r, cuts) : 0;
      t = t.slice(0, at) + fill(pick(r, HOSTILE)) + t.slice(at);
    }
    return t;
  }
  if (roll < 0.95) return text(mutateBytes(r, new TextEncoder().encode(real)));
  return real; // as is: must render
}

/**
 * A checkpoint with one member twice: a second central directory entry (placeholder renamed), or
 * a second local header put in a gap before a member, with the directory's offsets shifted.
 */
function zipDuplicateInput(r: Rand): Input {
  const files = { ...checkpoint(pick(r, VARIANTS)) };
  const members = zipMembers(files['hypermod.pt'] as Uint8Array);
  const names = Object.keys(members);
  const name = pick(r, names);
  const data = members[name]!;
  const copy = r() < 0.5 ? data.slice() : mutateBytes(r, data);
  if (r() < 0.5) {
    // Both copies in the central directory, the copy first or last.
    const placeholder = name.slice(0, -1) + (name.endsWith('#') ? '%' : '#');
    const ordered: Record<string, Uint8Array> = {};
    const copyFirst = r() < 0.5;
    if (copyFirst) ordered[placeholder] = copy;
    for (const n of names) ordered[n] = members[n]!;
    if (!copyFirst) ordered[placeholder] = copy;
    const zip = zipSync(ordered, { level: 0 });
    const enc = new TextEncoder();
    const from = enc.encode(placeholder);
    const to = enc.encode(name);
    for (let at = 0; at + from.length <= zip.length; at++) {
      if (from.every((b, k) => zip[at + k] === b)) zip.set(to, at);
    }
    return { ...files, 'hypermod.pt': zip };
  }
  // A hidden local header: the member's header and data copied in front of another member.
  const pt = files['hypermod.pt'] as Uint8Array;
  const v = new DataView(pt.buffer, pt.byteOffset, pt.byteLength);
  const eocd = pt.length - 22;
  const cd = v.getUint32(eocd + 16, true);
  const entries: { central: number; local: number; name: string }[] = [];
  for (let at = cd, i = 0; i < v.getUint16(eocd + 10, true); i++) {
    const n = v.getUint16(at + 28, true);
    entries.push({
      central: at,
      local: v.getUint32(at + 42, true),
      name: new TextDecoder().decode(pt.subarray(at + 46, at + 46 + n)),
    });
    at += 46 + n + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  const own = entries.find((e) => e.name === name)!;
  const dataStart =
    own.local + 30 + v.getUint16(own.local + 26, true) + v.getUint16(own.local + 28, true);
  const block = pt.slice(own.local, dataStart + data.length);
  const at = pick(r, [...entries.map((e) => e.local), cd]);
  const out = new Uint8Array(pt.length + block.length);
  out.set(pt.subarray(0, at), 0);
  out.set(block, at);
  out.set(pt.subarray(at), at + block.length);
  const o = new DataView(out.buffer);
  for (const e of entries) {
    if (e.local >= at) o.setUint32(e.central + block.length + 42, e.local + block.length, true);
  }
  o.setUint32(out.length - 22 + 16, cd + block.length, true);
  return { ...files, 'hypermod.pt': out };
}

/** Builds input i of a target (deterministic). */
export async function makeInput(target: Target, r: Rand): Promise<Input> {
  switch (target) {
    case 'pickle': {
      const files = { ...checkpoint(pick(r, VARIANTS)) };
      const members = zipMembers(files['hypermod.pt'] as Uint8Array);
      const pkl = Object.keys(members).find((n) => n.endsWith('/data.pkl'))!;
      members[pkl] = mutateBytes(r, members[pkl]!);
      return { ...files, 'hypermod.pt': zipSync(members, { level: 0 }) };
    }
    case 'ckpt-zip': {
      const files = { ...checkpoint(pick(r, VARIANTS)) };
      const pt = files['hypermod.pt'] as Uint8Array;
      if (r() < 0.15) {
        // Re-zip with deflated members (a bomb-like member of zeros, or the real data deflated).
        const members = zipMembers(pt);
        const out: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
        for (const [n, d] of Object.entries(members)) {
          const bomb = n.endsWith('/data/0') && r() < 0.5;
          out[n] = [
            bomb ? new Uint8Array((1 + int(r, 64)) << 20) : d,
            { level: r() < 0.5 ? 6 : 0 },
          ];
        }
        return { ...files, 'hypermod.pt': zipSync(out) };
      }
      // Most structure lives in the local headers and the central directory at the end.
      const focus: [number, number] =
        r() < 0.5 ? [Math.max(0, pt.length - 4096), pt.length] : [0, 512];
      return { ...files, 'hypermod.pt': mutateBytes(r, pt, focus) };
    }
    case 'args-yaml': {
      const files = { ...checkpoint(pick(r, VARIANTS)) };
      const yaml = text(files['args.yaml']!);
      const mutated =
        r() < 0.5
          ? stringify(mutateValue(r, (await import('yaml')).parse(yaml)))
          : mutateYamlText(r, yaml);
      return { ...files, 'args.yaml': mutated };
    }
    case 'adapter-config': {
      const files = { ...checkpoint(pick(r, VARIANTS)) };
      const json = text(files['adapter_config.json']!);
      const mutated =
        r() < 0.75
          ? JSON.stringify(mutateValue(r, JSON.parse(json)))
          : text(mutateBytes(r, new TextEncoder().encode(json)));
      return { ...files, 'adapter_config.json': mutated };
    }
    case 'package-json': {
      const files = { ...(await pkg(pick(r, PACKAGE_VARIANTS))) };
      const json = text(files['t2l.json']!);
      const mutated =
        r() < 0.85
          ? JSON.stringify(mutateValue(r, JSON.parse(json)))
          : text(mutateBytes(r, new TextEncoder().encode(json)));
      return { ...files, 't2l.json': mutated };
    }
    case 'model-onnx': {
      const files = { ...(await pkg(pick(r, PACKAGE_VARIANTS))) };
      const g = files['model.onnx'] as Uint8Array;
      const focus: [number, number] = r() < 0.6 ? [0, Math.min(g.length, 4096)] : [0, g.length];
      return { ...files, 'model.onnx': mutateBytes(r, g, focus) };
    }
    case 'chat-template':
      return { 'template.jinja': chatTemplateInput(r) };
    case 'zip-duplicate':
      return zipDuplicateInput(r);
    case 'safetensors': {
      if (r() < 0.5) return { 'emb.safetensors': mutateBytes(r, EMBEDDING, [0, 128]) };
      const n = Number(new DataView(EMBEDDING.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(EMBEDDING.subarray(8, 8 + n)));
      const h = new TextEncoder().encode(JSON.stringify(mutateValue(r, header)));
      const out = new Uint8Array(8 + h.length + EMBEDDING.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      out.set(EMBEDDING.subarray(8 + n), 8 + h.length);
      return { 'emb.safetensors': out };
    }
  }
}

export function writeInput(dir: string, input: Input): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, v] of Object.entries(input)) writeFileSync(join(dir, name), v);
}

/** What a reader made of an input that it accepted; a string when the result is silently wrong. */
export type Verdict = 'accepted' | { wrong: string };

/**
 * Runs the CLI's readers on the input in `dir`. Throws what they throw; returns 'accepted', or
 * { wrong } when the output contradicts itself (an adapter_config.json whose r or target_modules
 * differ from the tensors written beside it, embeddings whose shape and data disagree).
 */
export async function runTarget(target: Target, dir: string): Promise<Verdict> {
  if (target === 'safetensors') {
    const { tensors } = readSafetensors(
      new Uint8Array(
        await (await import('node:fs/promises')).readFile(join(dir, 'emb.safetensors')),
      ),
      join(dir, 'emb.safetensors'),
    );
    for (const [name, t] of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (n !== t.data.length)
        return { wrong: `${name}: shape ${t.shape} but ${t.data.length} values` };
    }
    const emb = tensors.get('task_emb');
    if (emb) {
      checkTaskEmbeddings(
        { taskEmbSize: E } as PackageManifest,
        { dims: emb.shape, data: emb.data },
        'task_emb',
      );
    }
    return 'accepted';
  }
  if (target === 'chat-template') {
    const template = await (
      await import('node:fs/promises')
    ).readFile(join(dir, 'template.jinja'), 'utf8');
    const { prompt } = renderChatPrompt(
      template,
      { system: 'Be brief.', user: 'Write a poem about the sea.' },
      { bosToken: '<s>', eosToken: '</s>', addBos: true },
      { source: join(dir, 'template.jinja'), remedy: 'use --no-chat-template' },
    );
    if (prompt.length > DEFAULT_TEMPLATE_BUDGET.maxChars + 3) {
      return { wrong: `a ${prompt.length}-character prompt passed the budget` };
    }
    return 'accepted';
  }
  const model = await openModel(modelDirSource(dir));
  if (target === 'zip-duplicate') {
    return { wrong: 'a hypermod.pt holding one member twice was read' };
  }
  const m = model.manifest;
  const runner = await createNodeRunner(model.graph, { backends: ['cpu'], numThreads: 1 });
  try {
    const emb = readSafetensors(EMBEDDING).tensors.get('task_emb')!;
    const adapters = await generateAdapters(m, runner, {
      dims: [2, E],
      data: emb.data.subarray(0, 2 * E),
    });
    const files = adapterFiles(m, adapters[0]!);
    const config = JSON.parse(files['adapter_config.json']) as Record<string, unknown>;
    const { tensors } = readSafetensors(files['adapter_model.safetensors']);
    const modules = new Set<string>();
    for (const [key, t] of tensors) {
      const module = /\.([^.]+)\.lora_[AB]\.weight$/.exec(key)?.[1];
      if (module) modules.add(module);
      const rank = key.includes('lora_A') ? t.shape[0] : t.shape[1];
      if (rank !== config['r'])
        return {
          wrong: `adapter_config.json r ${String(config['r'])} but ${key} has rank ${rank}`,
        };
    }
    const targets = config['target_modules'];
    const listed = new Set(Array.isArray(targets) ? targets : [targets]);
    if (listed.size !== modules.size || ![...modules].every((x) => listed.has(x))) {
      return {
        wrong: `adapter_config.json target_modules ${JSON.stringify(targets)} but tensors for ${[...modules].join(', ')}`,
      };
    }
    const layers = new Set([...tensors.keys()].map((k) => /layers\.(\d+)\./.exec(k)?.[1]));
    if (layers.size !== m.layers)
      return { wrong: `t2l.json says ${m.layers} layers, the adapter has ${layers.size}` };
  } finally {
    await runner.release();
  }
  return 'accepted';
}
