/**
 * The Open Inference Protocol request body for POST /v2/models/{name}/infer, parsed once with a
 * schema: `inputs` a non-empty list of {name, shape, datatype, parameters?, data?}, `outputs` a
 * list of {name, parameters?}, parameters objects of strings, numbers and booleans. Declared
 * shapes are bounded here (rank and element count), before anything is sized from them; what the
 * model takes (names, datatypes, widths, batch limits) is checked by parseInferRequest.
 */
import { z } from 'zod';
import { describeIssues } from '../core/schema';
import { badRequest, type HttpError } from './http-error';

/** Most dimensions in a declared shape. */
export const MAX_RANK = 8;
/** Most elements a declared shape may hold (2^31: no typed array is sized past this). */
export const MAX_ELEMENTS = 2 ** 31;

const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean',
});

/** A parameters object: the keys this server reads, typed; any other key a scalar. */
function parameters<T extends z.ZodRawShape>(known: T) {
  return z.object(known).catchall(scalar).optional();
}

const shape = z
  .array(z.int().nonnegative())
  .max(MAX_RANK)
  .refine((dims) => dims.reduce((n, d) => n * d, 1) <= MAX_ELEMENTS, {
    error: (iss) =>
      `expected at most ${MAX_ELEMENTS} elements, found shape [${(iss.input as number[]).join(', ')}]`,
  });

const input = z.object({
  name: z.string(),
  shape,
  datatype: z.string(),
  parameters: parameters({ binary_data_size: z.int().nonnegative().optional() }),
  data: z.array(z.unknown()).optional(),
});

const output = z.object({
  name: z.string(),
  parameters: parameters({ binary_data: z.boolean().optional() }),
});

export const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: parameters({ binary_data_output: z.boolean().optional() }),
  inputs: z.array(input).min(1),
  outputs: z.array(output).optional(),
});

export type InferRequestBody = z.output<typeof inferRequestSchema>;

/** `inputs[0].shape[1]`: the field as a client writes it. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * Parses a request body's JSON part; a 400 naming each offending field with what was expected and
 * what was found, then `hint` (what the model takes).
 */
export function parseInferBody(json: unknown, hint: string): InferRequestBody {
  const res = inferRequestSchema.safeParse(json, { reportInput: true });
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => ({
    ...i,
    path: i.path.length === 0 ? [] : [fieldPath(i.path)],
  }));
  const error: HttpError = badRequest(`request body: ${describeIssues(issues)}; ${hint}`);
  throw error;
}
