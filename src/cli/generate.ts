import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { adapterFiles, type AdapterDType } from '../core/adapter/adapter-files';
import { readSafetensors } from '../core/adapter/safetensors';
import { zipFolder } from '../core/adapter/zip';
import { T2LError } from '../core/errors';
import { generateAdapters } from '../core/generate';
import { openModel } from '../core/package/model';
import type { Backend, FloatTensor } from '../core/runtime/types';
import { dirSource, writeFolder } from '../node/fs-source';
import { createNodeRunner } from '../runtime/node';
import { parseModuleOrder } from './options';

interface GenerateOptions {
  output: string;
  embedding?: string;
  tensor: string;
  description?: string[];
  encoder?: string;
  moduleOrder?: string;
  dtype: AdapterDType;
  zip?: boolean;
  backend: Backend;
}

async function readEmbedding(file: string, name: string): Promise<FloatTensor> {
  if (!existsSync(file)) throw new T2LError('missing-file', `${file}: no such file`);
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

async function embedDescriptions(
  descriptions: string[],
  encoder: string,
  dim: number,
): Promise<FloatTensor> {
  // A path that exists is a local transformers.js folder; anything else is a Hub model id.
  const local = existsSync(encoder);
  const { createTextEncoder } = await import('../core/encoder/text-encoder');
  const enc = await createTextEncoder(local ? { localPath: resolve(encoder) } : { model: encoder });
  try {
    if (enc.dim !== dim) {
      throw new T2LError(
        'bad-shape',
        `text encoder ${encoder} gives ${enc.dim}-dimensional embeddings, but the hypernetwork expects ${dim}`,
      );
    }
    const { dims, data } = await enc.embed(descriptions);
    return { dims, data };
  } finally {
    await enc.dispose();
  }
}

export async function generateCommand(dir: string, opts: GenerateOptions): Promise<void> {
  if (Boolean(opts.embedding) === Boolean(opts.description)) {
    throw new T2LError(
      'bad-input',
      'give exactly one of --embedding <file.safetensors> or --description "<text>"',
    );
  }
  const model = await openModel(dirSource(dir), {
    moduleOrder: parseModuleOrder(opts.moduleOrder),
  });
  const { manifest } = model;
  const emb = opts.embedding
    ? await readEmbedding(opts.embedding, opts.tensor)
    : await embedDescriptions(
        opts.description!,
        opts.encoder ?? manifest.encoder,
        manifest.taskEmbSize,
      );

  const runner = await createNodeRunner(model.graph, { backends: [opts.backend] });
  try {
    const adapters = await generateAdapters(manifest, runner, emb);
    for (const [i, adapter] of adapters.entries()) {
      const files = adapterFiles(manifest, adapter, {
        dtype: opts.dtype,
        description: opts.description?.[i],
        source: dir,
        backend: runner.backend,
      });
      const folder = join(opts.output, String(i));
      await writeFolder(folder, files);
      if (opts.zip) await writeFile(join(opts.output, `${i}.zip`), zipFolder(files));
      process.stdout.write(`wrote ${folder}${opts.zip ? ` and ${folder}.zip` : ''}\n`);
    }
  } finally {
    await runner.release();
  }
}
