/**
 * One generation, in the four stages the result card times: load (hypernetwork and text encoder,
 * downloaded or cached, converted if needed, sessions created), encode, hypernetwork, pack.
 */
import { encoderDtypeChoice, type EncoderDtype } from '../../core/encoder/dtype';
import type { DescriptionEncoder, Embeddings } from '../../core/encoder/text-encoder';
import { T2LError } from '../../core/errors';
import { generateAdapters } from '../../core/generate';
import type { PackageManifest } from '../../core/package/manifest';
import type { FloatTensor, InferenceRunner } from '../../core/runtime/types';
import { measure } from '../../runtime/marks';
import { ortWebGpuAdapterInfo } from '../../runtime/web';
import { NotCachedError, type DownloadContext } from './downloads';
import {
  analyzeAdapters,
  applyBlend,
  blendDescription,
  blendMetadata,
  descriptionsToEmbed,
} from './analysis';
import { encoderLabel, loadEncoder, nextEncoderGraphRead } from './encoder-loader';
import { loadModel } from './model-loader';
import { packAdapter } from './pack';
import type {
  BackendReport,
  EncoderSource,
  FileOutcome,
  GenerateRequest,
  GenerateResult,
  ModelSummary,
  PrepareRequest,
  PrepareResult,
  Stage,
  Timings,
} from './protocol';
import { embedRemotely, openRemoteModel, type RemoteModel } from './remote';

export interface JobContext extends DownloadContext {
  threads: number;
  wasmPaths: string;
  /** Whether the WebGPU adapter has shader-f16 (for the encoder's default dtype). */
  shaderF16: () => Promise<boolean>;
}

/** The encoder's dtype: the user's, or the default for the device; only ones the folder has. */
async function encoderDtype(
  req: Pick<GenerateRequest, 'encoderDtype'>,
  source: EncoderSource,
  device: 'webgpu' | 'wasm',
  ctx: JobContext,
): Promise<{ dtype: EncoderDtype; reason: string }> {
  const available = source.dtypes?.length ? source.dtypes : (['fp32'] as EncoderDtype[]);
  const wanted =
    req.encoderDtype === 'auto'
      ? encoderDtypeChoice({
          backend: device,
          shaderF16: device === 'webgpu' && (await ctx.shaderF16()),
        })
      : { dtype: req.encoderDtype, reason: 'as you chose' };
  if (available.includes(wanted.dtype)) return wanted;
  return {
    dtype: available[0]!,
    reason: `${wanted.dtype} would suit (${wanted.reason}), but this encoder is published in ${available.join(', ')} only`,
  };
}

function summary(m: PackageManifest): ModelSummary {
  return {
    baseModel: m.baseModel,
    variant: m.variant,
    precision: m.precision,
    source: m.source,
    encoder: m.encoder,
    layers: m.layers,
    rank: m.rank,
    modules: m.moduleOrder,
    paramCount: m.paramCount,
    trainingTask: m.trainingTask,
    ...(m.fidelity ? { fidelity: m.fidelity } : {}),
  };
}

function encoderFor(
  req: Pick<GenerateRequest, 'encoders'>,
  manifest: PackageManifest,
): EncoderSource {
  return req.encoders[manifest.encoder] ?? { kind: 'hub', model: manifest.encoder };
}

/** Records the last state of every file the job touched, passing events on. */
function fileRecorder(ctx: JobContext): { ctx: JobContext; outcomes: () => FileOutcome[] } {
  const files = new Map<string, FileOutcome>();
  const corrupt = new Set<string>();
  return {
    ctx: {
      ...ctx,
      progress: (p) => {
        if (p.type === 'file') {
          if (p.state === 'corrupt') corrupt.add(p.url);
          if (p.state === 'cached' || p.state === 'done') {
            const outcome =
              p.state === 'cached' ? 'cached' : corrupt.has(p.url) ? 'refetched' : 'downloaded';
            files.set(p.url, { url: p.url, name: p.name, outcome, bytes: p.loaded });
          }
        }
        ctx.progress(p);
      },
    },
    outcomes: () => [...files.values()],
  };
}

interface Opened {
  manifest: PackageManifest;
  runner: InferenceRunner;
  notes: string[];
  failures: string[];
  remote?: RemoteModel;
  release: () => Promise<void>;
}

async function openHypernetwork(req: GenerateRequest, ctx: JobContext): Promise<Opened> {
  if (req.backends[0] === 'remote') {
    const remote = await openRemoteModel(req.remote, req.remoteModel ?? req.model.label, ctx);
    return {
      manifest: remote.manifest,
      runner: remote.runner,
      notes: [`hypernetwork served by ${remote.runner.endpoint} (${remote.runner.backend})`],
      failures: [],
      remote,
      release: async () => undefined,
    };
  }
  const local = req.backends.filter((b): b is 'webgpu' | 'wasm' => b !== 'remote');
  return loadModel(req.model, req.precision, local, ctx);
}

