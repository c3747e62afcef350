/**
 * One generated adapter in the format a user asked for: the PEFT folder with its model card, a
 * zip of it, the bare safetensors, or a GGUF for llama.cpp/Ollama. The CLI, the app's Download menu
 * and the server's /v1/adapters all go through here.
 */
import { T2LError } from '../errors';
import type { GeneratedAdapter } from '../generate';
import type { PackageManifest } from '../package/manifest';
import { adapterFiles, adapterProvenance, type AdapterFileOptions } from './adapter-files';
import { buildGgufAdapter, type GgufDType } from './gguf';
import { resolveGgufTarget, type GgufTargetOptions } from './gguf-target';
import { loraConfigScale, peftLoraConfig } from './lora-config';
import { buildModelCard, MODEL_CARD_FILE, type ModelCardOptions } from './model-card';
import { zipFolder } from './zip';

export type DownloadFormat = 'peft-zip' | 'safetensors' | 'gguf';
export const DOWNLOAD_FORMATS: readonly DownloadFormat[] = ['peft-zip', 'safetensors', 'gguf'];

export interface AdapterDownloadOptions
  extends
    AdapterFileOptions,
    Omit<ModelCardOptions, 'dtype' | 'description' | 'source' | 'backend'> {
  format: DownloadFormat;
  /** File name without extension (default: derived from the description). */
  name?: string;
  /** llama.cpp architecture / head counts for base models the table does not know. */
  gguf?: GgufTargetOptions;
}

export interface AdapterDownload {
  fileName: string;
  bytes: Uint8Array;
  mime: string;
}

/** A file-name stem from a description: "t2l-solve-math-word-problems", or "t2l-adapter". */
export function adapterFileStem(description?: string): string {
  const slug = (description ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug ? `t2l-${slug}` : 't2l-adapter';
}

/** The PEFT folder plus README.md (the model card): what the CLI writes and the zip holds. */
export function adapterFolder(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: AdapterFileOptions &
    Omit<ModelCardOptions, 'dtype' | 'description' | 'source' | 'backend'> = {},
): Record<string, string | Uint8Array> {
  const files = adapterFiles(manifest, adapter, options);
  return {
    [MODEL_CARD_FILE]: buildModelCard(manifest, {
      ...options,
      dtype: options.dtype ?? 'float32',
    }),
    ...files,
  };
}

/** The adapter as a GGUF LoRA file for llama.cpp / Ollama (see gguf.ts for what changes). */
export function adapterGguf(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: AdapterFileOptions & { gguf?: GgufTargetOptions } = {},
): Uint8Array {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new T2LError(
      'bad-input',
      `GGUF adapters are float32 or float16 (llama.cpp's LoRA converter default is f32); ${dtype} is not offered`,
    );
  }
  const loraConfig = peftLoraConfig(manifest);
  const target = resolveGgufTarget(manifest.baseModel, manifest.moduleOrder, options.gguf);
  const metadata: Record<string, string> = {
    ...adapterProvenance(manifest, options),
    't2l.module_order': manifest.moduleOrder.join(','),
    't2l.peft_lora_alpha': String(loraConfig.lora_alpha),
    't2l.peft_use_rslora': String(loraConfig.use_rslora),
    't2l.peft_scale': String(loraConfigScale(loraConfig)),
    't2l.qk_rows': target.permuteQK ? 'permuted for llama.cpp rotary layout' : 'as in PEFT',
  };
  const short = manifest.baseModel.split(/[\\/]/).pop() || manifest.baseModel;
  return buildGgufAdapter({
    modules: adapter.modules,
    moduleOrder: manifest.moduleOrder,
    loraConfig,
    baseModel: manifest.baseModel,
    target,
    dtype: dtype as GgufDType,
    name: `Text-to-LoRA adapter for ${short}`,
    ...(options.description ? { description: options.description } : {}),
    metadata,
  });
}

/**
 * One download: `peft-zip` (`<name>/` holding README.md + adapter_config.json +
 * adapter_model.safetensors),
 * `safetensors` (adapter_model.safetensors alone) or `gguf` (llama.cpp LoRA).
 */
export function adapterDownload(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: AdapterDownloadOptions,
): AdapterDownload {
  const stem = (options.name ?? adapterFileStem(options.description)).toWellFormed();
  switch (options.format) {
    case 'peft-zip': {
      const files = adapterFolder(manifest, adapter, {
        ggufFile: `${stem}.gguf`,
        ...options,
        folder: stem,
      });
      // Into a folder named like the zip, so the card's PEFT/vLLM snippets name the folder the
      // user has after unzipping, whatever the unzip tool does.
      return {
        fileName: `${stem}.zip`,
        bytes: zipFolder(files, { folder: stem }),
        mime: 'application/zip',
      };
    }
    case 'safetensors':
      return {
        fileName: `${stem}.safetensors`,
        bytes: adapterFiles(manifest, adapter, options)['adapter_model.safetensors'],
        mime: 'application/octet-stream',
      };
    case 'gguf':
      return {
        fileName: `${stem}.gguf`,
        bytes: adapterGguf(manifest, adapter, options),
        mime: 'application/octet-stream',
      };
    default:
      throw new T2LError(
        'bad-input',
        `unknown download format ${JSON.stringify(options.format)} (one of ${DOWNLOAD_FORMATS.join(', ')})`,
      );
  }
}

/** Whether GGUF export works for this model without extra options (for enabling a UI choice). */
export function ggufSupported(manifest: PackageManifest, gguf?: GgufTargetOptions): boolean {
  try {
    resolveGgufTarget(manifest.baseModel, manifest.moduleOrder, gguf);
    return true;
  } catch {
    return false;
  }
}
