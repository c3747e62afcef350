// Two onnxruntime-web builds, one per backend. The webgpu entry's wasm is built with Asyncify (so
// WebGPU calls can yield), which slows everything it runs on the CPU: a Mistral-L generation on
// its 'wasm' provider took a median 170-190 ms here against 101-108 ms on the plain wasm build
// (session creation 2.5 s against 1.6 s), and its binary is twice the size (27 against 14 MB).
// So wasm sessions use the plain build and WebGPU sessions the webgpu one, transformers.js's (the
// text encoder's) included: see routeWasmSessions. Each build is its own module instance with its
// own env and wasm heap, and tensors must come from the session's own.
import * as ortWasm from 'onnxruntime-web/wasm';
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import { T2LError } from '../core/errors';
import { graphRunError } from '../core/runtime/run-error';
import { DataType, GraphBuilder, int } from '../core/onnx/builder';
import type { EncoderGraph } from '../core/encoder/text-encoder';
import { measured } from './marks';
import { defaultThreads, infoOf, type WebGpuAdapterInfo } from './web-caps';
import type {
  Backend,
  CreateRunner,
  FloatTensor,
  InferenceRunner,
  RunnerOptions,
} from '../core/runtime/types';

export { detectWebGpu, type WebGpuAdapterInfo, type WebGpuInfo } from './web-caps';

export interface OrtWebConfig {
  /** URL prefix (ending in '/') where the app serves onnxruntime-web's .mjs/.wasm files. */
  wasmPaths?: string;
  numThreads?: number;
}

let applied: Required<OrtWebConfig> | undefined;
let webGpuSessionCreated = false;

/**
 * Points onnxruntime-web at the app's own copy of its wasm files (never a CDN: the app must work
 * offline) and picks the thread count. Takes effect only before the first session is created.
 */
export function configureOrtWeb(config: OrtWebConfig = {}): Required<OrtWebConfig> {
  const base = globalThis.location?.href;
  const wasmPaths = new URL(config.wasmPaths ?? `${import.meta.env.BASE_URL}ort/`, base).href;
  const numThreads = config.numThreads || defaultThreads();
  // The webgpu build's env is also transformers.js's (its WebGPU sessions run on that instance).
  for (const ort of [ortWasm, ortWebGpu]) {
    ort.env.wasm.wasmPaths = wasmPaths;
    ort.env.wasm.numThreads = numThreads;
  }
  applied = { wasmPaths, numThreads };
  routeWasmSessions();
  return applied;
}

let routed = false;
type Create = (model: unknown, options?: unknown, ...rest: unknown[]) => Promise<unknown>;
/** The webgpu build's own InferenceSession.create, before routeWasmSessions wraps it. */
let createOnWebGpuBuild: Create | undefined;

/**
 * transformers.js (the text encoder) creates its sessions through the webgpu entry's
 * `InferenceSession` (it imports onnxruntime-web/webgpu itself and offers no way to pass another
 * instance in the browser), so a page on wasm used to fetch, compile and start two builds: the
 * plain one for the hypernetwork and the Asyncify one (27 MB, slower on the CPU) for the encoder.
 * Here a session asked for the wasm provider alone is created on the plain build instead, and the
 * plain build's tensors count as the webgpu build's for `instanceof` (transformers.js wraps a
 * session's outputs only when they pass it). Sessions with the webgpu provider are untouched. The
 * model, the feeds and the kernels are the same, so are the embeddings.
 */
function routeWasmSessions(): void {
  if (routed) return;
  routed = true;
  const session = ortWebGpu.InferenceSession as unknown as { create: Create };
  const create = session.create.bind(session);
  createOnWebGpuBuild = create;
  session.create = (model, options, ...rest) =>
    rest.length === 0 && wasmOnly(options)
      ? measured('session:routed', () =>
          (ortWasm.InferenceSession.create as Create)(model, options),
        )
      : create(model, options, ...rest);
  const tensor = ortWebGpu.Tensor;
  const own = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(tensor, Symbol.hasInstance, {
    value: (x: unknown) => own.call(tensor, x) || x instanceof ortWasm.Tensor,
  });
}

