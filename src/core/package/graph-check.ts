import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { T2LError } from '../errors';
import { ENCODED_TASK_EMB_OUTPUT, loraAName, loraBName, TASK_EMB_INPUT } from '../onnx/t2l-graph';
import type { PackageManifest } from './manifest';
import { parseJsonBounded } from '../json';

const { onnx } = onnxProto;

/** A graph input or output as declared: its name and dims (a number, or a symbolic name). */
export interface GraphValue {
  name: string;
  dims: (number | string)[];
  elemType: number;
}

/** The declared inputs and outputs of an ONNX model, and its metadata_props. */
export interface GraphSignature {
  inputs: GraphValue[];
  outputs: GraphValue[];
  metadata: Record<string, string>;
}

/**
 * Reads a model's declared inputs and outputs (ModelProto.graph.input/output, onnx.proto3).
 * Decoding with protobufjs keeps initializer bytes as views of `bytes`, so this costs no copy of
 * the weights. Throws bad-package when the bytes are not an ONNX model.
 */
export function readGraphSignature(bytes: Uint8Array, label: string): GraphSignature {
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new T2LError(
      'bad-package',
      `${label}: not an ONNX model, or truncated (protobuf: ${(e as Error).message})`,
      { cause: e },
    );
  }
  if (!model.graph) throw new T2LError('bad-package', `${label}: the ONNX model has no graph`);
  const value = (v: OnnxTypes.IValueInfoProto): GraphValue => ({
    name: v.name ?? '',
    elemType: v.type?.tensorType?.elemType ?? 0,
    dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : Number(d.dimValue ?? 0),
    ),
  });
  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) {
    if (typeof p.key === 'string' && typeof p.value === 'string') metadata[p.key] = p.value;
  }
  return {
    inputs: (model.graph.input ?? []).map(value),
    outputs: (model.graph.output ?? []).map(value),
    metadata,
  };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/**
 * Cross-checks a package's manifest with its graph: the graph must take task_emb [N, E] and give,
 * for exactly the manifest's modules, `<m>.lora_A` [N, L, r, in] and `<m>.lora_B` [N, L, out, r]
 * (float32), with E, L, r, in and out the manifest's. A manifest that disagrees would describe
 * (and write into adapter_config.json) something other than the weights the graph produces, so it
 * is refused (bad-package), naming the output, the expected and the found shape.
 */
export function checkGraphMatchesManifest(
  manifest: PackageManifest,
  graph: Uint8Array,
  label: string,
): void {
  const sig = readGraphSignature(graph, label);
  const fail = (why: string) =>
    new T2LError('bad-package', `${label}: the graph and t2l.json disagree: ${why}`);
  const show = (dims: readonly (number | string)[]) => `[${dims.join(', ')}]`;
  const expect = (v: GraphValue | undefined, name: string, want: (number | string)[]) => {
    if (!v) throw fail(`the graph has no ${name}`);
    const ok =
      v.elemType === FLOAT &&
      v.dims.length === want.length &&
      want.every((d, i) =>
        typeof d === 'string' ? typeof v.dims[i] === 'string' : v.dims[i] === d,
      );
    if (!ok) {
      throw fail(
        `${name} is ${show(v.dims)}${v.elemType === FLOAT ? '' : ` of ONNX type ${v.elemType}`}, expected float32 ${show(want)} from t2l.json`,
      );
    }
  };
  const input = sig.inputs.find((v) => v.name === TASK_EMB_INPUT);
  expect(input, `input ${TASK_EMB_INPUT}`, ['N', manifest.taskEmbSize]);
  const outputs = new Map(sig.outputs.map((v) => [v.name, v]));
  const encoded = outputs.get(ENCODED_TASK_EMB_OUTPUT);
  // [N, Z/2]: the task encoder's output states the latent size.
  if (encoded) expect(encoded, `output ${ENCODED_TASK_EMB_OUTPUT}`, ['N', manifest.latentSize / 2]);
  const { layers: L, rank: r } = manifest;
  const expected = new Set<string>([ENCODED_TASK_EMB_OUTPUT]);
  for (const m of manifest.modules) {
    const a = loraAName(m.name);
    const b = loraBName(m.name);
    expected.add(a).add(b);
    expect(outputs.get(a), `output ${a}`, ['N', L, r, m.inFeatures]);
    expect(outputs.get(b), `output ${b}`, ['N', L, m.outFeatures, r]);
  }
  const extra = sig.outputs.map((v) => v.name).filter((n) => !expected.has(n));
  if (extra.length > 0) {
    throw fail(
      `the graph has outputs for modules t2l.json does not list (${extra.join(', ')}); modules: ${manifest.modules.map((m) => m.name).join(', ')}`,
    );
  }
  checkGraphMetadata(manifest, sig.metadata, fail);
}

/** The metadata key under which conversion records the manifest the graph was built from. */
export const MANIFEST_METADATA = 't2l.manifest';

/**
 * The manifest fields that describe the graph itself, in the order they are checked. Provenance
 * (source, createdBy, format, version, graph) and what is filled in after conversion (weights,
 * fidelity, adapterConfig) are not statements about the graph and are not compared.
 */
const GRAPH_FACTS = [
  'moduleOrder',
  'latentSize',
  'variant',
  'precision',
  'positions',
  'taskEmbSize',
  'headInSize',
  'layers',
  'rank',
  'modules',
  'trainingTask',
  'baseModel',
  'encoder',
  'paramCount',
] as const satisfies readonly (keyof PackageManifest)[];

/** JSON with object keys sorted, so that key order does not make two equal values differ. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * Where the graph states what it is (its `t2l.manifest` metadata, the manifest it was converted
 * from), t2l.json must agree on every such fact it also states: the module order decides which row
 * of the type embedding each module gets (a reordered manifest would label every module's adapter
 * with another's weights), and variant, precision, rank, modules... are written into every
 * adapter's metadata and model card, which must not carry false labels. A graph without that
 * metadata (older packages) is checked by its inputs and outputs alone.
 */
function checkGraphMetadata(
  manifest: PackageManifest,
  metadata: Record<string, string>,
  fail: (why: string) => T2LError,
): void {
  const text = metadata[MANIFEST_METADATA];
  if (text === undefined) return;
  let stated: unknown;
  try {
    stated = parseJsonBounded(text);
  } catch {
    throw fail(`its ${MANIFEST_METADATA} metadata is not JSON`);
  }
  if (typeof stated !== 'object' || stated === null || Array.isArray(stated)) return;
  const graph = stated as Record<string, unknown>;
  for (const key of GRAPH_FACTS) {
    const inGraph = graph[key];
    if (inGraph === undefined) continue;
    const inManifest: unknown = manifest[key];
    if (canonical(inGraph) !== canonical(inManifest)) {
      throw fail(
        `${key} is ${JSON.stringify(inManifest)} in t2l.json but ${JSON.stringify(inGraph)} in the graph (${MANIFEST_METADATA} metadata)`,
      );
    }
  }
}
