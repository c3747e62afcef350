/**
 * The remote backend's place in the pipeline: the encoder runs here, the hypernetwork on an Open
 * Inference Protocol v2 server (`t2l serve`, Triton, KServe). It is an InferenceRunner like the
 * local ones, so generation and packing do not change. Wired to the OIP client (issue 6) when that
 * lands; until then choosing it explains itself.
 */
import { T2LError } from '../../core/errors';
import type { PackageManifest } from '../../core/package/manifest';
import type { InferenceRunner } from '../../core/runtime/types';
import type { DownloadContext } from './downloads';
import type { RemoteEndpoint } from './protocol';

export interface RemoteModel {
  manifest: PackageManifest;
  runner: InferenceRunner;
}

export async function openRemoteModel(
  endpoint: RemoteEndpoint | undefined,
  _modelName: string,
  _ctx: DownloadContext,
): Promise<RemoteModel> {
  if (!endpoint?.url) {
    throw new T2LError(
      'bad-input',
      'No remote endpoint is configured: add its URL in Settings, or choose WebGPU or wasm.',
    );
  }
  throw new T2LError(
    'unsupported',
    `Remote generation through ${endpoint.url} is not available in this build yet; choose WebGPU or wasm.`,
  );
}