/** Session options that name only the wasm (CPU) provider. */
function wasmOnly(options: unknown): boolean {
  if (!options || typeof options !== 'object') return false;
  const eps = (options as { executionProviders?: unknown }).executionProviders;
  if (!Array.isArray(eps) || eps.length === 0) return false;
  return eps.every((ep: unknown) => {
    const name = typeof ep === 'string' ? ep : (ep as { name?: unknown } | null)?.name;
    return name === 'wasm' || name === 'cpu';
  });
}

const warmed = new Map<Ort, Promise<void>>();

/**
 * Starts the onnxruntime-web build a backend needs before its first real session: its wasm is
 * fetched and compiled and its thread pool started (seconds on a cold page), by creating a
 * one-node session. 'wasm' warms the plain build (the hypernetwork's and, through
 * routeWasmSessions, the text encoder's); 'webgpu' the webgpu entry's. Each build is warmed once; a
 * failure is left for the real session to report.
 */
export async function warmOrtWeb(backend: 'wasm' | 'webgpu'): Promise<void> {
  if (!applied) configureOrtWeb();
  for (const ort of backend === 'wasm' ? [ortWasm] : [ortWebGpu]) {
    let done = warmed.get(ort);
    if (!done) {
      const build = ort === ortWasm ? 'wasm' : 'webgpu';
      // The webgpu build's own create: its wasm-only sessions are otherwise routed to the plain one.
      const create =
        ort === ortWebGpu && createOnWebGpuBuild
          ? (createOnWebGpuBuild as typeof ort.InferenceSession.create)
          : ort.InferenceSession.create.bind(ort.InferenceSession);
      done = measured(`ort-warm:${build}`, () =>
        create(identityModel(), { executionProviders: ['wasm'] }),
      )
        .then((s) => s.release())
        .catch(() => undefined);
      warmed.set(ort, done);
    }
    await done;
  }
}

/**
 * Grows and touches the plain build's wasm heap by about `bytes` before a large session is created
 * in it: a throwaway session expands a float32 scalar to [bytes / 4] and sums it, then is released,
 * leaving the memory in the heap's free lists. Why: creating gte-large's q8 session (440 MB) in a
 * fresh heap took 6.6–6.8 s in Chromium here, 2.5–3.1 s after 0.9–1.4 GB had been touched this
 * way (docs/benchmarks.md); most of the difference is the first touch of each page of new memory,
 * which this moves to a time the worker would otherwise wait (while the graph is read). A failure
 * is ignored: the real session then pays it as before.
 */
export async function reserveWasmHeap(bytes: number): Promise<void> {
  if (!applied) configureOrtWeb();
  // At most 1 GiB: the heap (4 GiB at most) must keep room for everything else a session holds.
  const elements = Math.floor(Math.min(bytes, 2 ** 30) / 4);
  if (elements <= 0) return;
  await measured('heap-reserve', async () => {
    const g = new GraphBuilder('reserve_heap');
    const shape = g.input('shape', [1], DataType.INT64);
    const filled = g.op('Expand', [g.weight('one', [1], Float32Array.of(1)), shape]);
    g.output('sum', g.op('ReduceSum', [filled], { keepdims: int(0) }), []);
    const session = await ortWasm.InferenceSession.create(g.toModel({ producer: 't2l-web' }), {
      executionProviders: ['wasm'],
    });
    try {
      await session.run({
        shape: new ortWasm.Tensor('int64', BigInt64Array.of(BigInt(elements)), [1]),
      });
    } finally {
      await session.release();
    }
  }).catch(() => undefined);
}

/** y = Identity(x), x float32 [1]: the smallest model a session can be created for. */
function identityModel(): Uint8Array {
  const g = new GraphBuilder('warm_up');
  g.output('y', g.input('x', [1]), [1]);
  return g.toModel({ producer: 't2l-web' });
}

/**
 * Tries the backends in order (default WebGPU, then wasm). `numThreads` counts only when this
 * creates the first session without configureOrtWeb having been called.
 */
