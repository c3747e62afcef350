import { join } from 'node:path';
import { exportTriton } from '../server/export-triton';
import { parseModuleOrder } from './options';
import { parseCount } from './serve';

interface ExportTritonCliOptions {
  output: string;
  name?: string;
  maxBatchSize?: string;
  moduleOrder?: string;
}

export async function exportTritonCommand(
  dir: string,
  opts: ExportTritonCliOptions,
): Promise<void> {
  const { name, modelDir, config } = await exportTriton(dir, opts.output, {
    name: opts.name,
    ...(opts.maxBatchSize !== undefined
      ? { maxBatchSize: parseCount('--max-batch-size', opts.maxBatchSize, 1) }
      : {}),
    moduleOrder: parseModuleOrder(opts.moduleOrder),
  });
  process.stdout.write(
    `wrote ${join(modelDir, 'config.pbtxt')} and ${join(modelDir, '1', 'model.onnx')} (model "${name}", max_batch_size ${config.max_batch_size})\n`,
  );
}
