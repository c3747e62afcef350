/**
 * The model card (README.md) that goes into every adapter folder and zip: what the adapter is, how
 * it was made, and copy-paste snippets for PEFT, vLLM, llama.cpp and Ollama. YAML front matter in
 * the Hugging Face model-card style carries the same facts in a machine-readable form, which
 * `readModelCard` / `checkAdapterZip` read back (tests of the CLI, app and server use them).
 */
import { parse, stringify } from 'yaml';
import { T2LError } from '../errors';
import type { PackageManifest } from '../package/manifest';
import { lookupBaseModel } from './gguf-target';
import { loraConfigScale, peftLoraConfig } from './lora-config';
import { unzipFolder } from './zip';

export const MODEL_CARD_FILE = 'README.md';

export interface ModelCardOptions {
  /** The task description the adapter was generated from (absent for raw task embeddings). */
  description?: string | undefined;
  /** Element type of the written adapter tensors. */
  dtype?: string;
  /** Where the T2L checkpoint or package came from (default: the manifest's source). */
  source?: string;
  /** The execution backend that ran the hypernetwork (cpu, cuda, webgpu, wasm, ...). */
  backend?: string | undefined;
  /** Stage times in milliseconds, e.g. { encode: 120, generate: 35 }. */
  timings?: Record<string, number> | undefined;
  /** When the adapter was made (default: now). */
  date?: Date;
  /**
   * Name of the adapter folder in the snippets (default "adapter"): the folder the zip unpacks to
   * (adapterDownload zips into a folder of this name), or where the CLI wrote it.
   */
  folder?: string;
  /** Name of the GGUF file in the llama.cpp/Ollama snippets (default "adapter.gguf"). */
  ggufFile?: string;
  /** A name for the adapter in vLLM's --lora-modules (default "t2l"). */
  loraName?: string;
}

/** The machine-readable part of the card (front matter `t2l:` block). */
export interface ModelCardFacts {
  base_model: string;
  description: string | null;
  checkpoint: string;
  variant: string;
  training_task: string;
  hypernetwork_precision: string;
  dtype: string;
  module_order: string[];
  rank: number;
  lora_alpha: number;
  use_rslora: boolean;
  encoder: string;
  backend: string | null;
  timings_ms: Record<string, number> | null;
  created: string;
  generator: string;
}

const fence = (lang: string, body: string) => '```' + lang + '\n' + body.trimEnd() + '\n```';

