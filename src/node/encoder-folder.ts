import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { T2LError } from '../core/errors';
import { HUB_MODEL_ID, isHubModelId } from '../core/schema';
import type { TextEncoderOptions } from '../core/encoder/text-encoder';

/** The files transformers.js reads from a local encoder folder (fp32 weights). */
export const ENCODER_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

const LAYOUT = `a transformers.js model folder (${ENCODER_FILES.join(', ')})`;

/**
 * What `--encoder` names: a local folder (returned as an absolute path, once it holds every file
 * transformers.js will read) or, when no such path exists, a Hugging Face Hub id (undefined). A
 * file, or a folder lacking one of ENCODER_FILES, is a T2LError naming what is missing, so the
 * user never sees transformers.js's own TypeError from deep inside its loader.
 */
export function localEncoderFolder(arg: string): string | undefined {
  if (!existsSync(arg)) return undefined;
  const dir = resolve(arg);
  if (!statSync(dir).isDirectory()) {
    throw new T2LError('missing-file', `encoder ${arg}: is a file, expected ${LAYOUT}`);
  }
  const missing = ENCODER_FILES.filter((f) => !isFile(join(dir, f)));
  if (missing.length > 0) {
    // Weights under another name (a quantized export) are the likely mistake: say what is there.
    const onnx = missing.includes('onnx/model.onnx') ? listOnnx(dir) : [];
    const found = onnx.length > 0 ? ` (onnx/ holds ${onnx.join(', ')})` : '';
    throw new T2LError(
      'missing-file',
      `encoder ${arg}: missing ${missing.join(', ')}${found}; expected ${LAYOUT}`,
    );
  }
  return dir;
}

/**
 * The text encoder to load: the user's `--encoder` (a local folder, or a Hub id when no such path
 * exists), else the package's own encoder (t2l.json encoder / args.yaml emb_model), which is only
 * ever a Hub model id: a manifest's paths stay inside its package, so it may not point the loader
 * at a folder elsewhere on disk. A package value that is not a Hub id is refused (bad-package).
 */
export function chooseEncoder(
  flag: string | undefined,
  packageEncoder: string,
): Pick<TextEncoderOptions, 'model' | 'localPath'> & { label: string } {
  if (flag !== undefined) {
    const localPath = localEncoderFolder(flag);
    return localPath ? { localPath, label: flag } : { model: flag, label: flag };
  }
  if (!isHubModelId(packageEncoder)) {
    throw new T2LError(
      'bad-package',
      `t2l.json: encoder: expected ${HUB_MODEL_ID}, not a local path, found ${JSON.stringify(packageEncoder)} (give a local encoder folder with --encoder)`,
    );
  }
  return { model: packageEncoder, label: packageEncoder };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function listOnnx(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'onnx')).filter((f) => f.endsWith('.onnx'));
  } catch {
    return [];
  }
}
