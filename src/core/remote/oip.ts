/**
 * The Open Inference Protocol v2 (KServe v2 / Triton) over HTTP: the JSON objects, and the binary
 * tensor data extension that both the server (src/server) and the client (./oip-client) speak.
 *
 * Binary extension in short: the body is the JSON object followed by the raw tensors, in the order
 * of the inputs (request) or outputs (response) that carry `parameters.binary_data_size`; the
 * `Inference-Header-Content-Length` header gives the length of the JSON part. Tensors are
 * little-endian, row-major, unpadded; a BYTES element is a 4-byte little-endian length, then its
 * bytes. Pure: no DOM, no Node.
 */
import { T2LError } from '../errors';
import { parseJsonBounded } from '../json';

export const INFERENCE_HEADER = 'Inference-Header-Content-Length';
/** The graph's input, and (for description requests) the output with the embedding used. */
export const TASK_EMB = 'task_emb';
/** BYTES [N] input of task descriptions, for servers that hold a text encoder. */
export const DESCRIPTION = 'description';
export const BINARY_EXTENSION = 'binary_tensor_data';

export type OipParameters = Record<string, string | number | boolean>;

export interface OipTensorMetadata {
  name: string;
  datatype: string;
  /** -1 for a dimension of any size (the batch). */
  shape: number[];
}

export interface OipServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface OipModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
}

export interface OipRequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: OipParameters;
  data?: unknown[];
}

export interface OipRequestOutput {
  name: string;
  parameters?: OipParameters;
}

export interface OipInferRequest {
  id?: string;
  parameters?: OipParameters;
  inputs: OipRequestInput[];
  outputs?: OipRequestOutput[];
}

export interface OipResponseOutput {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: OipParameters;
  data?: unknown[];
}

export interface OipInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: OipParameters;
  outputs: OipResponseOutput[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 values as little-endian bytes (a view when the platform is little-endian). */
export function float32ToBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** Little-endian float32 bytes as a new Float32Array (copied: the bytes may sit at any offset). */
export function bytesToFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) {
    throw new T2LError('bad-input', `${bytes.length} bytes is not a whole number of FP32 values`);
  }
  if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** BYTES elements in the binary layout: each a uint32 LE length, then its bytes. */
export function encodeBytesElements(elements: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(elements.reduce((n, e) => n + 4 + e.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of elements) {
    view.setUint32(at, e.length, true);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/** The inverse of encodeBytesElements; `count` elements must fill `bytes` exactly. */
export function decodeBytesElements(bytes: Uint8Array, count: number, label: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) {
      throw new T2LError(
        'bad-input',
        `${label}: binary data ends inside the length prefix of element ${i} (shape says ${count} elements)`,
      );
    }
    const len = view.getUint32(at, true);
    if (at + 4 + len > bytes.length) {
      throw new T2LError(
        'bad-input',
        `${label}: element ${i} claims ${len} bytes, but only ${bytes.length - at - 4} remain`,
      );
    }
    out.push(bytes.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== bytes.length) {
    throw new T2LError(
      'bad-input',
      `${label}: ${bytes.length - at} bytes are left after the ${count} elements the shape gives`,
    );
  }
  return out;
}

/** The body of a request or response: JSON, then the binary tensors. */
export function joinBody(
  json: unknown,
  binaries: Uint8Array[],
): { body: Uint8Array; headerLength: number | undefined } {
  const header = new TextEncoder().encode(JSON.stringify(json));
  if (binaries.length === 0) return { body: header, headerLength: undefined };
  const body = new Uint8Array(header.length + binaries.reduce((n, b) => n + b.length, 0));
  body.set(header, 0);
  let at = header.length;
  for (const b of binaries) {
    body.set(b, at);
    at += b.length;
  }
  return { body, headerLength: header.length };
}

/** Reads the Inference-Header-Content-Length header value; undefined when absent. */
export function parseHeaderLength(
  value: string | null | undefined,
  bodyLength: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) {
    throw new T2LError(
      'bad-input',
      `${INFERENCE_HEADER} must be a byte count, found ${JSON.stringify(value)}`,
    );
  }
  const n = Number(v);
  if (n > bodyLength) {
    throw new T2LError(
      'bad-input',
      `${INFERENCE_HEADER} is ${n}, longer than the ${bodyLength}-byte body`,
    );
  }
  return n;
}

/**
 * The length of the JSON object at the start of `bytes` (strings and escapes respected), for
 * answers whose Inference-Header-Content-Length a proxy did not expose to the browser.
 */
export function jsonPrefixLength(bytes: Uint8Array): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new T2LError('bad-input', 'the body does not start with a complete JSON object');
}

/** Splits a body into its JSON part (parsed) and the binary tensor data after it. */
export function splitBody(
  body: Uint8Array,
  headerLength: number | undefined,
): { json: unknown; binary: Uint8Array } {
  const cut = headerLength ?? body.length;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, cut));
  let json: unknown;
  try {
    json = parseJsonBounded(text);
  } catch (e) {
    throw new T2LError(
      'bad-input',
      `the ${headerLength === undefined ? 'body' : `first ${cut} bytes (${INFERENCE_HEADER})`} must be a JSON object: ${(e as Error).message}`,
    );
  }
  return { json, binary: body.subarray(cut) };
}

/** Product of a shape's dimensions. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
