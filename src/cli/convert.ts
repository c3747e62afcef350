import { loadCheckpoint } from '../core/checkpoint/load';
import { T2LError } from '../core/errors';
import { measureFidelity } from '../core/package/fidelity';
import { isPrecision, type Fidelity } from '../core/package/manifest';
import { convertCheckpoint, packageFiles } from '../core/package/model';
import { modelDirSource, writeFolder } from '../node/fs-source';
import { createNodeRunner } from '../runtime/node';
import { resolveModelPath } from '../node/hub-resolve';
import { cliHubSettings } from './hub';
import { parseModuleOrder, warn } from './options';

export async function convertCommand(
  arg: string,
  opts: {
    output: string;
    moduleOrder?: string;
    precision?: string;
    blockSize?: string;
    fidelity?: boolean;
  },
): Promise<void> {
  const precision = opts.precision ?? 'fp32';
  if (!isPrecision(precision)) {
    throw new T2LError('bad-input', `--precision ${precision}: use fp32, fp16, int8 or q4`);
  }
  const { path: dir } = await resolveModelPath(arg, cliHubSettings());
  const ckpt = await loadCheckpoint(modelDirSource(dir), {
    moduleOrder: parseModuleOrder(opts.moduleOrder),
    onWarning: warn,
  });
  const model = convertCheckpoint(ckpt, {
    precision,
    blockSize: Number(opts.blockSize ?? 32),
  });
  if (precision !== 'fp32' && opts.fidelity !== false) {
    model.manifest.fidelity = await measureFidelity(ckpt, model, {
      createRunner: createNodeRunner,
    });
  }
  await writeFolder(opts.output, packageFiles(model));
  const mb = (model.graph.byteLength / 2 ** 20).toFixed(1);
  process.stdout.write(
    `wrote ${opts.output} (T2L-${model.manifest.variant}, ${precision}, module order ${model.manifest.moduleOrder.join(',')}, model.onnx ${mb} MiB)\n`,
  );
  if (precision !== 'fp32') {
    process.stdout.write(`fidelity: ${describeFidelity(model.manifest.fidelity)}\n`);
  }
}

/** One line on how close a package's adapters are to float32. */
export function describeFidelity(f: Fidelity | undefined): string {
  if (!f) return 'not measured';
  if (f.matrices === 0) return 'exact (the float32 reference)';
  return (
    `min cosine ${f.minCosine.toFixed(5)} (mean ${f.meanCosine.toFixed(5)}), ` +
    `max relative error ${f.maxRelError.toExponential(2)} against float32 ` +
    `(${f.matrices} LoRA matrices, ${f.embeddings})`
  );
}
