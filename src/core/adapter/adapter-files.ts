import type { GeneratedAdapter } from '../generate';
import type { PackageManifest } from '../package/manifest';
import { peftLoraConfig } from './lora-config';
import { buildPeftAdapter } from './peft';

export type AdapterDType = 'float32' | 'float16' | 'bfloat16';

export interface AdapterFileOptions {
  dtype?: AdapterDType;
  description?: string | undefined;
  /** Where the T2L checkpoint or package came from. */
  source?: string;
  backend?: string;
  /** Extra provenance, e.g. a blend of descriptions. */
  metadata?: Record<string, string>;
}

/** The t2l.* provenance every written adapter carries (safetensors and GGUF metadata). */
export function adapterProvenance(
  manifest: PackageManifest,
  options: AdapterFileOptions = {},
): Record<string, string> {
  return {
    't2l.base_model': manifest.baseModel,
    't2l.variant': manifest.variant,
    't2l.checkpoint': options.source ?? manifest.source,
    't2l.precision': manifest.precision,
    't2l.encoder': manifest.encoder,
    't2l.generator': manifest.createdBy,
    ...(options.description !== undefined ? { 't2l.description': options.description } : {}),
    ...(options.backend !== undefined ? { 't2l.backend': options.backend } : {}),
    ...options.metadata,
  };
}

/** The PEFT folder of one generated adapter, with its provenance in the safetensors metadata. */
export function adapterFiles(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: AdapterFileOptions = {},
): { 'adapter_config.json': string; 'adapter_model.safetensors': Uint8Array } {
  const metadata = adapterProvenance(manifest, options);
  return buildPeftAdapter({
    modules: adapter.modules,
    loraConfig: peftLoraConfig(manifest),
    moduleOrder: manifest.moduleOrder,
    dtype: options.dtype ?? 'float32',
    metadata,
  });
}
