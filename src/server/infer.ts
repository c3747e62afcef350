/**
 * POST /v2/models/{name}/infer: the request read and checked strictly (every problem is a 400
 * naming the field), and the response written as JSON or with the binary tensor data extension.
 */
import { T2LError } from '../core/errors';
import { formatDescription } from '../core/encoder/format';
import {
  bytesToFloat32,
  decodeBytesElements,
  DESCRIPTION,
  elementCount,
  float32ToBytes,
  INFERENCE_HEADER,
  joinBody,
  splitBody,
  TASK_EMB,
  type OipResponseOutput,
  type OipTensorMetadata,
} from '../core/remote/oip';
import type { FloatTensor } from '../core/runtime/types';
import { badRequest } from './http-error';
import { parseInferBody } from './infer-schema';

export interface InferLimits {
  /** Most rows (task embeddings or descriptions) in one request. */
  maxBatch: number;
  /** Most characters (code points) in one description. */
  maxDescriptionChars: number;
  /**
   * Most values returned as JSON numbers in one response (default 4M, about 80 MB of JSON):
   * larger outputs must be asked for in binary, which has no such cost.
   */
  maxJsonOutputValues?: number;
}

export const MAX_JSON_OUTPUT_VALUES = 4 * 1024 * 1024;

export interface ModelIO {
  name: string;
  taskEmbSize: number;
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
}

export type InferInput =
  | { kind: 'task_emb'; emb: FloatTensor & { dims: [number, number] } }
  | { kind: 'description'; texts: string[] };

export interface InferPlan {
  id?: string;
  n: number;
  input: InferInput;
  /** In the order the response lists them. */
  outputs: Array<{ name: string; binary: boolean }>;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

// Triton features this server does not offer; a request using them must not be half-served.
const UNSUPPORTED_PARAMETERS = [
  'shared_memory_region',
  'shared_memory_byte_size',
  'shared_memory_offset',
  'classification',
];

function checkUnsupported(p: Record<string, unknown> | undefined, where: string): void {
  for (const k of Object.keys(p ?? {})) {
    if (UNSUPPORTED_PARAMETERS.includes(k)) {
      throw badRequest(`${where}: parameter "${k}" is not supported by this server`);
    }
  }
}

function describeInputs(io: ModelIO): string {
  return io.inputs.map((t) => `${t.name} (${t.datatype} ${shapeText(t.shape)})`).join(' or ');
}

/** Flattens JSON tensor data (flat, or nested exactly as the shape) into a list of elements. */
function flatten(data: unknown, shape: number[], label: string): unknown[] {
  if (!Array.isArray(data)) throw badRequest(`${label}: "data" must be an array`);
  const count = elementCount(shape);
  if (data.length === count && !data.some(Array.isArray)) return data;
  if (shape.length > 1 && data.length === shape[0]) {
    const out: unknown[] = [];
    const walk = (x: unknown, depth: number, path: string) => {
      if (depth === shape.length) {
        out.push(x);
        return;
      }
      if (!Array.isArray(x) || x.length !== shape[depth]) {
        throw badRequest(
          `${label}: data${path} must be an array of ${shape[depth]} (shape ${shapeText(shape)})`,
        );
      }
      x.forEach((y, i) => walk(y, depth + 1, `${path}[${i}]`));
    };
    walk(data, 0, '');
    return out;
  }
  throw badRequest(
    `${label}: "data" has ${data.length} elements, but shape ${shapeText(shape)} needs ${count}`,
  );
}

function checkFinite(values: Float32Array, label: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw badRequest(
        `${label}: value ${i} is ${values[i]} as FP32; task embeddings must be finite`,
      );
    }
  }
}

function checkDescription(text: string, i: number, limits: InferLimits, label: string): string {
  const chars = [...text].length;
  if (chars > limits.maxDescriptionChars) {
    throw badRequest(
      `${label}: description ${i} has ${chars} characters; this server takes at most ${limits.maxDescriptionChars} (--max-description-chars)`,
    );
  }
  try {
    formatDescription(text);
  } catch (e) {
    if (e instanceof T2LError) throw badRequest(`${label}: description ${i}: ${e.message}`);
    throw e;
  }
  return text;
}

