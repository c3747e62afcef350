/**
 * What PEFT and vLLM check when they load a LoRA folder (adapter_config.json +
 * adapter_model.safetensors), re-stated in TypeScript from their sources, independently of the
 * code under test. Each rule cites where it comes from:
 *
 * - PEFT: huggingface/peft at 5d602fdb (2026-08), and v0.8.0 for the oldest version with
 *   `use_rslora` (which T2L adapters need).
 * - vLLM: vllm-project/vllm vllm/lora/peft_helper.py at e745baff, vllm/lora/utils.py
 *   parse_fine_tuned_lora_name, vllm/config LoRAConfig.
 *
 * Each function returns the problems found (empty: it loads), so a test can print them.
 */
import { parseSafetensorsIndependently, type ParsedTensor } from './independent-safetensors';
import { strictJson } from './strict-text';

export interface AdapterFolderBytes {
  'adapter_config.json': Uint8Array | string;
  'adapter_model.safetensors': Uint8Array;
}

/** The base model's LoRA-able Linear layers: module name → [in, out] features, and its depth. */
export interface BaseModelShape {
  layers: number;
  modules: Record<string, { inFeatures: number; outFeatures: number }>;
}

/**
 * Fields of PeftConfig + LoraConfig in PEFT v0.8.0 (src/peft/config.py:39-40, 233-239;
 * src/peft/tuners/lora/config.py field list): a PEFT that predates the forward-compatible
 * filter of unknown keys (config.py:203-227 at 5d602fdb) raises TypeError on any other key.
 */
const PEFT_080_LORA_FIELDS = new Set([
  'peft_type',
  'auto_mapping',
  'base_model_name_or_path',
  'revision',
  'task_type',
  'inference_mode',
  'r',
  'target_modules',
  'lora_alpha',
  'lora_dropout',
  'fan_in_fan_out',
  'bias',
  'use_rslora',
  'modules_to_save',
  'init_lora_weights',
  'layers_to_transform',
  'layers_pattern',
  'rank_pattern',
  'alpha_pattern',
  'megatron_config',
  'megatron_core',
  'loftq_config',
]);

/** PEFT TaskType (src/peft/utils/peft_types.py:118-123). */
const TASK_TYPES = [
  'SEQ_CLS',
  'SEQ_2_SEQ_LM',
  'CAUSAL_LM',
  'TOKEN_CLS',
  'QUESTION_ANS',
  'FEATURE_EXTRACTION',
];

function readFolder(files: AdapterFolderBytes, problems: string[]) {
  let config: Record<string, unknown> | undefined;
  let tensors: Map<string, ParsedTensor> | undefined;
  try {
    const c = strictJson(files['adapter_config.json'], 'adapter_config.json');
    if (c === null || typeof c !== 'object' || Array.isArray(c)) {
      problems.push('adapter_config.json is not a JSON object');
    } else config = c as Record<string, unknown>;
  } catch (e) {
    problems.push(String(e));
  }
  try {
    // safetensors (Rust, serde_json): a strict header, exact offsets (safe_load_file in PEFT's
    // load_peft_weights, utils/save_and_load.py:675; safe_open in vLLM).
    tensors = parseSafetensorsIndependently(files['adapter_model.safetensors']).tensors;
  } catch (e) {
    problems.push(`adapter_model.safetensors: ${String(e)}`);
  }
  return { config, tensors };
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const empty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && Object.keys(v as object).length === 0);

/** `base_model.model.<path>.lora_A.weight` → [<path>, 'A'], else undefined. */
function loraKey(key: string): [string, 'A' | 'B'] | undefined {
  const m = /^base_model\.model\.(.+)\.lora_(A|B)\.weight$/.exec(key);
  return m ? [m[1]!, m[2] as 'A' | 'B'] : undefined;
}

