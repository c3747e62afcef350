import { T2LError } from '../errors';

/** The PEFT LoraConfig of the adapters a checkpoint generates (its adapter_config.json). */
export interface AdapterConfig {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  targetModules: string[];
  baseModel: string | undefined;
  /** The whole JSON object, written back (with the base model set) into every adapter. */
  raw: Record<string, unknown>;
}

export function parseAdapterConfig(text: string, file = 'adapter_config.json'): AdapterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new T2LError('bad-config', `${file}: not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new T2LError('bad-config', `${file}: expected a JSON object`);
  }
  const c = raw as Record<string, unknown>;
  const r = c['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) {
    throw new T2LError(
      'bad-config',
      `${file}: r must be a positive integer, found ${JSON.stringify(r)}`,
    );
  }
  const alpha = c['lora_alpha'] ?? 8;
  if (typeof alpha !== 'number') {
    throw new T2LError(
      'bad-config',
      `${file}: lora_alpha must be a number, found ${JSON.stringify(alpha)}`,
    );
  }
  let tm = c['target_modules'];
  if (typeof tm === 'string') tm = [tm];
  if (!Array.isArray(tm) || tm.length === 0 || !tm.every((m) => typeof m === 'string')) {
    throw new T2LError(
      'bad-config',
      `${file}: target_modules must be a non-empty list of module names`,
    );
  }
  if (c['peft_type'] !== undefined && c['peft_type'] !== 'LORA') {
    throw new T2LError(
      'unsupported',
      `${file}: peft_type ${JSON.stringify(c['peft_type'])} is not LORA`,
    );
  }
  const base = c['base_model_name_or_path'];
  return {
    r,
    loraAlpha: alpha,
    useRslora: c['use_rslora'] === true,
    targetModules: tm as string[],
    baseModel: typeof base === 'string' ? base : undefined,
    raw: c,
  };
}
