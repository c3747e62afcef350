/** One generated adapter as a PEFT LoRA folder: adapter_config.json + adapter_model.safetensors. */
import { T2LError } from '../errors';
import { loraConfigJson, type PeftLoraConfig } from './lora-config';
import { writeSafetensors, type NamedTensor, type WriteDType } from './safetensors';

export interface ModuleLora {
  /** [layers, rank, inFeatures], row-major. */
  loraA: Float32Array;
  /** [layers, outFeatures, rank], row-major. */
  loraB: Float32Array;
  layers: number;
  rank: number;
  inFeatures: number;
  outFeatures: number;
}

export interface PeftAdapterInput {
  modules: Record<string, ModuleLora>;
  /** The normalized LoraConfig (peftLoraConfig): written as adapter_config.json. */
  loraConfig: PeftLoraConfig;
  moduleOrder: string[];
  dtype?: WriteDType;
  metadata?: Record<string, string>;
}

export interface PeftAdapterFiles {
  'adapter_config.json': string;
  'adapter_model.safetensors': Uint8Array;
}

// Llama/Mistral/Gemma put these Linear layers under `mlp.`; every other target sits in `self_attn.`.
const MLP_MODULES = new Set(['gate_proj', 'up_proj', 'down_proj']);

/** The PEFT state-dict key of one LoRA matrix. */
export function adapterKey(layer: number, module: string, which: 'A' | 'B'): string {
  const block = MLP_MODULES.has(module) ? 'mlp' : 'self_attn';
  return `base_model.model.model.layers.${layer}.${block}.${module}.lora_${which}.weight`;
}

function checkModule(name: string, m: ModuleLora): void {
  const dims = {
    layers: m.layers,
    rank: m.rank,
    inFeatures: m.inFeatures,
    outFeatures: m.outFeatures,
  };
  for (const [k, v] of Object.entries(dims)) {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new T2LError(
        'bad-shape',
        `adapter module ${name}: ${k} must be a positive integer, found ${v}`,
      );
    }
  }
  const wantA = m.layers * m.rank * m.inFeatures;
  if (m.loraA.length !== wantA) {
    throw new T2LError(
      'bad-shape',
      `adapter module ${name}: lora_A should be [${m.layers}, ${m.rank}, ${m.inFeatures}] = ${wantA} values, found ${m.loraA.length}`,
    );
  }
  const wantB = m.layers * m.outFeatures * m.rank;
  if (m.loraB.length !== wantB) {
    throw new T2LError(
      'bad-shape',
      `adapter module ${name}: lora_B should be [${m.layers}, ${m.outFeatures}, ${m.rank}] = ${wantB} values, found ${m.loraB.length}`,
    );
  }
}

/**
 * Lays out one adapter the way PEFT saves it: layer by layer, modules in order, A before B, keys
 * `base_model.model.model.layers.<l>.<self_attn|mlp>.<module>.lora_<A|B>.weight`; the config is the
 * normalized LoraConfig, checked against the matrices (rank r, target modules).
 */
export function buildPeftAdapter(input: PeftAdapterInput): PeftAdapterFiles {
  const { modules, moduleOrder } = input;
  const given = Object.keys(modules);
  const missing = moduleOrder.filter((m) => !(m in modules));
  const unordered = given.filter((m) => !moduleOrder.includes(m));
  if (
    moduleOrder.length === 0 ||
    missing.length > 0 ||
    unordered.length > 0 ||
    new Set(moduleOrder).size !== moduleOrder.length
  ) {
    throw new T2LError(
      'bad-input',
      `adapter: module order [${moduleOrder.join(', ')}] must list each generated module [${given.join(', ')}] once`,
    );
  }
  for (const name of moduleOrder) checkModule(name, modules[name]!);
  // PEFT builds each LoRA layer at rank r and loads [r, in] / [out, r] into it; the config's
  // target_modules are the modules whose keys it looks for.
  const { loraConfig } = input;
  const targets = loraConfig.target_modules;
  if (targets.length !== moduleOrder.length || !moduleOrder.every((m) => targets.includes(m))) {
    throw new T2LError(
      'bad-input',
      `adapter: target_modules [${targets.join(', ')}] must be the generated modules [${moduleOrder.join(', ')}]`,
    );
  }
  for (const name of moduleOrder) {
    if (modules[name]!.rank !== loraConfig.r) {
      throw new T2LError(
        'bad-shape',
        `adapter module ${name}: rank ${modules[name]!.rank}, but adapter_config.json says r = ${loraConfig.r}`,
      );
    }
  }
  const layers = modules[moduleOrder[0]!]!.layers;
  for (const name of moduleOrder) {
    if (modules[name]!.layers !== layers) {
      throw new T2LError(
        'bad-shape',
        `adapter module ${name}: ${modules[name]!.layers} layers, expected ${layers} like ${moduleOrder[0]}`,
      );
    }
  }

  const tensors: NamedTensor[] = [];
  for (let l = 0; l < layers; l++) {
    for (const name of moduleOrder) {
      const m = modules[name]!;
      const a = m.rank * m.inFeatures;
      const b = m.outFeatures * m.rank;
      // subarray, not slice: the writer copies each tensor straight into the file buffer.
      tensors.push({
        name: adapterKey(l, name, 'A'),
        shape: [m.rank, m.inFeatures],
        data: m.loraA.subarray(l * a, (l + 1) * a),
      });
      tensors.push({
        name: adapterKey(l, name, 'B'),
        shape: [m.outFeatures, m.rank],
        data: m.loraB.subarray(l * b, (l + 1) * b),
      });
    }
  }

  const metadata: Record<string, string> = {
    ...input.metadata,
    format: 'pt',
    't2l.module_order': moduleOrder.join(','),
  };
  return {
    'adapter_config.json': loraConfigJson(loraConfig),
    'adapter_model.safetensors': writeSafetensors(tensors, {
      dtype: input.dtype ?? 'float32',
      metadata,
    }),
  };
}
