/**
 * The Triton model configuration of a T2L graph, for `t2l export-triton` (written as config.pbtxt)
 * and for `t2l serve`'s GET /v2/models/{name}/config (as Triton's JSON form of the same message).
 */
import { loraAName, loraBName, TASK_EMB_INPUT } from '../core/onnx/t2l-graph';
import { rowsShareQuantization, type PackageManifest } from '../core/package/manifest';

/** Model config parameter holding the package manifest (t2l.json) as a JSON string. */
export const MANIFEST_PARAMETER = 't2l.manifest';

export interface TritonTensorConfig {
  name: string;
  data_type: 'TYPE_FP32';
  /** Without the batch dimension. */
  dims: number[];
}

export interface TritonModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  backend: 'onnxruntime';
  max_batch_size: number;
  input: TritonTensorConfig[];
  output: TritonTensorConfig[];
  /**
   * Absent for graphs whose rows share a quantization scale (int8 packages written before per-row
   * scales): Triton would merge different clients' rows into one run, and each one's adapter would
   * depend on the others'.
   */
  dynamic_batching?: Record<string, never>;
  instance_group?: Array<{ kind: 'KIND_CPU' | 'KIND_GPU'; count: number }>;
  parameters: Record<string, { string_value: string }>;
}

export interface TritonConfigOptions {
  name: string;
  maxBatchSize: number;
  /** Only `t2l serve` says where it runs; an exported repository leaves that to Triton. */
  instanceKind?: 'KIND_CPU' | 'KIND_GPU';
}

/** Triton model names become folder names and URL path segments. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function tritonModelConfig(
  manifest: PackageManifest,
  options: TritonConfigOptions,
): TritonModelConfig {
  const { layers: L, rank: r } = manifest;
  const output: TritonTensorConfig[] = [];
  for (const m of manifest.modules) {
    output.push({ name: loraAName(m.name), data_type: 'TYPE_FP32', dims: [L, r, m.inFeatures] });
    output.push({ name: loraBName(m.name), data_type: 'TYPE_FP32', dims: [L, m.outFeatures, r] });
  }
  return {
    name: options.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: options.maxBatchSize,
    input: [{ name: TASK_EMB_INPUT, data_type: 'TYPE_FP32', dims: [manifest.taskEmbSize] }],
    output,
    ...(rowsShareQuantization(manifest) ? {} : { dynamic_batching: {} }),
    ...(options.instanceKind ? { instance_group: [{ kind: options.instanceKind, count: 1 }] } : {}),
    parameters: { [MANIFEST_PARAMETER]: { string_value: JSON.stringify(manifest) } },
  };
}

/** A protobuf text-format string literal: C escapes, non-ASCII as octal UTF-8 bytes. */
export function pbtxtString(s: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(s)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out + '"';
}

function tensorBlock(t: TritonTensorConfig): string {
  return [
    '  {',
    `    name: ${pbtxtString(t.name)}`,
    `    data_type: ${t.data_type}`,
    `    dims: [ ${t.dims.join(', ')} ]`,
    '  }',
  ].join('\n');
}

/** config.pbtxt for Triton's ONNX Runtime backend. */
export function toPbtxt(config: TritonModelConfig, comment?: string): string {
  const lines: string[] = [];
  if (comment) for (const line of comment.split('\n')) lines.push(`# ${line}`);
  lines.push(
    `name: ${pbtxtString(config.name)}`,
    `platform: ${pbtxtString(config.platform)}`,
    `backend: ${pbtxtString(config.backend)}`,
    `max_batch_size: ${config.max_batch_size}`,
    `input [\n${config.input.map(tensorBlock).join(',\n')}\n]`,
    `output [\n${config.output.map(tensorBlock).join(',\n')}\n]`,
  );
  if (config.dynamic_batching) lines.push('dynamic_batching { }');
  else {
    lines.push(
      '# No dynamic_batching: this graph quantizes its input with one scale per run (an int8 package from before per-row scales),',
      "# so rows merged from different requests would change each other's adapters.",
    );
  }
  for (const g of config.instance_group ?? []) {
    lines.push(`instance_group [ { kind: ${g.kind}, count: ${g.count} } ]`);
  }
  for (const [key, value] of Object.entries(config.parameters)) {
    lines.push(
      `parameters {\n  key: ${pbtxtString(key)}\n  value: { string_value: ${pbtxtString(value.string_value)} }\n}`,
    );
  }
  return lines.join('\n') + '\n';
}
