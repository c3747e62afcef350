import { loadCheckpoint } from '../core/checkpoint/load';
import { convertCheckpoint, packageFiles } from '../core/package/model';
import { dirSource, writeFolder } from '../node/fs-source';
import { parseModuleOrder } from './options';

export async function convertCommand(
  dir: string,
  opts: { output: string; moduleOrder?: string },
): Promise<void> {
  const ckpt = await loadCheckpoint(dirSource(dir), {
    moduleOrder: parseModuleOrder(opts.moduleOrder),
  });
  const model = convertCheckpoint(ckpt);
  await writeFolder(opts.output, packageFiles(model));
  const mb = (model.graph.byteLength / 2 ** 20).toFixed(1);
  process.stdout.write(
    `wrote ${opts.output} (T2L-${model.manifest.variant}, module order ${model.manifest.moduleOrder.join(',')}, model.onnx ${mb} MiB)\n`,
  );
}