async function report(
  opened: Opened,
  reason: string,
  ctx: JobContext,
  encoder: Pick<BackendReport, 'encoderDevice' | 'encoderDtype' | 'encoderDtypeReason'>,
): Promise<BackendReport> {
  const { runner, remote } = opened;
  const encoderDevice = encoder;
  if (remote) {
    const host = new URL(remote.runner.endpoint).host;
    return {
      kind: 'remote',
      label: `remote · ${host} (${runner.backend})`,
      reason,
      ...encoderDevice,
    };
  }
  if (runner.backend === 'webgpu') {
    const adapter = await ortWebGpuAdapterInfo();
    const name = adapter
      ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ')
      : 'unknown adapter';
    return { kind: 'webgpu', label: `WebGPU · ${name}`, reason, adapter, ...encoderDevice };
  }
  const t = ctx.threads;
  return {
    kind: 'wasm',
    label: `wasm · ${t} thread${t === 1 ? '' : 's'}`,
    reason,
    threads: t,
    ...encoderDevice,
  };
}

/**
 * Opens the session and loads the text encoder that a generation of the same request would use,
 * from the browser cache only, so that Generate finds them ready (loadModel and loadEncoder keep
 * them). Never downloads: a file that is not cached ends it with ready false, as does any failure
 * (the generation itself will report that properly). Local folders and remote backends are skipped.
 *
 * Then, unless `superseded()` says a later call (a generation) is waiting, it runs the encoder and
 * the hypernetwork once on a fixed dummy description (warmUp), so that the first real generation
 * does not pay their first runs (kernel set-up, allocations: 1.3–1.8 s for the demo's first encode
 * on wasm). A generation already waiting skips it: it would only pay the same first run itself.
 */
export async function prepare(
  req: PrepareRequest,
  jobCtx: JobContext,
  superseded: () => boolean = () => false,
): Promise<PrepareResult> {
  if (req.model.kind !== 'url' || req.backends[0] === 'remote') {
    return { ready: false, notes: ['only models from a URL run here are prepared'] };
  }
  const ctx: JobContext = { ...jobCtx, cacheOnly: true };
  const start = performance.now();
  try {
    const local = req.backends.filter((b): b is 'webgpu' | 'wasm' => b !== 'remote');
    // On wasm alone the encoder's device is known before the hypernetwork's session exists, and
    // the catalog names the encoder: its cache read and session (the longest part of a return
    // visit: issue 20's stages) start now, beside the hypernetwork's, instead of after it.
    const encoderFirst = req.encoderHint && local.length === 1 && local[0] === 'wasm';
    const graphRead = encoderFirst ? nextEncoderGraphRead() : undefined;
    const early = encoderFirst ? loadEncoderFor(req, req.encoderHint!, 'wasm', ctx) : undefined;
    early?.catch(() => undefined);
    // Its graph is read before the hypernetwork's files, so its session (the longest step) starts
    // first, in its own worker, while this one reads and opens the hypernetwork.
    if (early && graphRead) await Promise.race([graphRead, early.catch(() => undefined)]);
    const opened = await loadModel(req.model, req.precision, local, ctx);
    const device = opened.runner.backend === 'webgpu' ? 'webgpu' : 'wasm';
    // A manifest naming another encoder than the catalog loads its own (replacing the early one).
    if (early) await early.catch(() => undefined);
    const { encoder, dtype } = await loadEncoderFor(req, opened.manifest.encoder, device, ctx);
    measure('prepare', start);
    const notes = [...opened.notes, `text encoder (${dtype}) ready on ${device}`];
    if (!superseded())
      notes.push(await warmUp(opened.manifest, opened.runner, encoder, superseded));
    return { ready: true, notes };
  } catch (e) {
    measure('prepare', start);
    return { ready: false, notes: [notCached(e) ?? (e instanceof Error ? e.message : String(e))] };
  }
}

/** loadEncoder for the encoder `id` names in the request's table, in the dtype `device` suits. */
async function loadEncoderFor(
  req: PrepareRequest,
  id: string,
  device: 'webgpu' | 'wasm',
  ctx: JobContext,
): Promise<{ encoder: DescriptionEncoder; dtype: EncoderDtype }> {
  const source = req.encoders[id] ?? { kind: 'hub', model: id };
  const { dtype } = await encoderDtype(req, source, device, ctx);
  const { encoder } = await loadEncoder(id, source, device, dtype, ctx, ctx.wasmPaths);
  return { encoder, dtype };
}

/** The dummy description of the warm-up run: short and fixed. */
const WARM_UP_TEXT = 'Warm up.';

/**
 * One run of the encoder and then the hypernetwork on WARM_UP_TEXT; what they return is dropped
 * here (it never reaches the page, let alone History). Stops before the hypernetwork when a later
 * call is waiting. Never fails: a problem is left for the real generation to report.
 */
