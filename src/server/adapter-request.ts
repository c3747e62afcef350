/**
 * The body of `POST /v1/adapters` ({model, description | task_emb, format, dtype, gguf}), parsed
 * with a zod schema; the text or embedding becomes the OIP request it stands for, so the limits and
 * messages are the same as /infer's.
 */
import type { AdapterDType } from '../core/adapter/adapter-files';
import type { DownloadFormat } from '../core/adapter/download';
import type { GgufTargetOptions } from '../core/adapter/gguf-target';
import { TASK_EMB } from '../core/remote/oip';
import { z } from 'zod';
import { preview } from '../core/schema';
import { badRequest } from './http-error';
import { parseJsonBounded } from '../core/json';

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

/** The body's schema (zod); each field's message says what it must be, naming the choices. */
function requestSchema(modelNames: string[]) {
  const formats = Object.keys(FORMATS) as [string, ...string[]];
  const positive = (k: string) =>
    z
      .number({ error: `"gguf.${k}" must be a positive integer` })
      .int({ error: `"gguf.${k}" must be a positive integer` })
      .positive({ error: `"gguf.${k}" must be a positive integer` })
      .optional();
  return z.looseObject({
    model: z.string({ error: `"model" must be a string: one of ${modelNames.join(', ')}` }),
    format: z
      .enum(formats, {
        error: (iss) =>
          `"format" must be one of ${formats.join(', ')}, found ${preview(iss.input)}`,
      })
      .default('zip'),
    dtype: z
      .enum(DTYPES as [AdapterDType, ...AdapterDType[]], {
        error: (iss) => `"dtype" must be one of ${DTYPES.join(', ')}, found ${preview(iss.input)}`,
      })
      .default('float32'),
    gguf: z
      .strictObject(
        {
          arch: z
            .enum(['llama', 'gemma2'], { error: '"gguf.arch" must be "llama" or "gemma2"' })
            .optional(),
          nHead: positive('nHead'),
          nKvHead: positive('nKvHead'),
        },
        {
          error: (iss) =>
            iss.code === 'unrecognized_keys'
              ? `"gguf": unknown field "${iss.keys[0]}"`
              : '"gguf" must be an object {"arch", "nHead", "nKvHead"}',
        },
      )
      .optional(),
    // Their element types and sizes are checked by parseInferRequest, as for /infer.
    description: z.unknown().optional(),
    task_emb: z.unknown().optional(),
  });
}

/**
 * Parses the body of POST /v1/adapters once, with a zod schema; every problem is a 400 naming the
 * field, what it must be and what was found.
 */
export function parseAdapterRequest(body: Uint8Array, modelNames: string[]): AdapterRequest {
  let json: unknown;
  try {
    json = parseJsonBounded(new TextDecoder().decode(body));
  } catch (e) {
    throw badRequest(
      `the body must be JSON {"model", "description", "format"}: ${(e as Error).message}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badRequest('the body must be a JSON object {"model", "description", "format"}');
  }
  const parsed = requestSchema(modelNames).safeParse(json, { reportInput: true });
  if (!parsed.success) throw badRequest(parsed.error.issues[0]!.message);
  const b = parsed.data;
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
  const gguf = b.gguf
    ? Object.fromEntries(Object.entries(b.gguf).filter(([, v]) => v !== undefined))
    : undefined;
  return {
    model: b.model,
    format: FORMATS[b.format]!,
    dtype: b.dtype,
    ...(gguf ? { gguf: gguf as GgufTargetOptions } : {}),
    ...(typeof description === 'string' ? { description } : {}),
    oipRequest: new TextEncoder().encode(JSON.stringify(request)),
  };
}
