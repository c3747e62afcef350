/**
 * The text encoder (transformers.js) in the worker. transformers.js fetches its own files; its
 * `env.fetch` is pointed at the worker's downloader so those files get the same progress events,
 * verified cache and cancellation as the hypernetwork's, and its own cache is switched off.
 */
import { env } from '@huggingface/transformers';
import { measured } from '../../runtime/marks';
import { createTextEncoder, type DescriptionEncoder } from '../../core/encoder/text-encoder';
import { cachedInfo } from '../shared/file-cache';
import { download, HttpError, mayProbe, NotCachedError, type DownloadContext } from './downloads';
import { startEncoderGraphWorker } from './encoder-graph-client';
import type { EncoderSource } from './protocol';

interface Active {
  ctx: DownloadContext;
  group: string;
}

let active: Active | null = null;
/** Settled once the graph of the load being started has been read (or could not be). */
let graphRead: { promise: Promise<void>; settle: () => void } | null = null;

/**
 * A promise that settles when the next encoder load's graph bytes are in hand (or the load ends
 * without them). The pre-warm waits on it before reading the hypernetwork, so the encoder's graph,
 * whose session is the longest step of a return visit, is read first and its session starts
 * while the hypernetwork's files are read and its own session created.
 */
export function nextEncoderGraphRead(): Promise<void> {
  let settle = () => {};
  const promise = new Promise<void>((resolve) => (settle = resolve));
  graphRead = { promise, settle };
  return promise;
}
let loaded: { key: string; encoder: DescriptionEncoder } | null = null;
let installed = false;

function installFetch(): void {
  if (installed) return;
  installed = true;
  env.useBrowserCache = false;
  const plain = env.fetch;
  env.fetch = async (input: string | URL, init?: RequestInit) => {
    const url = String(input);
    const job = active;
    const method = (init?.method ?? 'GET').toUpperCase();
    const range = new Headers(init?.headers).get('Range');
    // Its "does this file exist, how big is it" probe (a one-byte Range request) is answered from
    // the cache when the file is there, so a cached encoder loads without a network.
    if (job && method === 'GET' && range === 'bytes=0-0') {
      const info = await cachedInfo(url);
      if (info) {
        return new Response(new Uint8Array(1), {
          status: 206,
          headers: { 'content-range': `bytes 0-0/${info.size}`, 'content-length': '1' },
        });
      }
    }
    // Other Range requests and anything outside a load go to the network as asked (a cache-only
    // load asks only the app's own origin).
    if (!job || method !== 'GET' || range) {
      if (!job) return plain(input, init);
      if (!mayProbe(job.ctx, url)) throw new NotCachedError(url);
      // The token goes along as with downloads (to the Hub endpoint only): a gated repository
      // answers the probe 401 without it, which transformers.js reports as a missing file.
      const headers = new Headers(init?.headers);
      for (const [k, v] of Object.entries(job.ctx.headersFor(url))) headers.set(k, v);
      return plain(input, { ...init, headers });
    }
    try {
      const bytes = await measured('encoder-fetch', () =>
        download(url, job.ctx, { cacheGroup: job.group }),
      );
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { 'content-length': String(bytes.length) },
      });
    } catch (e) {
      // transformers.js decides which files are optional from the status; give it one.
      if (e instanceof HttpError) return new Response(null, { status: e.status });
      throw e;
    }
  };
}

export function encoderLabel(source: EncoderSource): string {
  return source.kind === 'hub' ? source.model : source.url;
}

/** Loads the encoder (or reuses the loaded one) on the given transformers.js device. */
export async function loadEncoder(
  /** The encoder's id (as the package names it), for the cache listing. */
  id: string,
  source: EncoderSource,
  device: string,
  dtype: string,
  ctx: DownloadContext,
  wasmPaths: string,
): Promise<{ encoder: DescriptionEncoder; reused: boolean }> {
  const revision = source.kind === 'hub' ? source.revision : undefined;
  const endpoint = source.kind === 'hub' ? source.endpoint : undefined;
  const key = `${endpoint ?? ''}|${encoderLabel(source)}|${revision ?? ''}|${device}|${dtype}`;
  if (loaded?.key === key) return { encoder: loaded.encoder, reused: true };
  if (loaded) {
    // One encoder at a time: gte-large alone is 1.7 GB in float32.
    const old = loaded.encoder;
    loaded = null;
    await old.dispose();
  }
  installFetch();
  const group = `Text encoder · ${id} (${dtype})`;
  active = { ctx, group };
  // On wasm the graph's verified bytes go straight to the project's own session (see
  // TextEncoderOptions.openGraph), in a worker of its own (encoder-graph-client.ts); WebGPU and fp16
  // (whose outputs may be float16) keep transformers.js's own session.
  const openGraph =
    device === 'wasm' && dtype !== 'fp16'
      ? (url: string, _file: string, stop: AbortSignal) =>
          measured('encoder-graph', async () => {
            // Its worker loads onnxruntime-web, and readies its heap, while the graph is read.
            const size = (await cachedInfo(url))?.size ?? ctx.known?.[url]?.size ?? 0;
            // A worker that stops on its own takes the graph with it: the next load starts anew.
            const slot = startEncoderGraphWorker(wasmPaths, size, () => {
              if (loaded?.key !== key) return;
              const lost = loaded.encoder;
              loaded = null;
              void lost.dispose().catch(() => undefined);
            });
            let bytes: Uint8Array;
            try {
              // Stopped by the user's Cancel, or when the tokenizer or config failed meanwhile.
              const signal = AbortSignal.any([ctx.signal, stop]);
              bytes = await download(url, { ...ctx, signal }, { cacheGroup: group });
            } catch (e) {
              slot.discard();
              throw e;
            } finally {
              graphRead?.settle();
            }
            return slot.open(bytes);
          })
      : undefined;
  try {
    const encoder = await measured('encoder-load', () =>
      createTextEncoder({
        ...(source.kind === 'hub' ? { model: source.model } : { localPath: source.url }),
        ...(revision ? { revision } : {}),
        ...(endpoint ? { endpoint } : {}),
        device,
        dtype,
        wasmPaths,
        ...(openGraph ? { openGraph } : {}),
      }),
    );
    loaded = { key, encoder };
    return { encoder, reused: false };
  } finally {
    active = null;
    graphRead?.settle();
  }
}

export async function releaseEncoder(): Promise<void> {
  const old = loaded;
  loaded = null;
  await old?.encoder.dispose();
}