async function warmUp(
  manifest: PackageManifest,
  runner: InferenceRunner,
  encoder: DescriptionEncoder,
  superseded: () => boolean,
): Promise<string> {
  try {
    let start = performance.now();
    const emb = await encoder.embed([WARM_UP_TEXT]);
    measure('warm-up:encode', start);
    if (superseded() || encoder.dim !== manifest.taskEmbSize) return 'encoder warmed up';
    start = performance.now();
    await generateAdapters(manifest, runner, { dims: emb.dims, data: emb.data });
    measure('warm-up:hypernetwork', start);
    return 'encoder and hypernetwork warmed up';
  } catch (e) {
    return `warm-up failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** "not cached: <url>" when the error (or one it wraps) is a cache-only miss. */
function notCached(e: unknown): string | undefined {
  for (let c = e; c instanceof Error; c = c.cause) {
    if (c instanceof NotCachedError) return `not cached: ${c.url}`;
  }
  return undefined;
}

export async function generate(req: GenerateRequest, jobCtx: JobContext): Promise<GenerateResult> {
  const recorder = fileRecorder(jobCtx);
  const ctx = recorder.ctx;
  const timings: Timings = { load: 0, encode: 0, hypernetwork: 0, pack: 0 };
  let clock = performance.now();
  const stage = (s: Stage, detail: string) => {
    ctx.signal.throwIfAborted();
    ctx.progress({ type: 'stage', stage: s, detail });
  };
  const lap = (s: Stage) => {
    measure(`generate:${s}`, clock);
    const now = performance.now();
    timings[s] += now - clock;
    clock = now;
  };

  stage('load', `Opening ${req.model.label}`);
  const opened = await openHypernetwork(req, ctx);
  try {
    const { manifest, runner, remote } = opened;
    const notes = [...opened.notes];
    const encoderSource = encoderFor(req, manifest);
    // The encoder runs where the hypernetwork runs; with a remote hypernetwork it still runs here.
    const device = runner.backend === 'webgpu' ? 'webgpu' : 'wasm';
    let embed: (d: string[]) => Promise<FloatTensor | Embeddings>;
    let encoderDevice: string = device;
    const dtype = await encoderDtype(req, encoderSource, device, ctx);
    stage('load', `Loading the text encoder ${encoderLabel(encoderSource)} (${dtype.dtype})`);
    try {
      const { encoder, reused } = await loadEncoder(
        manifest.encoder,
        encoderSource,
        device,
        dtype.dtype,
        ctx,
        ctx.wasmPaths,
      );
      if (encoder.dim !== manifest.taskEmbSize) {
        throw new T2LError(
          'bad-shape',
          `The text encoder ${encoderLabel(encoderSource)} gives ${encoder.dim}-dimensional embeddings, but this hypernetwork expects ${manifest.taskEmbSize} (it was trained with ${manifest.encoder}).`,
        );
      }
      notes.push(
        reused
          ? 'text encoder already loaded'
          : `text encoder (${dtype.dtype}) loaded on ${device}`,
      );
      embed = (d) => encoder.embed(d);
    } catch (e) {
      // A remote server with its own encoder can embed what this browser cannot.
      if (!remote || !req.remote || ctx.signal.aborted || !remote.runner.info.acceptsDescription) {
        throw e;
      }
      notes.push(
        `the text encoder could not load here (${(e as Error).message}); the server embeds`,
      );
      encoderDevice = 'the server';
      const endpoint = req.remote;
      embed = (d) => embedRemotely(endpoint, remote, d, ctx);
    }
    lap('load');

    const toEmbed = descriptionsToEmbed(req);
    const n = toEmbed.length;
    stage('encode', `Embedding ${n === 1 ? 'the description' : `${n} descriptions`}`);
    const { dims, data } = applyBlend(req, await embed(toEmbed));
    lap('encode');

    stage('hypernetwork', `Running T2L-${manifest.variant} on ${runner.backend}`);
    const adapters = await generateAdapters(manifest, runner, { dims, data });
    lap('hypernetwork');

    stage('pack', 'Writing the PEFT adapter');
    const location = req.model.kind === 'url' ? req.model.url : `${req.model.label} (local folder)`;
    const files = adapters.map((a, i) =>
      packAdapter(manifest, a, {
        description: blendDescription(req, i),
        dtype: req.dtype,
        source: location,
        backend: remote ? `remote ${remote.runner.endpoint} (${runner.backend})` : runner.backend,
        timings: { load: timings.load, encode: timings.encode, hypernetwork: timings.hypernetwork },
        metadata: blendMetadata(req),
      }),
    );
    // The page lists a blend under description A (with its blend); the files name both.
    files.forEach((f, i) => (f.description = req.descriptions[i]!));
    lap('pack');
    const analysisStart = performance.now();
    const analysis = req.analysisKey
      ? analyzeAdapters(req.analysisKey, manifest, adapters)
      : undefined;
    measure('generate:analysis', analysisStart);

    const reason = [req.backendReason, ...opened.failures.map((f) => `fell back: ${f}`)].join('; ');
    return {
      model: summary(manifest),
      location,
      backend: await report(opened, reason, ctx, {
        encoderDevice,
        encoderDtype: encoderDevice === 'the server' ? 'the server’s' : dtype.dtype,
        encoderDtypeReason: dtype.reason,
      }),
      timings,
      loadNotes: notes,
      files: recorder.outcomes(),
      adapters: files,
      ...(analysis ? { analysis } : {}),
    };
  } finally {
    await opened.release();
  }
}
