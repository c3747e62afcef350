/**
 * What a model's first use downloads: the hypernetwork's files plus the text encoder at the dtype
 * that will be used here (gte-large is hundreds of MB; the demo's encoder is twice its package).
 */
import { encoderDtypeChoice, type EncoderDtype } from '../../core/encoder/dtype';
import type { Capabilities } from '../worker/protocol';
import type { BackendChoice } from '../shared/backend-choice';
import type { Catalog, CatalogEntry } from '../shared/catalog';

export interface FirstDownload {
  /** The hypernetwork's files (checkpoint or package), as the catalog records them. */
  model: number | undefined;
  /** The text encoder at `dtype`, when the catalog knows its size. */
  encoder: { id: string; dtype: EncoderDtype; bytes: number } | undefined;
  total: number | undefined;
  /** The text encoder and the Hub commit it is pinned to, when the catalog pins one. */
  encoderPin?: { id: string; revision: string };
}

/**
 * The encoder dtype a generation will load, as the worker picks it (pipeline.ts encoderDtype):
 * the user's choice or the device's default, limited to what the encoder publishes.
 */
export function expectedEncoderDtype(
  preference: EncoderDtype | 'auto',
  available: readonly EncoderDtype[] | undefined,
  choice: BackendChoice | null,
  caps: Capabilities | null,
): EncoderDtype {
  const list = available?.length ? available : (['fp32'] as const);
  const device = choice?.ok && choice.backends[0] === 'webgpu' ? 'webgpu' : 'wasm';
  const wanted =
    preference !== 'auto'
      ? preference
      : encoderDtypeChoice({
          backend: device,
          shaderF16: device === 'webgpu' && Boolean(caps?.webgpu.features.shaderF16),
        }).dtype;
  return list.includes(wanted) ? wanted : list[0]!;
}

export function firstDownload(
  entry: CatalogEntry,
  catalog: Catalog,
  dtypeFor: (available: readonly EncoderDtype[] | undefined) => EncoderDtype,
): FirstDownload {
  const enc = entry.encoder ? catalog.encoders[entry.encoder] : undefined;
  let encoder: FirstDownload['encoder'];
  if (entry.encoder && enc) {
    const dtype = dtypeFor(enc.dtypes);
    const bytes = enc.sizes?.[dtype] ?? (dtype === 'fp32' ? enc.size : undefined);
    if (bytes !== undefined) encoder = { id: entry.encoder, dtype, bytes };
  }
  const total =
    entry.size === undefined && !encoder ? undefined : (entry.size ?? 0) + (encoder?.bytes ?? 0);
  const revision = enc && !enc.url ? enc.revision : undefined;
  return {
    model: entry.size,
    encoder,
    total,
    ...(entry.encoder && revision ? { encoderPin: { id: entry.encoder, revision } } : {}),
  };
}
