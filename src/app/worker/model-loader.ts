/**
 * Turns a ModelSource into a ready session: a package is read as is; a checkpoint is converted in
 * the browser once and the converted package cached, so the next visit skips the download and the
 * conversion. Sessions stay open between generations (keyed by source and backend).
 */
import { T2LError } from '../../core/errors';
import { memorySource, type FileSource } from '../../core/files';
import { loadCheckpoint } from '../../core/checkpoint/load';
import { measureFidelity } from '../../core/package/fidelity';
import {
  GRAPH_FILE,
  MANIFEST_FILE,
  type PackageManifest,
  type Precision,
} from '../../core/package/manifest';
import {
  convertCheckpoint,
  folderKind,
  packageFiles,
  readPackage,
  type T2LModel,
} from '../../core/package/model';
import type { InferenceRunner } from '../../core/runtime/types';
import { createWebRunner } from '../../runtime/web';
import { convertedKey, readCached, writeCached } from '../shared/file-cache';
import type { DownloadContext } from './downloads';
import type { ModelSource } from './protocol';
import { blobSource, httpSource } from './sources';

export interface LoadedModel {
  manifest: PackageManifest;
  runner: InferenceRunner;
  /** What loading did, for the result card: cache hits, conversion, fallbacks. */
  notes: string[];
  /** Backends that failed before the one that runs, with why. */
  failures: string[];
}

const open = new Map<string, { manifest: PackageManifest; runner: InferenceRunner }>();
/** Sessions kept open at once: each holds the whole hypernetwork in (GPU) memory. */
const MAX_OPEN = 2;

const ms = (t0: number) => `${Math.round(performance.now() - t0)} ms`;

/** Converted packages are cached per source and precision. */
const convertedId = (url: string, precision: Precision) => `${url}#${precision}`;

async function readConverted(url: string, precision: Precision): Promise<T2LModel | null> {
  const id = convertedId(url, precision);
  const manifest = await readCached(convertedKey(id, MANIFEST_FILE));
  const graph = await readCached(convertedKey(id, GRAPH_FILE));
  if (manifest.status !== 'hit' || graph.status !== 'hit') return null;
  return readPackage(
    memorySource(url, { [MANIFEST_FILE]: manifest.bytes, [GRAPH_FILE]: graph.bytes }),
  );
}

async function writeConverted(url: string, label: string, model: T2LModel): Promise<boolean> {
  const precision = model.manifest.precision;
  const id = convertedId(url, precision);
  const group = `Converted in the browser · ${label} (${precision})`;
  const files = packageFiles(model);
  const enc = new TextEncoder();
  let ok = true;
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? enc.encode(content) : content;
    // The manifest names the graph file; cache both under the names readConverted expects.
    const as = name === model.manifest.graph ? GRAPH_FILE : name;
    ok = (await writeCached(convertedKey(id, as), bytes, { group, name })) && ok;
  }
  return ok;
}

async function convertFrom(
  source: FileSource,
  precision: Precision,
  notes: string[],
): Promise<T2LModel> {
  const t0 = performance.now();
  const checkpoint = await loadCheckpoint(source, {
    onWarning: (message) => notes.push(`warning: ${message}`),
  });
  const t1 = performance.now();
  const model = convertCheckpoint(checkpoint, { precision });
  notes.push(
    `read the checkpoint in ${Math.round(t1 - t0)} ms, converted it to ONNX (${precision}) in ${ms(t1)}`,
  );
  if (precision !== 'fp32') {
    // Measured once here and cached with the package: how close its adapters are to float32.
    const t2 = performance.now();
    try {
      model.manifest.fidelity = await measureFidelity(checkpoint, model, {
        createRunner: createWebRunner,
        runnerOptions: { backends: ['wasm'] },
      });
      notes.push(`measured its fidelity to float32 in ${ms(t2)}`);
    } catch (e) {
      notes.push(`could not measure its fidelity (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return model;
}

async function readModel(
  source: ModelSource,
  precision: Precision,
  ctx: DownloadContext,
  notes: string[],
): Promise<T2LModel> {
  if (source.kind === 'files') {
    const files = blobSource(source.label, source.files);
    const kind = await folderKind(files);
    return kind === 'package' ? readPackage(files) : convertFrom(files, precision, notes);
  }
  const { url, label } = source;
  let format = source.format;
  if (format === 'auto') format = await folderKind(httpSource(url, ctx, `Package · ${label}`));
  if (format === 'package') return readPackage(httpSource(url, ctx, `Package · ${label}`));

  const cached = await readConverted(url, precision);
  if (cached) {
    notes.push(`converted package (${precision}) read from the browser cache`);
    return cached;
  }
  // The checkpoint itself is not cached: only its (smaller, ready to run) conversion is.
  const model = await convertFrom(httpSource(url, ctx), precision, notes);
  if (!(await writeConverted(url, label, model))) {
    notes.push('could not cache the converted package (storage full or unavailable)');
  }
  return model;
}

function sourceKey(source: ModelSource, precision: Precision): string | null {
  // A package has one precision; a checkpoint is converted to the one asked for.
  if (source.kind !== 'url') return null;
  return source.format === 'package' ? source.url : convertedId(source.url, precision);
}

/** Opens (or reuses) a session for the model on the first backend of `backends` that works. */
export async function loadModel(
  source: ModelSource,
  precision: Precision,
  backends: Array<'webgpu' | 'wasm'>,
  ctx: DownloadContext,
): Promise<LoadedModel & { release: () => Promise<void> }> {
  const key = sourceKey(source, precision);
  for (const backend of backends) {
    const hit = key && open.get(`${key}|${backend}`);
    if (hit) {
      // Re-insert so the map's order stays least-recently-used first.
      open.delete(`${key}|${backend}`);
      open.set(`${key}|${backend}`, hit);
      return {
        ...hit,
        notes: ['session already open'],
        failures: [],
        release: async () => undefined,
      };
    }
  }
  const notes: string[] = [];
  const model = await readModel(source, precision, ctx, notes);
  ctx.signal.throwIfAborted();
  let runner: InferenceRunner | undefined;
  const failures: string[] = [];
  const t0 = performance.now();
  // One backend at a time, so a fallback can say why the preferred one failed.
  for (const backend of backends) {
    try {
      runner = await createWebRunner(model.graph, { backends: [backend] });
      break;
    } catch (e) {
      failures.push(
        `${backend} could not create a session (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  }
  if (!runner) throw new T2LError('runtime', failures.join('; '));
  notes.push(`created the ${runner.backend} session in ${ms(t0)}`);
  const loaded = { manifest: model.manifest, runner };
  if (!key) return { ...loaded, notes, failures, release: () => runner.release() };

  open.set(`${key}|${runner.backend}`, loaded);
  while (open.size > MAX_OPEN) {
    const [oldest, value] = open.entries().next().value!;
    open.delete(oldest);
    await value.runner.release();
  }
  return { ...loaded, notes, failures, release: async () => undefined };
}

export async function releaseModels(): Promise<void> {
  const all = [...open.values()];
  open.clear();
  await Promise.all(all.map((m) => m.runner.release()));
}