/** Reads and checks an inference request against the model; every problem is a 400. */
export function parseInferRequest(
  body: Uint8Array,
  headerLength: number | undefined,
  io: ModelIO,
  limits: InferLimits,
): InferPlan {
  let parts: { json: unknown; binary: Uint8Array };
  try {
    parts = splitBody(body, headerLength);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  const { json, binary } = parts;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badRequest(
      'the request must be a JSON object: {"inputs": [{"name", "shape", "datatype", "data"}]}',
    );
  }
  const req = parseInferBody(json, `model ${io.name} takes ${describeInputs(io)}`);
  const id = req.id;
  checkUnsupported(req.parameters, 'request');
  const binaryDefault = req.parameters?.binary_data_output ?? false;

  // Inputs.
  const seen = new Set<string>();
  let offset = 0;
  let input: InferInput | undefined;
  let n = 0;
  for (const raw of req.inputs) {
    const { name, shape } = raw;
    const label = `input "${name}"`;
    const meta = io.inputs.find((t) => t.name === name);
    if (!meta) {
      if (name === DESCRIPTION) {
        throw badRequest(
          `${label}: this server has no text encoder for model ${io.name} (start it with --encoder), so send ${TASK_EMB} (FP32 [N, ${io.taskEmbSize}])`,
        );
      }
      throw badRequest(`unknown ${label}; model ${io.name} takes ${describeInputs(io)}`);
    }
    if (seen.has(name)) throw badRequest(`${label} is given twice`);
    seen.add(name);
    if (seen.size > 1) {
      throw badRequest(`give one input, ${TASK_EMB} or ${DESCRIPTION}, not both`);
    }
    if (raw.datatype !== meta.datatype) {
      throw badRequest(
        `${label}: datatype must be ${meta.datatype}, found ${JSON.stringify(raw.datatype)}`,
      );
    }
    if (
      shape.length !== meta.shape.length ||
      shape.some((d, i) => meta.shape[i] !== -1 && meta.shape[i] !== d)
    ) {
      throw badRequest(
        `${label}: shape ${shapeText(shape)} does not fit ${shapeText(meta.shape)} (-1: any batch size)`,
      );
    }
    n = shape[0]!;
    if (n === 0) throw badRequest(`${label}: the batch is empty (shape ${shapeText(shape)})`);
    if (n > limits.maxBatch) {
      throw badRequest(
        `${label}: a batch of ${n} is more than this server takes in one request (${limits.maxBatch}, --max-batch)`,
      );
    }
    checkUnsupported(raw.parameters, label);
    const size = raw.parameters?.binary_data_size;
    let bytes: Uint8Array | undefined;
    if (size !== undefined) {
      if (raw.data !== undefined) {
        throw badRequest(`${label}: give "data" or parameters.binary_data_size, not both`);
      }
      if (headerLength === undefined) {
        throw badRequest(
          `${label}: binary_data_size needs the ${INFERENCE_HEADER} header (the length of the JSON part of the body)`,
        );
      }
      const end = offset + size;
      if (end > binary.length) {
        throw badRequest(
          `${label}: binary_data_size ${size} runs past the ${binary.length} bytes of binary data in the body`,
        );
      }
      bytes = binary.subarray(offset, end);
      offset = end;
    } else if (raw.data === undefined) {
      throw badRequest(`${label}: no "data" and no parameters.binary_data_size`);
    }

    if (name === TASK_EMB) {
      const count = elementCount(shape);
      let values: Float32Array;
      if (bytes) {
        if (bytes.length !== count * 4) {
          throw badRequest(
            `${label}: binary_data_size is ${bytes.length}, but FP32 ${shapeText(shape)} is ${count * 4} bytes`,
          );
        }
        values = bytesToFloat32(bytes);
      } else {
        const flat = flatten(raw.data, shape, label);
        values = new Float32Array(count);
        flat.forEach((v, i) => {
          if (typeof v !== 'number') {
            throw badRequest(
              `${label}: data value ${i} is ${JSON.stringify(v)}, expected a number`,
            );
          }
          values[i] = v;
        });
      }
      checkFinite(values, label);
      input = { kind: 'task_emb', emb: { dims: [n, shape[1]!], data: values } };
    } else {
      let texts: string[];
      if (bytes) {
        const decoder = new TextDecoder('utf-8', { fatal: true });
        texts = decodeBytesElements(bytes, n, label).map((e, i) => {
          try {
            return decoder.decode(e);
          } catch {
            throw badRequest(`${label}: element ${i} is not valid UTF-8`);
          }
        });
      } else {
        texts = flatten(raw.data, shape, label).map((v, i) => {
          if (typeof v !== 'string') {
            throw badRequest(`${label}: element ${i} is ${JSON.stringify(v)}, expected a string`);
          }
          return v;
        });
      }
      texts.forEach((t, i) => checkDescription(t, i, limits, label));
      input = { kind: 'description', texts };
    }
  }
  if (offset !== binary.length) {
    throw badRequest(
      `the body has ${binary.length} bytes after the JSON part, but the inputs' binary_data_size add up to ${offset}`,
    );
  }

  // Outputs.
  const graphOutputs = io.outputs.filter((t) => t.name !== TASK_EMB);
  let outputs: InferPlan['outputs'];
  const requested = req.outputs;
  if (requested === undefined || requested.length === 0) {
    outputs = graphOutputs.map((t) => ({ name: t.name, binary: binaryDefault }));
  } else {
    const names = new Set<string>();
    outputs = requested.map(({ name, parameters }) => {
      const label = `output "${name}"`;
      if (!io.outputs.some((t) => t.name === name)) {
        throw badRequest(
          `unknown ${label}; model ${io.name} has ${io.outputs.map((t) => t.name).join(', ')}`,
        );
      }
      if (name === TASK_EMB && input!.kind !== 'description') {
        throw badRequest(
          `${label} is the embedding of a ${DESCRIPTION} input; this request sends ${TASK_EMB}`,
        );
      }
      if (names.has(name)) throw badRequest(`${label} is requested twice`);
      names.add(name);
      checkUnsupported(parameters, label);
      return { name, binary: parameters?.binary_data ?? binaryDefault };
    });
  }
  const jsonValues = outputs
    .filter((o) => !o.binary)
    .reduce((sum, o) => {
      const dims = io.outputs.find((t) => t.name === o.name)!.shape.slice(1);
      return sum + n * elementCount(dims);
    }, 0);
  const maxJson = limits.maxJsonOutputValues ?? MAX_JSON_OUTPUT_VALUES;
  if (jsonValues > maxJson) {
    throw badRequest(
      `the outputs asked for as JSON hold ${jsonValues} values, more than ${maxJson}; ask for them in binary ("parameters": {"binary_data": true}, or "binary_data_output": true for all)`,
    );
  }
  return { ...(id !== undefined ? { id } : {}), n, input: input!, outputs };
}

/** The response body: the requested outputs as JSON data, or binary after the JSON part. */
export function encodeInferResponse(
  modelName: string,
  plan: InferPlan,
  values: Record<string, FloatTensor>,
): { body: Uint8Array; headerLength: number | undefined } {
  const binaries: Uint8Array[] = [];
  const outputs: OipResponseOutput[] = plan.outputs.map(({ name, binary }) => {
    const t = values[name];
    if (!t) throw new T2LError('runtime', `the model gave no output ${name}`);
    const out: OipResponseOutput = { name, shape: [...t.dims], datatype: 'FP32' };
    if (binary) {
      const bytes = float32ToBytes(t.data);
      out.parameters = { binary_data_size: bytes.length };
      binaries.push(bytes);
    } else {
      out.data = Array.from(t.data);
    }
    return out;
  });
  return joinBody(
    {
      model_name: modelName,
      model_version: '1',
      ...(plan.id !== undefined ? { id: plan.id } : {}),
      outputs,
    },
    binaries,
  );
}