/** PeftModel.from_pretrained(base, folder) as PEFT does it: problems that stop or corrupt the load. */
export function peftLoadProblems(files: AdapterFolderBytes, base: BaseModelShape): string[] {
  const problems: string[] = [];
  const { config: c, tensors } = readFolder(files, problems);
  if (!c || !tensors) return problems;

  // PeftConfig._get_peft_type: loaded_attributes["peft_type"] (config.py:330), a KeyError when
  // absent; then PEFT_TYPE_TO_CONFIG_MAPPING[...] (peft_model.py:490).
  if (!('peft_type' in c)) problems.push('no peft_type (PeftConfig._get_peft_type KeyError)');
  else if (c['peft_type'] !== 'LORA') problems.push(`peft_type ${String(c['peft_type'])}`);
  for (const k of Object.keys(c)) {
    if (!PEFT_080_LORA_FIELDS.has(k))
      problems.push(`key ${k} is not a LoraConfig field in PEFT 0.8`);
  }
  // PeftConfigMixin.__post_init__: task_type None or a TaskType (config.py:95-100).
  const task = c['task_type'];
  if (task !== undefined && task !== null && !TASK_TYPES.includes(String(task))) {
    problems.push(`task_type ${String(task)} is not a PEFT TaskType`);
  }
  // LoraConfig fields and defaults (tuners/lora/config.py:613-645): r int 8, lora_alpha 8,
  // lora_dropout 0.0, fan_in_fan_out False, bias "none", use_rslora False.
  const r = c['r'] ?? 8;
  const alpha = c['lora_alpha'] ?? 8;
  if (!isInt(r) || r <= 0) problems.push(`r ${String(r)} is not a positive integer`);
  if (typeof alpha !== 'number' || !(alpha > 0)) problems.push(`lora_alpha ${String(alpha)}`);
  if (typeof (c['use_rslora'] ?? false) !== 'boolean') problems.push('use_rslora is not a bool');
  if (!['none', 'all', 'lora_only'].includes(String(c['bias'] ?? 'none'))) {
    problems.push(`bias ${String(c['bias'])}`);
  }
  // LoraConfig.__post_init__ (config.py:1030-1031): layers_pattern needs layers_to_transform.
  if (!empty(c['layers_pattern']) && empty(c['layers_to_transform'])) {
    problems.push('layers_pattern without layers_to_transform');
  }
  let targets = c['target_modules'];
  if (typeof targets === 'string') targets = [targets]; // (a regex in PEFT; never written by us)
  if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) {
    problems.push('target_modules is not a list of names');
    return problems;
  }
  // Which layers get LoRA: modules whose name ends with ".<target>" (tuners_utils.py:2332),
  // in the layers listed by layers_to_transform (all by default).
  const targeted = Object.keys(base.modules).filter((m) => (targets as string[]).includes(m));
  for (const t of targets as string[]) {
    if (!(t in base.modules)) problems.push(`target module ${t} is not in the base model`);
  }
  const layers = Array.isArray(c['layers_to_transform'])
    ? (c['layers_to_transform'] as number[])
    : Array.from({ length: base.layers }, (_, l) => l);
  // Each LoRA layer: lora_A = nn.Linear(in, r), lora_B = nn.Linear(r, out) (lora/layer.py:263-264),
  // r from rank_pattern where it matches; load_state_dict(strict=False) still fails on a size
  // mismatch (utils/save_and_load.py:552). Keys the model has no LoRA layer for are dropped,
  // and layers without keys keep their initialization: both mean a wrong adapter.
  const rankPattern = (c['rank_pattern'] ?? {}) as Record<string, number>;
  const expected = new Map<string, number[]>();
  for (const l of layers) {
    for (const m of targeted) {
      const { inFeatures, outFeatures } = base.modules[m]!;
      const block = ['gate_proj', 'up_proj', 'down_proj'].includes(m) ? 'mlp' : 'self_attn';
      const rr = rankPattern[m] ?? (r as number);
      const path = `model.layers.${l}.${block}.${m}`;
      expected.set(`base_model.model.${path}.lora_A.weight`, [rr, inFeatures]);
      expected.set(`base_model.model.${path}.lora_B.weight`, [outFeatures, rr]);
    }
  }
  for (const [key, t] of tensors) {
    if (!loraKey(key)) problems.push(`tensor ${key} is not a LoRA weight`);
    const want = expected.get(key);
    if (!want) problems.push(`tensor ${key} matches no LoRA layer of the model (unused)`);
    else if (t.shape.join() !== want.join()) {
      problems.push(`tensor ${key} is [${t.shape.join(', ')}], the layer is [${want.join(', ')}]`);
    }
  }
  for (const key of expected.keys()) {
    if (!tensors.has(key)) problems.push(`missing ${key}`);
  }
  return problems;
}

