/**
 * The remote backend: the hypernetwork runs on an Open Inference Protocol v2 server (`t2l serve`,
 * Triton, KServe) through the core's OIP client. Its runner is an InferenceRunner like the local
 * ones, so generation and packing do not change; the manifest comes from the server.
 */
import { T2LError } from '../../core/errors';
import type { PackageManifest } from '../../core/package/manifest';
import {
  createRemoteRunner,
  RemoteError,
  remoteEmbed,
  type RemoteRunner,
} from '../../core/remote/oip-client';
import type { DownloadContext } from './downloads';
import type { RemoteEndpoint } from './protocol';
import type { WorkerError } from './rpc-protocol';

export { RemoteError };

/** What the page needs to advise on a remote failure: did the server answer, and as what. */
export function remoteFacts(e: RemoteError): NonNullable<WorkerError['remote']> {
  return { status: e.status, notOip: e.kind === 'not-oip' };
}

export interface RemoteModel {
  manifest: PackageManifest;
  runner: RemoteRunner;
}

export async function openRemoteModel(
  endpoint: RemoteEndpoint | undefined,
  modelName: string,
  ctx: DownloadContext,
): Promise<RemoteModel> {
  if (!endpoint?.url) {
    throw new T2LError(
      'bad-input',
      'No remote endpoint is configured: add its URL in Settings, or choose WebGPU or wasm.',
    );
  }
  const runner = await createRemoteRunner(endpoint.url, modelName, {
    token: endpoint.token,
    signal: ctx.signal,
  });
  const manifest = runner.info.manifest;
  if (!manifest) {
    throw new T2LError(
      'unsupported',
      `${endpoint.url} serves ${modelName} without its manifest (model config parameter t2l.manifest); serve it with \`t2l serve\` or a \`t2l export-triton\` repository.`,
    );
  }
  return { manifest, runner };
}

/** Task embeddings from the server, for when the text encoder cannot run in this browser. */
export function embedRemotely(
  endpoint: RemoteEndpoint,
  model: RemoteModel,
  descriptions: string[],
  ctx: DownloadContext,
) {
  if (!model.runner.info.acceptsDescription) {
    throw new T2LError(
      'unsupported',
      `The text encoder cannot run in this browser, and ${endpoint.url} has no encoder for ${model.runner.model} (start it with --encoder).`,
    );
  }
  return remoteEmbed(endpoint.url, model.runner.model, descriptions, {
    token: endpoint.token,
    signal: ctx.signal,
  });
}
