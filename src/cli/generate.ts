import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type AdapterDType } from '../core/adapter/adapter-files';
import { adapterFolder, adapterGguf } from '../core/adapter/download';
import { resolveGgufTarget, type GgufArch } from '../core/adapter/gguf-target';
import { readSafetensors } from '../core/adapter/safetensors';
import { zipFolder } from '../core/adapter/zip';
import { T2LError } from '../core/errors';
import { generateAdapters } from '../core/generate';
import { openModel } from '../core/package/model';
import { resolveEncoder, resolveModelPath } from '../node/hub-resolve';
import type { HubSettings } from '../node/hub-cache';
import type { Backend, FloatTensor } from '../core/runtime/types';
import { modelDirSource, writeFolder } from '../node/fs-source';
import { createNodeRunner } from '../runtime/node';
import type { CliFormat } from './formats';
import { cliHubSettings } from './hub';
import { parseModuleOrder, warn } from './options';

interface GenerateOptions {
  output: string;
  embedding?: string;
  tensor: string;
  description?: string[];
  encoder?: string;
  moduleOrder?: string;
  dtype: AdapterDType;
  zip?: boolean;
  format?: CliFormat;
  arch?: GgufArch;
  nHead?: number;
  nKvHead?: number;
  backend: Backend;
}

/** --format, with --zip as the older spelling of --format zip. */
function outputFormat(opts: GenerateOptions): CliFormat {
  const format = opts.format ?? 'peft';
  if (opts.zip && format === 'gguf') {
    throw new T2LError(
      'bad-input',
      '--zip makes a zip of the PEFT folder; it does not go with --format gguf',
    );
  }
  if (
    format !== 'gguf' &&
    (opts.arch !== undefined || opts.nHead !== undefined || opts.nKvHead !== undefined)
  ) {
    throw new T2LError('bad-input', '--arch, --n-head and --n-kv-head are for --format gguf');
  }
  return opts.zip ? 'zip' : format;
}

async function readEmbedding(file: string, name: string): Promise<FloatTensor> {
  if (!existsSync(file)) throw new T2LError('missing-file', `${file}: no such file`);
  if (!statSync(file).isFile()) throw new T2LError('missing-file', `${file}: not a regular file`);
  const { tensors } = readSafetensors(new Uint8Array(await readFile(file)), file);
  const t = tensors.get(name);
  if (!t) {
    throw new T2LError(
      'missing-tensor',
      `${file}: no tensor "${name}" (it has: ${[...tensors.keys()].join(', ') || 'none'}); choose one with --tensor`,
    );
  }
  return { dims: t.shape, data: t.data };
}

/**
 * Task embeddings [N, E] of descriptions, with the text encoder: the user's --encoder (a local
 * folder, a Hub id or hf:// path), else the package's encoder (resolveEncoder: the app's own
 * folder for the demo's, else downloaded into the Hugging Face cache from HF_ENDPOINT).
 */
export async function embedDescriptions(
  descriptions: string[],
  encoder: { flag: string | undefined; package: string },
  dim: number,
  timings: Record<string, number>,
  hub: HubSettings = cliHubSettings(),
): Promise<FloatTensor> {
  const { label, localPath } = await resolveEncoder(encoder.flag, encoder.package, hub);
  const source = { localPath };
  let t0 = performance.now();
  const { createTextEncoder } = await import('../core/encoder/text-encoder');
  const enc = await createTextEncoder(source);
  timings['load_encoder'] = performance.now() - t0;
  try {
    if (enc.dim !== dim) {
      throw new T2LError(
        'bad-shape',
        `text encoder ${label} gives ${enc.dim}-dimensional embeddings, but the hypernetwork expects ${dim}`,
      );
    }
    t0 = performance.now();
    const { dims, data } = await enc.embed(descriptions);
    timings['encode'] = performance.now() - t0;
    return { dims, data };
  } finally {
    await enc.dispose();
  }
}

export async function generateCommand(arg: string, opts: GenerateOptions): Promise<void> {
  if (Boolean(opts.embedding) === Boolean(opts.description)) {
    throw new T2LError(
      'bad-input',
      'give exactly one of --embedding <file.safetensors> or --description "<text>"',
    );
  }
  const format = outputFormat(opts);
  const hub = cliHubSettings();
  const { path: dir, label: source } = await resolveModelPath(arg, hub);
  const model = await openModel(modelDirSource(dir), {
    moduleOrder: parseModuleOrder(opts.moduleOrder),
    onWarning: warn,
  });
  const { manifest } = model;
  const gguf = { arch: opts.arch, nHead: opts.nHead, nKvHead: opts.nKvHead };
  if (format === 'gguf') {
    // Refuse before the slow part: unknown base model or an element type GGUF does not take.
    resolveGgufTarget(manifest.baseModel, manifest.moduleOrder, gguf);
    if (opts.dtype !== 'float32' && opts.dtype !== 'float16') {
      throw new T2LError('bad-input', `--format gguf writes float32 or float16, not ${opts.dtype}`);
    }
  }
  const timings: Record<string, number> = {};
  const emb = opts.embedding
    ? await readEmbedding(opts.embedding, opts.tensor)
    : await embedDescriptions(
        opts.description!,
        { flag: opts.encoder, package: manifest.encoder },
        manifest.taskEmbSize,
        timings,
        hub,
      );

  let t0 = performance.now();
  const runner = await createNodeRunner(model.graph, { backends: [opts.backend] });
  timings['load_hypernetwork'] = performance.now() - t0;
  try {
    t0 = performance.now();
    const adapters = await generateAdapters(manifest, runner, emb);
    timings['generate'] = performance.now() - t0;
    const date = new Date();
    for (const [i, adapter] of adapters.entries()) {
      const options = {
        dtype: opts.dtype,
        description: opts.description?.[i],
        source,
        backend: runner.backend,
      };
      const folder = join(opts.output, String(i));
      if (format === 'gguf') {
        await mkdir(opts.output, { recursive: true });
        await writeFile(`${folder}.gguf`, adapterGguf(manifest, adapter, { ...options, gguf }));
        process.stdout.write(`wrote ${folder}.gguf\n`);
        continue;
      }
      const files = adapterFolder(manifest, adapter, {
        ...options,
        timings,
        date,
        folder,
        ggufFile: `${folder}.gguf`,
      });
      await writeFolder(folder, files);
      // The zip unpacks to a folder of the same name (out/0.zip → 0/).
      if (format === 'zip') {
        await writeFile(`${folder}.zip`, zipFolder(files, { folder: basename(folder) }));
      }
      process.stdout.write(`wrote ${folder}${format === 'zip' ? ` and ${folder}.zip` : ''}\n`);
    }
  } finally {
    await runner.release();
  }
}