/** Quotes a value for a POSIX shell when it is not a plain word. */
function sh(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A Python string literal. */
const py = (s: string) => JSON.stringify(s);

/** Markdown text with the characters that would start markup escaped, one paragraph per line. */
function mdText(s: string): string {
  return s
    .replace(/[\\`*_{}[\]()#+\-!|<>~]/g, (c) => `\\${c}`)
    .split(/\r?\n/)
    .map((line) => `> ${line}`)
    .join('\n');
}

export function modelCardFacts(
  manifest: PackageManifest,
  options: ModelCardOptions = {},
): ModelCardFacts {
  const cfg = peftLoraConfig(manifest);
  const timings =
    options.timings && Object.keys(options.timings).length > 0
      ? Object.fromEntries(
          Object.entries(options.timings).map(([k, v]) => [k, Math.round(v * 10) / 10]),
        )
      : null;
  return wellFormedStrings({
    base_model: manifest.baseModel,
    description: options.description ?? null,
    checkpoint: options.source ?? manifest.source,
    variant: manifest.variant,
    training_task: manifest.trainingTask,
    hypernetwork_precision: manifest.precision,
    dtype: options.dtype ?? 'float32',
    module_order: [...manifest.moduleOrder],
    rank: manifest.rank,
    lora_alpha: cfg.lora_alpha,
    use_rslora: cfg.use_rslora,
    encoder: manifest.encoder,
    backend: options.backend ?? null,
    timings_ms: timings,
    created: (options.date ?? new Date()).toISOString(),
    generator: manifest.createdBy,
  });
}

/**
 * The facts with every string well-formed (a lone surrogate becomes U+FFFD): the YAML writer
 * would otherwise keep it as a `\ud800` escape, which strict readers refuse.
 */
function wellFormedStrings(f: ModelCardFacts): ModelCardFacts {
  const fix = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.toWellFormed()
      : Array.isArray(v)
        ? v.map(fix)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), fix(x)]))
          : v;
  return fix(f) as ModelCardFacts;
}

/** README.md for one generated adapter. */
export function buildModelCard(manifest: PackageManifest, options: ModelCardOptions = {}): string {
  const f = modelCardFacts(manifest, options);
  const folder = options.folder ?? 'adapter';
  const gguf = options.ggufFile ?? 'adapter.gguf';
  const loraName = options.loraName ?? 't2l';
  const base = f.base_model;
  const known = lookupBaseModel(base);
  const s = loraConfigScale(peftLoraConfig(manifest));
  const scale = f.use_rslora
    ? `lora_alpha / sqrt(r) = ${f.lora_alpha} / sqrt(${f.rank}) ≈ ${s.toPrecision(6)} (rsLoRA)`
    : `lora_alpha / r = ${f.lora_alpha} / ${f.rank} ≈ ${s.toPrecision(6)}`;

  const front = stringify(
    {
      base_model: base,
      library_name: 'peft',
      pipeline_tag: 'text-generation',
      tags: ['lora', 'peft', 'text-to-lora', 't2l-web'],
      t2l: f,
    },
    { lineWidth: 0 },
  );

  const rows: Array<[string, string]> = [
    ['Base model', `\`${base}\``],
    ['T2L checkpoint', `\`${f.checkpoint}\` (variant ${f.variant}, ${f.training_task})`],
    ['Hypernetwork precision', f.hypernetwork_precision],
    ['Adapter tensors', `${f.dtype}, rank ${f.rank}, ${manifest.layers} layers`],
    ['Target modules (type-embedding order)', f.module_order.map((m) => `\`${m}\``).join(', ')],
    ['LoRA scale', scale],
    ['Text encoder', `\`${f.encoder}\``],
    ['Backend', f.backend ?? 'not recorded'],
  ];
  if (f.timings_ms) {
    rows.push([
      'Stage times',
      Object.entries(f.timings_ms)
        .map(([k, v]) => `${k} ${v} ms`)
        .join(', '),
    ]);
  }
  rows.push(['Created', `${f.created} by ${f.generator}`]);
  const table = [
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
  ].join('\n');

  const demo = known?.demo
    ? '\n**This adapter comes from a demo model with random weights: it does nothing useful.**\n'
    : '';

  const peftSnippet = fence(
    'python',
    `from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel

base = AutoModelForCausalLM.from_pretrained(${py(base)}, torch_dtype="auto", device_map="auto")
tokenizer = AutoTokenizer.from_pretrained(${py(base)})
# the folder holding this README.md, adapter_config.json and adapter_model.safetensors
model = PeftModel.from_pretrained(base, ${py(folder)})`,
  );
  const vllmSnippet = fence(
    'sh',
    `vllm serve ${sh(base)} --enable-lora --max-lora-rank ${vllmMaxLoraRank(f.rank)} \\
  --lora-modules ${sh(`${loraName}=${folder}`)}
# then request "model": "${loraName}" from the OpenAI-compatible API`,
  );
  const llamaSnippet = fence(
    'sh',
    `# base.gguf: ${base} converted with llama.cpp's convert_hf_to_gguf.py (any quantization)
llama-cli -m base.gguf --lora ${sh(gguf)}
llama-server -m base.gguf --lora ${sh(gguf)}
# each request may set the adapter's scale ("id" is its place among the --lora flags; 0 turns it off)
curl -s localhost:8080/completion -d '{"prompt": "...", "lora": [{"id": 0, "scale": 1.0}]}'`,
  );
  const ollamaSnippet = fence(
    '',
    `FROM ./base.gguf
ADAPTER ${/^(\/|\.\.?\/|[A-Za-z]:)/.test(gguf) ? gguf : `./${gguf}`}`,
  );
  const text = `---
${front}---

# Text-to-LoRA adapter for ${base}
${demo}
Generated by t2l-web with a [Text-to-LoRA](https://github.com/SakanaAI/text-to-lora) hypernetwork
(Sakana AI) from a task description, in one forward pass: no training run.

## Task description

${f.description !== null ? mdText(f.description) : '_None: generated from a raw task embedding._'}

## How it was made

${table}

## Use it

### PEFT / transformers

${peftSnippet}

### vLLM

${vllmSnippet}

### llama.cpp

llama.cpp takes LoRA adapters as GGUF: get this one with \`t2l generate <model> --format gguf\`, or
with the **.gguf for llama.cpp** button under **↓ Download PEFT .zip** in the t2l-web app
(**.gguf** in Compare and History); it is called \`${gguf}\` below. Same weights, with q/k rows
reordered for llama.cpp's rotary layout where the architecture needs it and
\`adapter.lora.alpha\` set so that llama.cpp's alpha / r equals the scale above. Use it with a GGUF
of the same base model; \`llama-server\` serves it over HTTP (OpenAI-compatible API included):

${llamaSnippet}

### Ollama

Ollama up to 0.34.0 takes a GGUF LoRA with \`ADAPTER\` in a \`Modelfile\`; **Ollama 0.34.1 and
later refuse \`ADAPTER\`** (ollama PR 14969), so with those use \`llama-server\` as above. For
an older Ollama, a \`Modelfile\` next to the two files (\`FROM\` may also name an Ollama model of
the same base):

${ollamaSnippet}

\`ollama create my-t2l-adapter -f Modelfile && ollama run my-t2l-adapter\`
`;
  // Every string in the card (description, paths) ends up well-formed UTF-8.
  return text.toWellFormed();
}

/**
 * vLLM's --max-lora-rank must be one of its supported ranks (vllm/config LoRAConfig:
 * 8, 16, 32, 64, 128, 256, 320, 512; newer versions also 1): the smallest one that fits `rank`.
 */
export function vllmMaxLoraRank(rank: number): number {
  return [8, 16, 32, 64, 128, 256, 320, 512].find((r) => r >= rank) ?? rank;
}

/** The front-matter facts and the Markdown body of a model card. */
export function readModelCard(text: string): { facts: ModelCardFacts; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new T2LError('bad-input', `${MODEL_CARD_FILE}: no YAML front matter`);
  const front = parse(m[1]!) as { t2l?: ModelCardFacts } | null;
  if (!front || typeof front !== 'object' || !front.t2l || typeof front.t2l !== 'object') {
    throw new T2LError('bad-input', `${MODEL_CARD_FILE}: front matter has no t2l block`);
  }
  return { facts: front.t2l, body: m[2]! };
}

/**
 * Checks a downloaded adapter zip: README.md present with the expected facts, next to the PEFT
 * files. Returns the problems found (empty when all is well), so e2e tests can print them.
 */
export function checkAdapterZip(zip: Uint8Array, expected: Partial<ModelCardFacts> = {}): string[] {
  const problems: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipFolder(zip);
  } catch (e) {
    return [(e as Error).message];
  }
  // Entries may sit at the root or under one folder.
  const byBase = new Map(Object.entries(files).map(([k, v]) => [k.split('/').pop()!, v]));
  for (const want of [MODEL_CARD_FILE, 'adapter_config.json', 'adapter_model.safetensors']) {
    if (!byBase.has(want)) problems.push(`zip has no ${want}`);
  }
  const card = byBase.get(MODEL_CARD_FILE);
  if (card === undefined) return problems;
  const text = new TextDecoder().decode(card);
  let facts: ModelCardFacts;
  let body: string;
  try {
    ({ facts, body } = readModelCard(text));
  } catch (e) {
    return [...problems, (e as Error).message];
  }
  for (const [k, v] of Object.entries(expected)) {
    const got = (facts as unknown as Record<string, unknown>)[k];
    if (JSON.stringify(got) !== JSON.stringify(v)) {
      problems.push(`README.md ${k}: expected ${JSON.stringify(v)}, found ${JSON.stringify(got)}`);
    }
  }
  for (const snippet of ['PeftModel.from_pretrained', '--lora-modules', '--lora ', 'ADAPTER ']) {
    if (!body.includes(snippet)) problems.push(`README.md has no ${snippet.trim()} snippet`);
  }
  const config = byBase.get('adapter_config.json');
  if (config !== undefined) {
    try {
      const c = JSON.parse(new TextDecoder().decode(config)) as Record<string, unknown>;
      if (c['base_model_name_or_path'] !== facts.base_model) {
        problems.push(
          `README.md base_model ${facts.base_model} differs from adapter_config.json ${String(c['base_model_name_or_path'])}`,
        );
      }
    } catch {
      problems.push('adapter_config.json is not JSON');
    }
  }
  return problems;
}