/** vLLM's supported --max-lora-rank values (LoRAConfig possible_max_ranks; 1 in newer versions). */
export const VLLM_MAX_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512];

/** Modules vLLM applies LoRA to in Llama/Mistral/Gemma-2 (their packed_modules_mapping inputs). */
const VLLM_LLAMA_LORA_MODULES = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

/**
 * vLLM's LoRA loading: PEFTHelper.from_dict (required fields, extra fields ignored),
 * validate_legal, the tensor-name parse and the unexpected-module check.
 */
export function vllmLoadProblems(
  files: AdapterFolderBytes,
  options: { maxLoraRank: number; biasEnabled?: boolean },
): string[] {
  const problems: string[] = [];
  const { config: c, tensors } = readFolder(files, problems);
  if (!c || !tensors) return problems;
  // PEFTHelper.from_dict: r, lora_alpha and target_modules have no default ("Missing required
  // configuration fields").
  for (const k of ['r', 'lora_alpha', 'target_modules']) {
    if (!(k in c)) problems.push(`Missing required configuration field ${k}`);
  }
  const r = c['r'];
  const alpha = c['lora_alpha'];
  // __post_init__: vllm_lora_scaling_factor = lora_alpha / sqrt(r) or lora_alpha / r.
  if (!isInt(r) || r <= 0 || typeof alpha !== 'number' || !Number.isFinite(alpha / r)) {
    problems.push(`no finite scaling factor from r=${String(r)}, lora_alpha=${String(alpha)}`);
  }
  // LoRAConfig.__post_init__: max_lora_rank must be one of the supported ranks.
  if (!VLLM_MAX_LORA_RANKS.includes(options.maxLoraRank)) {
    problems.push(`--max-lora-rank ${options.maxLoraRank} is not one vLLM accepts`);
  }
  // validate_legal + _validate_features.
  if (!empty(c['modules_to_save'])) problems.push('vLLM only supports modules_to_save being None.');
  if (c['use_dora'] === true) problems.push('vLLM does not yet support DoRA.');
  if (isInt(r) && r > options.maxLoraRank) {
    problems.push(`LoRA rank ${r} is greater than max_lora_rank ${options.maxLoraRank}.`);
  }
  if ((c['bias'] ?? 'none') !== 'none' && !options.biasEnabled) {
    problems.push('Adapter bias cannot be used without bias_enabled.');
  }
  // parse_fine_tuned_lora_name: base_model.model.<module>.lora_A|lora_B.weight, else
  // "is unsupported LoRA weight"; the module's last part must be one vLLM supports.
  for (const [key, t] of tensors) {
    const parsed = loraKey(key);
    if (!parsed) {
      problems.push(`${key} is unsupported LoRA weight`);
      continue;
    }
    const module = parsed[0].split('.').pop()!;
    if (!VLLM_LLAMA_LORA_MODULES.includes(module)) problems.push(`unexpected module ${module}`);
    const rankDim = parsed[1] === 'A' ? t.shape[0] : t.shape[1];
    if (t.shape.length !== 2 || rankDim !== r) {
      problems.push(`${key} is [${t.shape.join(', ')}], not rank ${String(r)}`);
    }
  }
  return problems;
}
