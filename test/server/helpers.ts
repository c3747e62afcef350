/**
 * Shared setup for the server tests: a models folder (the L-sft conformance checkpoint, converted
 * on the fly, and the same converted into a package), the tiny test encoder, a server on a free
 * port, and request helpers that build and read OIP bodies with Buffer, independently of src/.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyEncoder } from '../../scripts/fixtures/write-tiny-encoder';
import { loadCheckpoint } from '../../src/core/checkpoint/load';
import { generateAdapters, type GeneratedAdapter } from '../../src/core/generate';
import { convertCheckpoint, packageFiles, type T2LModel } from '../../src/core/package/model';
import { dirSource, writeFolder } from '../../src/node/fs-source';
import { createNodeRunner } from '../../src/runtime/node';
import { startServer, type ServeOptions, type T2LServer } from '../../src/server/server';
import { CONFORMANCE_DIR, conformanceInputs } from '../support/conformance';

export const L_SFT_DIR = join(CONFORMANCE_DIR, 'L-sft');
export const E = 1024;

export interface Fixture {
  root: string;
  modelsDir: string;
  encoderDir: string;
  /** The L-sft checkpoint, as the server sees it (converted from the checkpoint folder). */
  model: T2LModel;
  /** The three conformance task embeddings, [3, 1024]. */
  taskEmb: Float32Array;
  cleanup(): Promise<void>;
}

/**
 * models/L-sft -> the conformance checkpoint (symlink), models/packages/L-pkg -> the same,
 * converted; encoder/ -> the tiny test encoder (E = 1024).
 */
export async function makeFixture(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 't2l-server-'));
  const modelsDir = join(root, 'models');
  const encoderDir = join(root, 'encoder');
  const model = convertCheckpoint(await loadCheckpoint(dirSource(L_SFT_DIR)));
  await writeFolder(join(modelsDir, 'packages', 'L-pkg'), packageFiles(model));
  await symlink(L_SFT_DIR, join(modelsDir, 'L-sft'));
  await writeTinyEncoder(encoderDir, { hiddenSize: E });
  return {
    root,
    modelsDir,
    encoderDir,
    model,
    taskEmb: conformanceInputs('L-sft').taskEmb.data,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export interface Running {
  server: T2LServer;
  url: string;
  logs: Array<Record<string, unknown>>;
}

/** A server on a free loopback port, its logs kept in memory, every model loaded. */
export async function serve(
  options: Partial<ServeOptions> & { modelsDir: string },
): Promise<Running> {
  const logs: Array<Record<string, unknown>> = [];
  const server = await startServer({ port: 0, log: (e) => logs.push(e), ...options });
  await server.loaded;
  return { server, url: server.url, logs };
}

/** Local generation through the core, the reference the server's answers are held to. */
export async function localAdapters(
  model: T2LModel,
  emb: Float32Array,
): Promise<GeneratedAdapter[]> {
  const runner = await createNodeRunner(model.graph);
  try {
    return await generateAdapters(model.manifest, runner, { dims: [emb.length / E, E], data: emb });
  } finally {
    await runner.release();
  }
}

/** A binary-extension body: JSON header, then the buffers; returns body and header length. */
export function binaryBody(
  json: unknown,
  buffers: Buffer[],
): { body: Buffer; headerLength: number } {
  const header = Buffer.from(JSON.stringify(json), 'utf8');
  return { body: Buffer.concat([header, ...buffers]), headerLength: header.length };
}

export function f32Buffer(values: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) b.writeFloatLE(values[i]!, i * 4);
  return b;
}

export function bytesBuffer(strings: string[]): Buffer {
  return Buffer.concat(
    strings.flatMap((s) => {
      const data = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(data.length);
      return [len, data];
    }),
  );
}

export interface ParsedOutput {
  name: string;
  shape: number[];
  datatype: string;
  values: Float32Array;
  binary: boolean;
}

/** Reads an infer response (JSON or binary extension) into named FP32 outputs. */
export async function readInferResponse(res: Response): Promise<{
  json: Record<string, unknown>;
  outputs: Map<string, ParsedOutput>;
}> {
  const body = Buffer.from(await res.arrayBuffer());
  const h = res.headers.get('inference-header-content-length');
  const cut = h === null ? body.length : Number(h);
  const json = JSON.parse(body.subarray(0, cut).toString('utf8')) as {
    outputs: Array<{
      name: string;
      shape: number[];
      datatype: string;
      data?: number[];
      parameters?: { binary_data_size?: number };
    }>;
  };
  const outputs = new Map<string, ParsedOutput>();
  let at = cut;
  for (const o of json.outputs) {
    const size = o.parameters?.binary_data_size;
    let values: Float32Array;
    if (size !== undefined) {
      values = new Float32Array(size / 4);
      for (let i = 0; i < values.length; i++) values[i] = body.readFloatLE(at + i * 4);
      at += size;
    } else {
      values = Float32Array.from(o.data!);
    }
    outputs.set(o.name, { ...o, values, binary: size !== undefined });
  }
  if (at !== body.length) throw new Error(`${body.length - at} bytes left after the outputs`);
  return { json: json as unknown as Record<string, unknown>, outputs };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function postBinary(
  url: string,
  json: unknown,
  buffers: Buffer[],
  headers: Record<string, string> = {},
) {
  const { body, headerLength } = binaryBody(json, buffers);
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(headerLength),
      ...headers,
    },
    body: new Uint8Array(body),
  });
}

/** max |a - b| / max |b|: the acceptance bound is 1e-4. */
export { relativeError } from '../support/conformance';

/** Names of the active handles and requests that keep the process alive, by kind. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}
