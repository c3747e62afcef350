/**
 * Analysis in the worker: blending two descriptions' embeddings before the hypernetwork, and the
 * small tables the Compare view draws (per-layer ‖ΔW‖_F, cosine similarities), computed through
 * r×r traces so no ΔW is ever formed. Generated adapters stay here, under the key the page gave,
 * so a later call can compare adapters of different generations without sending them back and forth.
 */
import { blendEmbeddings } from '../../core/analysis/blend';
import { loraConfigScale, peftLoraConfig } from '../../core/adapter/lora-config';
import { adapterCosine, deltaNormTable } from '../../core/analysis/delta-w';
import { T2LError } from '../../core/errors';
import type { GeneratedAdapter } from '../../core/generate';
import type { PackageManifest } from '../../core/package/manifest';
import type { FloatTensor } from '../../core/runtime/types';
import type { AdapterAnalysis, GenerateRequest } from './protocol';

interface Kept {
  adapter: GeneratedAdapter;
  modules: string[];
  shape: string;
}

/** The most adapters kept for comparison (a Compare run holds at most 6). */
const KEEP = 16;
const kept = new Map<string, Kept>();

/** The descriptions the encoder must embed: the blend's second description comes last. */
export function descriptionsToEmbed(req: GenerateRequest): string[] {
  if (!req.blend) return req.descriptions;
  if (req.descriptions.length !== 1) {
    throw new T2LError('bad-input', 'A blend mixes exactly one description with another.');
  }
  return [req.descriptions[0]!, req.blend.with];
}

/** Replaces the two embedded rows by their mix when the request asks for a blend. */
export function applyBlend<T extends FloatTensor>(req: GenerateRequest, emb: T): FloatTensor {
  if (!req.blend) return emb;
  const E = emb.dims[emb.dims.length - 1]!;
  const data = emb.data as Float32Array;
  const mixed = blendEmbeddings(data.subarray(0, E), data.subarray(E, 2 * E), req.blend.weight);
  return { dims: [1, E], data: mixed };
}

/** What the adapter's metadata records about a blend (t2l.blend, JSON). */
/**
 * The description written into the files (model card, safetensors/GGUF metadata): for a blend it
 * names both descriptions and their shares, since the adapter answers neither alone.
 */
export function blendDescription(req: GenerateRequest, index: number): string {
  const a = req.descriptions[index]!;
  if (!req.blend) return a;
  const w = req.blend.weight;
  return `Blend of ${Math.round((1 - w) * 100)}% “${a}” and ${Math.round(w * 100)}% “${req.blend.with}”`;
}

export function blendMetadata(req: GenerateRequest): Record<string, string> {
  if (!req.blend) return {};
  return {
    't2l.blend': JSON.stringify({
      a: req.descriptions[0],
      b: req.blend.with,
      weight_b: req.blend.weight,
      rule: '(1-w)·e(a) + w·e(b), rescaled to norm √E',
    }),
  };
}

function shapeKey(adapter: GeneratedAdapter, modules: string[]): string {
  return modules
    .map((m) => {
      const x = adapter.modules[m]!;
      return `${m}:${x.layers}x${x.rank}x${x.inFeatures}x${x.outFeatures}`;
    })
    .join('|');
}

/** Per-layer norms of each adapter, and keeps the adapters under `${key}#${index}`. */
export function analyzeAdapters(
  key: string,
  manifest: PackageManifest,
  adapters: GeneratedAdapter[],
): AdapterAnalysis[] {
  // PEFT's scale from the same normalized config every written adapter carries.
  const scale = loraConfigScale(peftLoraConfig(manifest));
  const modules = manifest.moduleOrder;
  return adapters.map((adapter, i) => {
    const id = `${key}#${i}`;
    kept.delete(id);
    kept.set(id, { adapter, modules, shape: shapeKey(adapter, modules) });
    while (kept.size > KEEP) kept.delete(kept.keys().next().value!);
    return { id, modules, scale, norms: deltaNormTable(adapter, modules, scale) };
  });
}

/**
 * Cosine similarities of kept adapters' updates; null where two adapters have different shapes
 * (different base models or ranks), or where one is no longer kept.
 */
export function cosines(ids: string[]): (number | null)[][] {
  const items = ids.map((id) => kept.get(id) ?? null);
  const n = ids.length;
  const out = Array.from({ length: n }, () => new Array<number | null>(n).fill(null));
  for (let i = 0; i < n; i++) {
    const a = items[i];
    if (!a) continue;
    // Computed, not assumed: 1 up to rounding for a non-zero adapter.
    out[i]![i] = adapterCosine(a.adapter, a.adapter, a.modules);
    for (let j = i + 1; j < n; j++) {
      const b = items[j];
      if (!b || b.shape !== a.shape) continue;
      out[i]![j] = out[j]![i] = adapterCosine(a.adapter, b.adapter, a.modules);
    }
  }
  return out;
}

export function releaseAnalysis(): void {
  kept.clear();
}
