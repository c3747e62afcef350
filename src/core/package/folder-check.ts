/**
 * What a folder holds, judged from its file names alone: a converted package, a T2L checkpoint,
 * or something else (most often a PEFT LoRA adapter, which is what this project writes). Used when
 * a folder is opened, so the page can say what is wrong before anything is read or downloaded.
 */
import { CHECKPOINT_FILES } from '../checkpoint/load';
import { T2LError } from '../errors';
import { GRAPH_FILE, MANIFEST_FILE } from './manifest';

/** PEFT's files (huggingface/peft save_pretrained): config plus weights. */
const PEFT_CONFIG = 'adapter_config.json';
const PEFT_WEIGHTS = ['adapter_model.safetensors', 'adapter_model.bin'];

/** True when the names are a PEFT LoRA adapter's folder and not a T2L checkpoint. */
export function looksLikePeftAdapter(has: (name: string) => boolean): boolean {
  return has(PEFT_CONFIG) && PEFT_WEIGHTS.some(has) && !has('hypermod.pt');
}

/** The error for a PEFT adapter folder opened as a hypernetwork. */
export function peftAdapterError(label: string): T2LError {
  return new T2LError(
    'wrong-folder',
    `${label}: this is a LoRA adapter (adapter_config.json + adapter_model.safetensors), not a T2L hypernetwork; a hypernetwork folder holds ${CHECKPOINT_FILES.join(', ')} (checkpoint) or ${MANIFEST_FILE} + ${GRAPH_FILE} (package)`,
  );
}

/**
 * The problem with a folder of these files (paths inside the folder), or null when it holds a
 * package or a complete checkpoint. Only names are checked; contents are checked when read.
 */
export function folderProblem(label: string, names: readonly string[]): T2LError | null {
  const set = new Set(names);
  const has = (n: string) => set.has(n);
  if (has(MANIFEST_FILE)) return null;
  if (has('hypermod.pt')) {
    const missing = CHECKPOINT_FILES.filter((n) => !has(n));
    return missing.length === 0
      ? null
      : new T2LError(
          'missing-file',
          `${label}: no ${missing.join(', ')}; a T2L checkpoint folder holds ${CHECKPOINT_FILES.join(', ')}`,
        );
  }
  if (looksLikePeftAdapter(has)) return peftAdapterError(label);
  return new T2LError(
    'missing-file',
    `${label}: neither a converted package (${MANIFEST_FILE} + ${GRAPH_FILE}) nor a T2L checkpoint (${CHECKPOINT_FILES.join(', ')})`,
  );
}
