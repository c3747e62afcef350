/**
 * One generation, in the four stages the result card times: load (hypernetwork and text encoder,
 * downloaded or cached, converted if needed, sessions created), encode, hypernetwork, pack.
 */
import { T2LError } from '../../core/errors';
import { generateAdapters } from '../../core/generate';
import type { PackageManifest } from '../../core/package/manifest';
import type { InferenceRunner } from '../../core/runtime/types';
import { ortWebGpuAdapterInfo } from '../../runtime/web';
import type { DownloadContext } from './downloads';
import { encoderLabel, loadEncoder } from './encoder-loader';
import { loadModel } from './model-loader';
import { packAdapter } from './pack';
import type {
  BackendReport,
  EncoderSource,
  FileOutcome,
  GenerateRequest,
  GenerateResult,
  ModelSummary,
  Stage,
  Timings,
} from './protocol';
import { openRemoteModel } from './remote';

export interface JobContext extends DownloadContext {
  threads: number;
  wasmPaths: string;
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
  };
}

function encoderFor(req: GenerateRequest, manifest: PackageManifest): EncoderSource {
  return req.encoders[manifest.encoder] ?? { kind: 'hub', model: manifest.encoder };
}

async function backendReport(
  runner: InferenceRunner,
  reason: string,
  threads: number,
  encoderDevice: string,
): Promise<BackendReport> {
  if (runner.backend === 'webgpu') {
    const adapter = await ortWebGpuAdapterInfo();
    const name = adapter
      ? [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ')
      : 'unknown adapter';
    return { kind: 'webgpu', label: `WebGPU · ${name}`, reason, adapter, encoderDevice };
  }
  return {
    kind: 'wasm',
    label: `wasm · ${threads} thread${threads === 1 ? '' : 's'}`,
    reason,
    threads,
    encoderDevice,
  };
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
    const now = performance.now();
    timings[s] += now - clock;
    clock = now;
  };

  stage('load', `Opening ${req.model.label}`);
  const local = req.backends.filter((b): b is 'webgpu' | 'wasm' => b !== 'remote');
  const useRemote = req.backends[0] === 'remote';
  const model = useRemote
    ? {
        ...(await openRemoteModel(req.remote, req.model.label, ctx)),
        notes: [],
        failures: [],
        release: async () => undefined,
      }
    : await loadModel(req.model, local, ctx);
  try {
    const { manifest, runner } = model;
    const encoderSource = encoderFor(req, manifest);
    // The encoder runs where the hypernetwork runs; a remote hypernetwork still embeds locally.
    const device = runner.backend === 'webgpu' ? 'webgpu' : 'wasm';
    stage('load', `Loading the text encoder ${encoderLabel(encoderSource)}`);
    const { encoder, reused } = await loadEncoder(
      encoderSource,
      device,
      req.encoderDtype,
      ctx,
      ctx.wasmPaths,
    );
    if (encoder.dim !== manifest.taskEmbSize) {
      throw new T2LError(
        'bad-shape',
        `The text encoder ${encoderLabel(encoderSource)} gives ${encoder.dim}-dimensional embeddings, but this hypernetwork expects ${manifest.taskEmbSize} (it was trained with ${manifest.encoder}).`,
      );
    }
    lap('load');

    stage(
      'encode',
      `Embedding ${req.descriptions.length === 1 ? 'the description' : `${req.descriptions.length} descriptions`}`,
    );
    const { dims, data } = await encoder.embed(req.descriptions);
    lap('encode');

    stage('hypernetwork', `Running T2L-${manifest.variant} on ${runner.backend}`);
    const adapters = await generateAdapters(manifest, runner, { dims, data });
    lap('hypernetwork');

    stage('pack', 'Writing the PEFT adapter');
    const files = adapters.map((a, i) =>
      packAdapter(manifest, a, {
        description: req.descriptions[i]!,
        dtype: req.dtype,
        source: req.model.kind === 'url' ? req.model.url : req.model.label,
        backend: runner.backend,
      }),
    );
    lap('pack');

    const reason = [req.backendReason, ...model.failures.map((f) => `fell back: ${f}`)].join('; ');
    return {
      model: summary(manifest),
      location: req.model.kind === 'url' ? req.model.url : `${req.model.label} (local folder)`,
      backend: await backendReport(runner, reason, ctx.threads, device),
      timings,
      loadNotes: [
        ...model.notes,
        reused ? 'text encoder already loaded' : `text encoder loaded on ${device}`,
      ],
      files: recorder.outcomes(),
      adapters: files,
    };
  } finally {
    await model.release();
  }
}
