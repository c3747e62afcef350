/**
 * The last stage: one generated adapter into the files a user downloads, through the core's
 * adapterDownload (the same files the CLI and the server write, model card included).
 */
import type { AdapterDType } from '../../core/adapter/adapter-files';
import { adapterDownload, adapterFileStem, ggufSupported } from '../../core/adapter/download';
import type { GeneratedAdapter } from '../../core/generate';
import type { PackageManifest } from '../../core/package/manifest';
import type { GeneratedFile } from './protocol';

export interface PackOptions {
  description: string;
  dtype: AdapterDType;
  source: string;
  backend: string;
  timings: Record<string, number>;
  /** Extra safetensors/GGUF metadata, e.g. t2l.blend. */
  metadata?: Record<string, string>;
}

function gguf(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: PackOptions & { name: string },
): { gguf: Uint8Array | null; ggufNote: string } {
  if (!ggufSupported(manifest)) {
    return {
      gguf: null,
      ggufNote: `llama.cpp's architecture for ${manifest.baseModel} is not known; GGUF is offered for Llama, Mistral and Gemma-2 base models`,
    };
  }
  // llama.cpp LoRA tensors are float32 or float16; bfloat16 adapters get a float32 GGUF.
  const dtype = options.dtype === 'float16' ? 'float16' : 'float32';
  const file = adapterDownload(manifest, adapter, { ...options, dtype, format: 'gguf' });
  return {
    gguf: file.bytes,
    ggufNote: dtype === options.dtype ? '' : 'float32 (GGUF has no bfloat16 LoRA)',
  };
}

export function packAdapter(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: PackOptions,
): GeneratedFile {
  const name = adapterFileStem(options.description);
  const common = { ...options, name };
  const zip = adapterDownload(manifest, adapter, { ...common, format: 'peft-zip' });
  const safetensors = adapterDownload(manifest, adapter, { ...common, format: 'safetensors' });
  return {
    description: options.description,
    stem: name,
    safetensors: safetensors.bytes,
    zip: zip.bytes,
    ...gguf(manifest, adapter, common),
  };
}
