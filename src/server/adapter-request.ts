/**
 * The body of `POST /v1/adapters` ({model, description | task_emb, format, dtype, gguf}), checked
 * field by field; the text or embedding becomes the OIP request it stands for, so the limits and
 * messages are the same as /infer's.
 */
import type { AdapterDType } from '../core/adapter/adapter-files';
import type { DownloadFormat } from '../core/adapter/download';
import type { GgufTargetOptions } from '../core/adapter/gguf-target';
import { TASK_EMB } from '../core/remote/oip';
import { badRequest } from './http-error';

const FORMATS: Record<string, DownloadFormat> = {
  zip: 'peft-zip',
  'peft-zip': 'peft-zip',
  safetensors: 'safetensors',
  gguf: 'gguf',
};
const DTYPES: AdapterDType[] = ['float32', 'float16', 'bfloat16'];

export interface AdapterRequest {
  model: string;
  format: DownloadFormat;
  dtype: AdapterDType;
  gguf?: GgufTargetOptions;
  description?: string;
  /** The equivalent OIP v2 JSON request, for parseInferRequest. */
  oipRequest: Uint8Array;
}

export function parseAdapterRequest(body: Uint8Array, modelNames: string[]): AdapterRequest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw badRequest(
      `the body must be JSON {"model", "description", "format"}: ${(e as Error).message}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badRequest('the body must be a JSON object {"model", "description", "format"}');
  }
  const b = json as Record<string, unknown>;
  if (typeof b['model'] !== 'string') {
    throw badRequest(`"model" must be a string: one of ${modelNames.join(', ')}`);
  }
  const format = b['format'] ?? 'zip';
  if (typeof format !== 'string' || !(format in FORMATS)) {
    throw badRequest(
      `"format" must be one of ${Object.keys(FORMATS).join(', ')}, found ${JSON.stringify(format)}`,
    );
  }
  const dtype = b['dtype'] ?? 'float32';
  if (!DTYPES.includes(dtype as AdapterDType)) {
    throw badRequest(`"dtype" must be one of ${DTYPES.join(', ')}, found ${JSON.stringify(dtype)}`);
  }
  const gguf = checkGgufOptions(b['gguf']);
  const { description, task_emb: taskEmb } = b;
  if ((description === undefined) === (taskEmb === undefined)) {
    throw badRequest('give "description" (a string) or "task_emb" (an array of numbers), not both');
  }
  const request =
    description !== undefined
      ? { inputs: [{ name: 'description', datatype: 'BYTES', shape: [1], data: [description] }] }
      : {
          inputs: [
            {
              name: TASK_EMB,
              datatype: 'FP32',
              shape: [1, Array.isArray(taskEmb) ? taskEmb.length : 0],
              data: taskEmb,
            },
          ],
        };
  return {
    model: b['model'],
    format: FORMATS[format]!,
    dtype: dtype as AdapterDType,
    ...(gguf ? { gguf } : {}),
    ...(typeof description === 'string' ? { description } : {}),
    oipRequest: new TextEncoder().encode(JSON.stringify(request)),
  };
}

/** "gguf": {arch, nHead, nKvHead} for base models GGUF export does not know. */
function checkGgufOptions(g: unknown): GgufTargetOptions | undefined {
  if (g === undefined) return undefined;
  if (typeof g !== 'object' || g === null || Array.isArray(g)) {
    throw badRequest('"gguf" must be an object {"arch", "nHead", "nKvHead"}');
  }
  const o = g as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['arch', 'nHead', 'nKvHead'].includes(k)) throw badRequest(`"gguf": unknown field "${k}"`);
  }
  if (o['arch'] !== undefined && o['arch'] !== 'llama' && o['arch'] !== 'gemma2') {
    throw badRequest('"gguf.arch" must be "llama" or "gemma2"');
  }
  for (const k of ['nHead', 'nKvHead']) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) <= 0)) {
      throw badRequest(`"gguf.${k}" must be a positive integer`);
    }
  }
  return o as GgufTargetOptions;
}
