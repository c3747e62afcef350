/**
 * Fuzz targets: each makes one mutated input from the demo models (seeded, reproducible) and feeds
 * it to the same readers the CLI uses (modelDirSource + openModel, as `t2l inspect/convert/
 * generate` do; readSafetensors for --embedding), then checks what came out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
import { demoCheckpointFiles } from '../../src/fixtures/demo';
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
  const model = await openModel(modelDirSource(dir));
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
