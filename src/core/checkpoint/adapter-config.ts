import { z } from 'zod';
import { T2LError } from '../errors';
import { parseWithSchema } from '../schema';
import { parseJsonBounded } from '../json';

/**
 * adapter_config.json, as PEFT's LoraConfig reads it (peft/tuners/lora/config.py): the fields
 * t2l-web relies on are typed and range-checked; every other key passes through unchanged.
 * Absent optional fields take PEFT's defaults (lora_alpha 8, lora_dropout 0, bias "none",
 * fan_in_fan_out false, use_rslora false). `null` is accepted where PEFT's field is Optional.
 */
export const adapterConfigSchema = z.looseObject({
  peft_type: z.string().optional(),
  task_type: z.string().nullish(),
  r: z.number().int().positive(),
  lora_alpha: z.number().positive().default(8),
  lora_dropout: z.number().min(0).lt(1).default(0),
  // PEFT also takes one string (a regex over module names); t2l-web reads it as one module name.
  target_modules: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .transform((v) => (typeof v === 'string' ? [v] : v)),
  use_rslora: z.boolean().default(false),
  bias: z.enum(['none', 'all', 'lora_only']).default('none'),
  fan_in_fan_out: z.boolean().default(false),
  inference_mode: z.boolean().optional(),
  base_model_name_or_path: z.string().nullish(),
});

export type AdapterConfigJson = z.output<typeof adapterConfigSchema>;

/** The PEFT LoraConfig of the adapters a checkpoint generates (its adapter_config.json), validated. */
export interface AdapterConfig {
  /** LoRA rank r (positive integer). */
  r: number;
  /** lora_alpha (> 0); PEFT scales ΔW = B·A by alpha / r, or alpha / √r with rsLoRA. */
  loraAlpha: number;
  useRslora: boolean;
  /** Module names, in the file's order (non-empty). */
  targetModules: string[];
  baseModel: string | undefined;
  /** lora_dropout in [0, 1): recorded, unused at generation. */
  loraDropout: number;
  bias: 'none' | 'all' | 'lora_only';
  /** PEFT task_type, e.g. CAUSAL_LM; undefined when the file has none. */
  taskType: string | undefined;
  /** The whole JSON object as read (validated keys in their JSON spelling, others unchanged). */
  raw: Record<string, unknown>;
}

/** Parses adapter_config.json text; errors (bad-config) name the file, key, expected and found. */
export function parseAdapterConfig(text: string, file = 'adapter_config.json'): AdapterConfig {
  let raw: unknown;
  try {
    raw = parseJsonBounded(text);
  } catch (e) {
    throw new T2LError('bad-config', `${file}: not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  return adapterConfigFrom(raw, file);
}

/**
 * Validates an already-parsed adapter_config.json object (a checkpoint's file, or a package
 * manifest's `adapterConfig`). `code` is the error code for a malformed value.
 */
export function adapterConfigFrom(
  raw: unknown,
  file: string,
  code: 'bad-config' | 'bad-package' = 'bad-config',
): AdapterConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new T2LError(code, `${file}: expected a JSON object, found ${describeJson(raw)}`);
  }
  const peftType = (raw as Record<string, unknown>)['peft_type'];
  if (peftType !== undefined && peftType !== 'LORA') {
    throw new T2LError('unsupported', `${file}: peft_type ${JSON.stringify(peftType)} is not LORA`);
  }
  const c = parseWithSchema(adapterConfigSchema, raw, file, code);
  if (c.fan_in_fan_out) {
    // T2L's lora_A is [r, in] and lora_B [out, r] (nn.Linear layout); fan_in_fan_out would make
    // PEFT read them transposed (GPT-2's Conv1D layout).
    throw new T2LError(
      'unsupported',
      `${file}: fan_in_fan_out: true is not supported (T2L writes nn.Linear-layout lora_A/lora_B)`,
    );
  }
  return {
    r: c.r,
    loraAlpha: c.lora_alpha,
    useRslora: c.use_rslora,
    targetModules: c.target_modules,
    baseModel: c.base_model_name_or_path ?? undefined,
    loraDropout: c.lora_dropout,
    bias: c.bias,
    taskType: c.task_type ?? undefined,
    raw: raw as Record<string, unknown>,
  };
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}
