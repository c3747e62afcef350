/**
 * A small Open Inference Protocol v2 client for T2L models, over fetch (browser, worker, Node ≥ 18).
 * It speaks to `t2l serve` and to NVIDIA Triton / KServe serving a `t2l export-triton` repository.
 *
 *   const runner = await createRemoteRunner('https://t2l.example.org', 'llama_8b_t2l', { token });
 *   const emb = await remoteEmbed(endpoint, 'llama_8b_t2l', ['Solve math word problems'], { token });
 *   const [adapter] = await generateAdapters(manifest, runner, emb);   // as with a local runner
 *
 * Tensors travel with the binary tensor data extension (no JSON number arrays). The manifest the
 * adapter files need comes from the app's catalog, or from `remoteModelInfo(...).manifest` where the
 * server publishes it (t2l serve and exported Triton repositories do, as model config parameter
 * `t2l.manifest`).
 */
import { T2LError } from '../errors';
import { loraAName, loraBName } from '../onnx/t2l-graph';
import type { PackageManifest } from '../package/manifest';
import type { Backend, FloatTensor, InferenceRunner } from '../runtime/types';
import {
  bytesToFloat32,
  DESCRIPTION,
  elementCount,
  encodeBytesElements,
  float32ToBytes,
  INFERENCE_HEADER,
  joinBody,
  jsonPrefixLength,
  parseHeaderLength,
  splitBody,
  TASK_EMB,
  type OipInferRequest,
  type OipInferResponse,
  type OipModelMetadata,
  type OipTensorMetadata,
} from './oip';

export interface RemoteOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Extra request headers (e.g. a KServe ingress Host header from Node). */
  headers?: Record<string, string>;
  /** Model version; the server picks one when absent. */
  version?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** An HTTP error from the server; `retryAfterS` is set for 503s that carry Retry-After. */
export class RemoteError extends T2LError {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterS?: number,
    /** 'not-oip': the address answered, but not as an inference server (retrying cannot help). */
    readonly kind?: 'not-oip',
  ) {
    super(status === 400 ? 'bad-input' : 'runtime', message);
    this.name = 'RemoteError';
  }
}

export interface RemoteModelInfo {
  name: string;
  platform: string;
  versions: string[];
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
  /** E, from the task_emb input's shape. */
  taskEmbSize: number;
  /** Whether the server embeds text itself (a `description` input): see remoteEmbed. */
  acceptsDescription: boolean;
  /** Target modules in output order, with sizes read from the output shapes. */
  modules: Array<{
    name: string;
    layers: number;
    rank: number;
    inFeatures: number;
    outFeatures: number;
  }>;
  /** The package manifest, where the server publishes it (model config parameter t2l.manifest). */
  manifest?: PackageManifest;
  /** Triton's max_batch_size from the model config, where available. */
  maxBatchSize?: number;
  /** Where the server runs the model: 'cuda' for a GPU instance, else 'cpu'. */
  backend: Backend;
}

const base = (endpoint: string) => endpoint.replace(/\/+$/, '');

function modelPath(endpoint: string, model: string, options: RemoteOptions): string {
  const version = options.version ? `/versions/${encodeURIComponent(options.version)}` : '';
  return `${base(endpoint)}/v2/models/${encodeURIComponent(model)}${version}`;
}

async function call(
  url: string,
  options: RemoteOptions,
  init: { method?: string; body?: Uint8Array; headers?: Record<string, string> } = {},
): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { ...options.headers, ...init.headers };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body ? { body: init.body as BodyInit } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new RemoteError(
      `${url}: could not connect (${(e as Error).message}); is the server running, and does it allow this page's origin (CORS)?${localNetworkHint(url)}`,
      0,
    );
  }
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const text = await res.text();
      const j = JSON.parse(text) as { error?: unknown };
      detail = typeof j.error === 'string' ? j.error : text;
    } catch {
      /* not JSON: keep the status text */
    }
    const retry = Number(res.headers.get('Retry-After') ?? NaN);
    throw new RemoteError(
      `${url}: HTTP ${res.status}: ${detail}`,
      res.status,
      Number.isFinite(retry) ? retry : undefined,
    );
  }
  return res;
}

/**
 * The JSON body of a GET; an answer that is not JSON (a web page, e.g. the app's own origin or a
 * login page in front of the server) is named as what it is instead of a JSON parse error.
 */
