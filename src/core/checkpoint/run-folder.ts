import type { FileSource } from '../files';

/** The files T2L's training writes once per run, beside (not inside) its checkpoints/it_N folders. */
export const RUN_FILES = ['args.yaml', 'adapter_config.json'] as const;

/**
 * A checkpoint folder whose args.yaml and adapter_config.json may live in its training run's
 * folder, as T2L's save_hypermod_checkpoint writes them: `run/args.yaml`,
 * `run/adapter_config.json`, `run/checkpoints/it_N/hypermod.pt`. Files in the checkpoint folder
 * itself win; the run folder is only asked for those two files. (The reference's
 * load_hypermod_checkpoint reads them from the path cut at "checkpoint": runFolderOf.)
 */
export function withRunFolder(checkpoint: FileSource, run: FileSource): FileSource {
  const fromRun = async (name: string) =>
    (RUN_FILES as readonly string[]).includes(name) &&
    !(await checkpoint.has(name)) &&
    (await run.has(name));
  return {
    label: checkpoint.label,
    has: async (name) => (await checkpoint.has(name)) || (await fromRun(name)),
    read: async (name) => ((await fromRun(name)) ? run.read(name) : checkpoint.read(name)),
    isFolder: async (name) => (await checkpoint.isFolder?.(name)) ?? false,
    where: (name) =>
      (RUN_FILES as readonly string[]).includes(name)
        ? `${checkpoint.label} nor in the run folder ${run.label}`
        : checkpoint.label,
  };
}

/**
 * The run folder the reference reads args.yaml and adapter_config.json from for a checkpoint
 * folder: load_hypermod_checkpoint (hyper_modulator.py) takes the folder and, when it contains
 * "checkpoint", cuts it there (`base_dir.split("checkpoint")[0]`). undefined when it does not.
 */
export function runFolderOf(checkpointDir: string): string | undefined {
  const at = checkpointDir.indexOf('checkpoint');
  if (at < 0) return undefined;
  return checkpointDir.slice(0, at) || '.';
}