export const createWebRunner: CreateRunner = async (model, options: RunnerOptions = {}) => {
  if (!applied) configureOrtWeb({ numThreads: options.numThreads });
  const backends = options.backends ?? ['webgpu', 'wasm'];
  const errors: string[] = [];
  for (const backend of backends) {
    if (backend !== 'webgpu' && backend !== 'wasm') {
      errors.push(`${backend}: not an onnxruntime-web backend`);
      continue;
    }
    try {
      // One provider per attempt, so the backend reported is the one that created the session.
      const ort = backend === 'webgpu' ? ortWebGpu : ortWasm;
      const session = await measured(`session:${backend}`, () =>
        ort.InferenceSession.create(model, { executionProviders: [backend] }),
      );
      if (backend === 'webgpu') webGpuSessionCreated = true;
      return new WebRunner(ort, session, backend);
    } catch (e) {
      errors.push(`${backend}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // A graph onnxruntime cannot load ("protobuf parsing failed", an unknown op) is bad input, not a crash.
  throw new T2LError('runtime', `onnxruntime-web could not load the graph (${errors.join('; ')})`);
};

type Ort = typeof ortWasm;

class WebRunner implements InferenceRunner {
  constructor(
    private readonly ort: Ort,
    private readonly session: ortWasm.InferenceSession,
    readonly backend: Backend,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>> {
    const ortFeeds: Record<string, ortWasm.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new this.ort.Tensor('float32', t.data, t.dims);
    }
    let results: Awaited<ReturnType<typeof this.session.run>>;
    try {
      results = await this.session.run(ortFeeds);
    } catch (e) {
      throw graphRunError(e);
    }
    const out: Record<string, FloatTensor> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32')
        throw new T2LError('runtime', `graph output ${name} is ${t.type}, expected float32`);
      // getData(true) hands the data over (downloaded from the GPU, or already copied out of the
      // wasm heap) and releases the tensor's hold on it: no further copy is needed.
      const data = (await t.getData(true)) as Float32Array;
      out[name] = { dims: [...t.dims], data };
      t.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The adapter behind the GPUDevice onnxruntime-web runs on; null before a WebGPU session exists. */
export async function ortWebGpuAdapterInfo(): Promise<WebGpuAdapterInfo | null> {
  if (!webGpuSessionCreated) return null;
  const device = await ortWebGpu.env.webgpu.device;
  return device ? infoOf(device.adapterInfo) : null;
}

/**
 * The text encoder's ONNX graph (transformers.js layout: int64 token inputs, last_hidden_state)
 * on the plain wasm build, from bytes the caller already holds and has verified, so the page does
 * not hand a 440 MB file through transformers.js's fetch and copy again (see TextEncoderOptions
 * .openGraph). Errors: T2LError 'runtime' when onnxruntime-web cannot load or run the graph, or an
 * output is not float32.
 */
export async function openWasmEncoderGraph(model: Uint8Array): Promise<EncoderGraph> {
  if (!applied) configureOrtWeb();
  let session: ortWasm.InferenceSession;
  try {
    session = await measured('session:encoder', () =>
      ortWasm.InferenceSession.create(model, { executionProviders: ['wasm'] }),
    );
  } catch (e) {
    throw new T2LError(
      'runtime',
      `onnxruntime-web could not load the text encoder's graph (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, ortWasm.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ortWasm.Tensor('int64', t.data, t.dims);
      }
      let results: Awaited<ReturnType<typeof session.run>>;
      try {
        results = await session.run(ortFeeds, ['last_hidden_state']);
      } catch (e) {
        throw graphRunError(e);
      }
      const hidden = results.last_hidden_state!;
      try {
        if (hidden.type !== 'float32') {
          throw new T2LError('runtime', `last_hidden_state is ${hidden.type}, expected float32`);
        }
        return { dims: [...hidden.dims], data: (await hidden.getData(true)) as Float32Array };
      } finally {
        hidden.dispose();
      }
    },
    release: () => session.release(),
  };
}