async function getJson<T>(url: string, options: RemoteOptions): Promise<T> {
  const res = await call(url, options);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    const type = res.headers.get('Content-Type') ?? '';
    const what =
      type.includes('text/html') || /^\s*<(!doctype|html)/i.test(text)
        ? 'an HTML page'
        : `${type || 'a body'} that is not JSON`;
    throw new RemoteError(
      `${url} answered ${what}, not an Open Inference Protocol server: check the endpoint's URL (the server's root, e.g. http://localhost:8080)`,
      res.status,
      undefined,
      'not-oip',
    );
  }
}

/** What a remote model takes and gives, and its manifest where the server publishes it. */
export async function remoteModelInfo(
  endpoint: string,
  model: string,
  options: RemoteOptions = {},
): Promise<RemoteModelInfo> {
  const url = modelPath(endpoint, model, options);
  const meta = await getJson<OipModelMetadata>(url, options);
  const emb = meta.inputs?.find((t) => t.name === TASK_EMB);
  if (!emb || emb.datatype !== 'FP32' || emb.shape.length !== 2 || !(emb.shape[1]! > 0)) {
    throw new RemoteError(`${url}: model ${model} has no FP32 ${TASK_EMB} [-1, E] input`, 0);
  }
  const modules: RemoteModelInfo['modules'] = [];
  for (const out of meta.outputs) {
    const m = /^(.+)\.lora_A$/.exec(out.name);
    if (!m) continue;
    const b = meta.outputs.find((t) => t.name === loraBName(m[1]!));
    if (out.shape.length !== 4 || b?.shape.length !== 4) continue;
    modules.push({
      name: m[1]!,
      layers: out.shape[1]!,
      rank: out.shape[2]!,
      inFeatures: out.shape[3]!,
      outFeatures: b.shape[2]!,
    });
  }
  if (modules.length === 0) {
    throw new RemoteError(`${url}: model ${model} has no <module>.lora_A/lora_B outputs`, 0);
  }
  const info: RemoteModelInfo = {
    name: meta.name,
    platform: meta.platform,
    versions: meta.versions ?? [],
    inputs: meta.inputs,
    outputs: meta.outputs,
    taskEmbSize: emb.shape[1]!,
    acceptsDescription: meta.inputs.some((t) => t.name === DESCRIPTION && t.datatype === 'BYTES'),
    modules,
    backend: 'cpu',
  };
  // Triton's model configuration extension; optional, so a failure here is not an error.
  try {
    const config = await getJson<{
      max_batch_size?: number;
      instance_group?: Array<{ kind?: string }>;
      parameters?: Record<string, { string_value?: string }>;
    }>(`${url}/config`, options);
    if (typeof config.max_batch_size === 'number') info.maxBatchSize = config.max_batch_size;
    if (config.instance_group?.some((g) => g.kind === 'KIND_GPU')) info.backend = 'cuda';
    const manifest = config.parameters?.['t2l.manifest']?.string_value;
    if (manifest) info.manifest = JSON.parse(manifest) as PackageManifest;
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
  }
  return info;
}

export interface RemoteTensor {
  name: string;
  shape: number[];
  datatype: 'FP32' | 'BYTES';
  /** FP32 values, or BYTES elements as strings (sent UTF-8). */
  data: Float32Array | string[];
}

/**
 * One inference: inputs go as binary tensors, the named outputs come back binary (FP32 only).
 * The low-level call under createRemoteRunner and remoteEmbed.
 */
