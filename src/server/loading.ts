/**
 * Loading what `t2l serve` serves, after it listens (liveness answers at once; readiness waits):
 * the text encoder first, since the models' description input depends on it, then each model.
 */
import type { DescriptionEncoder } from '../core/encoder/text-encoder';
import type { Backend } from '../core/runtime/types';
import { localEncoderFolder } from '../node/encoder-folder';
import { loadServedModel, type ServedModel } from './models';

export interface EncoderState {
  encoder?: DescriptionEncoder;
  failed: boolean;
}

export function ms(t0: number, t1 = performance.now()): number {
  return Math.round((t1 - t0) * 10) / 10;
}

export async function loadAll(
  models: Map<string, ServedModel>,
  encoderPath: string | undefined,
  state: EncoderState,
  opts: { backend: Backend; maxBatch: number; log: (entry: Record<string, unknown>) => void },
): Promise<void> {
  const { log, backend } = opts;
  if (encoderPath !== undefined) {
    const t0 = performance.now();
    try {
      const { createTextEncoder } = await import('../core/encoder/text-encoder');
      const localPath = localEncoderFolder(encoderPath);
      state.encoder = await createTextEncoder(localPath ? { localPath } : { model: encoderPath });
      log({
        level: 'info',
        msg: 'encoder ready',
        encoder: encoderPath,
        dim: state.encoder.dim,
        ms: ms(t0),
      });
    } catch (e) {
      state.failed = true;
      log({
        level: 'error',
        msg: 'encoder failed to load',
        encoder: encoderPath,
        error: String(e),
      });
    }
  }
  for (const m of models.values()) {
    const t0 = performance.now();
    await loadServedModel(m, {
      backend,
      encoderDim: state.encoder?.dim,
      maxBatchRows: opts.maxBatch,
    });
    if (m.state !== 'READY') {
      log({
        level: 'error',
        msg: 'model failed to load',
        model: m.name,
        dir: m.dir,
        error: m.reason,
      });
      continue;
    }
    log({
      level: 'info',
      msg: 'model ready',
      model: m.name,
      dir: m.dir,
      backend: m.runner!.backend,
      description: m.acceptsDescription,
      ms: ms(t0),
    });
    if (m.runner!.backend !== backend) {
      log({
        level: 'warn',
        msg: `model ${m.name}: ${backend} is not available, running on ${m.runner!.backend}`,
      });
    }
  }
}
