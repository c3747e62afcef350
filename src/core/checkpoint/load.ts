import { T2LError } from '../errors';
import { configText, type FileSource } from '../files';
import type { Tensor } from '../tensor';
import { parseAdapterConfig, type AdapterConfig } from './adapter-config';
import { parseArgsYaml, type T2LArgs } from './args';
import { describeCheckpoint, type T2LSpec } from './spec';
import { readTorchCheckpoint } from './torch-file';

export const CHECKPOINT_FILES = ['hypermod.pt', 'args.yaml', 'adapter_config.json'] as const;

/** A T2L checkpoint folder, read and checked: what the graph builder consumes. */
export interface Checkpoint {
  spec: T2LSpec;
  weights: Map<string, Tensor>;
  args: T2LArgs;
  adapterConfig: AdapterConfig;
  source: string;
  /**
   * State-dict entries not read because they are not float tensors (integer buffers); the graph
   * does not use them, as the reference's load_state_dict(strict=False) ignores unexpected keys.
   */
  skipped?: string[];
  /** What the user should know but that does not stop the load (args.yaml keys the reference does not know). */
  warnings: string[];
}

export interface LoadCheckpointOptions {
  moduleOrder?: string[] | undefined;
  /** Called with each warning as soon as it is known (before a later refusal), e.g. to print it. */
  onWarning?: ((message: string) => void) | undefined;
}

async function readRequired(source: FileSource, name: string): Promise<Uint8Array> {
  if (!(await source.has(name))) {
    throw new T2LError(
      'missing-file',
      `${source.label}: no ${name}${source.where ? ` (not in ${source.where(name)})` : ''}; a T2L checkpoint folder holds ${CHECKPOINT_FILES.join(', ')}`,
    );
  }
  return source.read(name);
}

export async function loadCheckpoint(
  source: FileSource,
  options: LoadCheckpointOptions = {},
): Promise<Checkpoint> {
  const label = source.label;
  const args = parseArgsYaml(
    configText(await readRequired(source, 'args.yaml'), `${label}/args.yaml`),
    `${label}/args.yaml`,
  );
  for (const w of args.warnings) options.onWarning?.(w);
  const adapterConfig = parseAdapterConfig(
    configText(await readRequired(source, 'adapter_config.json'), `${label}/adapter_config.json`),
    `${label}/adapter_config.json`,
  );
  const { weights, skipped } = readTorchCheckpoint(
    await readRequired(source, 'hypermod.pt'),
    `${label}/hypermod.pt`,
  );
  const spec = describeCheckpoint(weights, args, adapterConfig, {
    moduleOrder: options.moduleOrder,
    label,
    skipped,
  });
  return {
    spec,
    weights,
    args,
    adapterConfig,
    source: label,
    skipped: [...skipped.keys()],
    warnings: args.warnings,
  };
}
