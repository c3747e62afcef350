/** The last stage: one generated adapter into the files a user downloads. */
import { adapterFiles, type AdapterDType } from '../../core/adapter/adapter-files';
import { zipFolder } from '../../core/adapter/zip';
import type { GeneratedAdapter } from '../../core/generate';
import type { PackageManifest } from '../../core/package/manifest';
import type { GeneratedFile } from './protocol';

export interface PackOptions {
  description: string;
  dtype: AdapterDType;
  source: string;
  backend: string;
}

export function packAdapter(
  manifest: PackageManifest,
  adapter: GeneratedAdapter,
  options: PackOptions,
): GeneratedFile {
  const files = adapterFiles(manifest, adapter, options);
  return {
    description: options.description,
    adapterConfig: files['adapter_config.json'],
    safetensors: files['adapter_model.safetensors'],
    zip: zipFolder(files),
  };
}
