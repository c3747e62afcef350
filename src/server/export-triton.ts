/** `t2l export-triton`: a Triton model repository entry for one T2L package or checkpoint. */
import { basename, join, resolve } from 'node:path';
import { T2LError } from '../core/errors';
import { CREATED_BY, openModel } from '../core/package/model';
import { modelDirSource, writeFolder } from '../node/fs-source';
import { MODEL_NAME, toPbtxt, tritonModelConfig, type TritonModelConfig } from './triton-config';

export interface ExportTritonOptions {
  /** Model name in the repository (default: the folder's name). */
  name?: string | undefined;
  /** Triton's max_batch_size: most task embeddings in one (dynamically batched) run. */
  maxBatchSize?: number;
  moduleOrder?: string[] | undefined;
}

export interface ExportedModel {
  name: string;
  /** <repository>/<name> */
  modelDir: string;
  config: TritonModelConfig;
}

export const DEFAULT_MAX_BATCH_SIZE = 16;

/**
 * Writes `<repository>/<name>/config.pbtxt` (ONNX Runtime backend, dynamic batching, the package
 * manifest as a model parameter) and `<repository>/<name>/1/model.onnx`.
 */
export async function exportTriton(
  source: string,
  repository: string,
  options: ExportTritonOptions = {},
): Promise<ExportedModel> {
  const name = options.name ?? basename(resolve(source));
  if (!MODEL_NAME.test(name)) {
    throw new T2LError(
      'bad-input',
      `model name "${name}" must be letters, digits, ".", "_" or "-" (choose one with --name)`,
    );
  }
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new T2LError(
      'bad-input',
      `--max-batch-size must be a positive integer, found ${maxBatchSize}`,
    );
  }
  const model = await openModel(modelDirSource(source), { moduleOrder: options.moduleOrder });
  const config = tritonModelConfig(model.manifest, { name, maxBatchSize });
  const { manifest } = model;
  const comment = [
    `Written by ${CREATED_BY} (t2l export-triton) from ${source}`,
    `T2L-${manifest.variant} for ${manifest.baseModel}: task_emb [N, ${manifest.taskEmbSize}] in, per module lora_A [N, L, r, in] and lora_B [N, L, out, r] out.`,
  ].join('\n');
  const modelDir = join(repository, name);
  await writeFolder(modelDir, {
    'config.pbtxt': toPbtxt(config, comment),
    [join('1', 'model.onnx')]: model.graph,
  });
  return { name, modelDir, config };
}
