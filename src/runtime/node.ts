import { InferenceSession, Tensor } from 'onnxruntime-node';
import { T2LError } from '../core/errors';
import { graphRunError } from '../core/runtime/run-error';
import type {
  Backend,
  CreateRunner,
  FloatTensor,
  InferenceRunner,
  RunnerOptions,
} from '../core/runtime/types';

/** onnxruntime-node runner: 'cpu' by default, 'cuda' only where its provider is installed. */
export const createNodeRunner: CreateRunner = async (model, options = {}) => {
  const backends = options.backends ?? ['cpu'];
  const errors: string[] = [];
  for (const backend of backends) {
    if (backend !== 'cpu' && backend !== 'cuda') {
      errors.push(`${backend}: not an onnxruntime-node backend`);
      continue;
    }
    try {
      const session = await InferenceSession.create(model, sessionOptions(backend, options));
      return new NodeRunner(session, backend);
    } catch (e) {
      // The CUDA provider is a separate download (skipped by .npmrc here): try the next backend.
      errors.push(`${backend}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // A graph onnxruntime cannot load ("protobuf parsing failed", an unknown op) is bad input, not a crash.
  throw new T2LError('runtime', `onnxruntime-node could not load the graph (${errors.join('; ')})`);
};

function sessionOptions(backend: Backend, options: RunnerOptions): InferenceSession.SessionOptions {
  const opts: InferenceSession.SessionOptions = { executionProviders: [backend] };
  if (options.numThreads) opts.intraOpNumThreads = options.numThreads;
  return opts;
}

class NodeRunner implements InferenceRunner {
  constructor(
    private readonly session: InferenceSession,
    readonly backend: Backend,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, FloatTensor>): Promise<Record<string, FloatTensor>> {
    const ortFeeds: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new Tensor('float32', t.data, t.dims);
    }
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(ortFeeds);
    } catch (e) {
      throw graphRunError(e);
    }
    const out: Record<string, FloatTensor> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32')
        throw new T2LError('runtime', `graph output ${name} is ${t.type}, expected float32`);
      // onnxruntime-node hands CPU outputs over as JS-owned typed arrays (a copy of the OrtValue
      // made by the binding; dispose() only drops the reference), so they are used as they are:
      // copying them again cost ~10 ms a generation for Mistral's T2L-L (13.6 MB of outputs).
      out[name] = { dims: [...t.dims], data: t.data as Float32Array };
      t.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