export async function remoteInfer(
  endpoint: string,
  model: string,
  inputs: RemoteTensor[],
  outputs: string[],
  options: RemoteOptions = {},
): Promise<Record<string, FloatTensor>> {
  const binaries: Uint8Array[] = [];
  const enc = new TextEncoder();
  const request: OipInferRequest = {
    inputs: inputs.map((t) => {
      let bytes: Uint8Array;
      if (t.datatype === 'FP32') {
        bytes = float32ToBytes(t.data as Float32Array);
      } else {
        bytes = encodeBytesElements((t.data as string[]).map((s) => enc.encode(s)));
      }
      binaries.push(bytes);
      return {
        name: t.name,
        shape: t.shape,
        datatype: t.datatype,
        parameters: { binary_data_size: bytes.length },
      };
    }),
    outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })),
  };
  const { body, headerLength } = joinBody(request, binaries);
  const url = `${modelPath(endpoint, model, options)}/infer`;
  const res = await call(url, options, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/octet-stream',
      [INFERENCE_HEADER]: String(headerLength ?? body.length),
    },
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  // Behind a proxy that does not expose the header to the page, find the JSON's end ourselves.
  const header = res.headers.get(INFERENCE_HEADER);
  const split =
    header !== null
      ? parseHeaderLength(header, bytes.length)
      : (res.headers.get('Content-Type') ?? '').includes('application/json')
        ? undefined
        : jsonPrefixLength(bytes);
  const { json, binary } = splitBody(bytes, split);
  const response = json as OipInferResponse;
  const result: Record<string, FloatTensor> = {};
  let at = 0;
  for (const out of response.outputs ?? []) {
    if (out.datatype !== 'FP32') {
      throw new RemoteError(`${url}: output ${out.name} is ${out.datatype}, expected FP32`, 0);
    }
    const size = out.parameters?.['binary_data_size'];
    let data: Float32Array;
    if (typeof size === 'number') {
      data = bytesToFloat32(binary.subarray(at, at + size));
      at += size;
    } else {
      data = Float32Array.from((out.data ?? []).flat(Infinity) as number[]);
    }
    if (data.length !== elementCount(out.shape)) {
      throw new RemoteError(
        `${url}: output ${out.name} has ${data.length} values for shape [${out.shape.join(', ')}]`,
        0,
      );
    }
    result[out.name] = { dims: out.shape, data };
  }
  for (const name of outputs) {
    if (!result[name]) throw new RemoteError(`${url}: the response lacks output ${name}`, 0);
  }
  return result;
}

/** An InferenceRunner whose runs happen on a remote OIP server; use it with generateAdapters. */
export interface RemoteRunner extends InferenceRunner {
  readonly endpoint: string;
  readonly model: string;
  readonly info: RemoteModelInfo;
}

/** Reads the model's metadata once, then each run is one POST .../infer with binary tensors. */
export async function createRemoteRunner(
  endpoint: string,
  model: string,
  options: RemoteOptions = {},
): Promise<RemoteRunner> {
  const info = await remoteModelInfo(endpoint, model, options);
  const outputNames = info.modules.flatMap((m) => [loraAName(m.name), loraBName(m.name)]);
  return {
    endpoint,
    model,
    info,
    backend: info.backend,
    inputNames: [TASK_EMB],
    outputNames,
    async run(feeds) {
      const inputs: RemoteTensor[] = Object.entries(feeds).map(([name, t]) => ({
        name,
        shape: t.dims,
        datatype: 'FP32',
        data: t.data,
      }));
      return remoteInfer(endpoint, model, inputs, outputNames, options);
    },
    async release() {},
  };
}

/**
 * Task embeddings [N, E] of descriptions, computed by a server that holds the text encoder
 * (`t2l serve --encoder`): the `description` input with only the `task_emb` output requested.
 */
export async function remoteEmbed(
  endpoint: string,
  model: string,
  descriptions: string[],
  options: RemoteOptions = {},
): Promise<FloatTensor & { dims: [number, number] }> {
  const out = await remoteInfer(
    endpoint,
    model,
    [{ name: DESCRIPTION, shape: [descriptions.length], datatype: 'BYTES', data: descriptions }],
    [TASK_EMB],
    options,
  );
  const t = out[TASK_EMB]!;
  if (t.dims.length !== 2 || t.dims[0] !== descriptions.length) {
    throw new RemoteError(`the server's ${TASK_EMB} has shape [${t.dims.join(', ')}]`, 0);
  }
  return { dims: [t.dims[0], t.dims[1]!], data: t.data };
}

const LOOPBACK_OR_PRIVATE =
  /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+)$/;

/**
 * Chromium's Local Network Access asks the user before a page from another address space calls
 * a server on this machine or the LAN; a denied (or dismissed) prompt looks like any failed fetch.
 */
function localNetworkHint(url: string): string {
  const origin = (globalThis as { location?: { hostname?: string } }).location?.hostname;
  const target = new URL(url).hostname;
  if (origin === undefined || !LOOPBACK_OR_PRIVATE.test(target) || LOOPBACK_OR_PRIVATE.test(origin))
    return '';
  return ' The server is on this machine or the local network: if the browser asked whether this site may access the local network, allow it (site settings, "Local network access").';
}
