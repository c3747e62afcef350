/**
 * The bench's real-size text encoder: random weights with gte-large-en-v1.5's shape, in the
 * transformers.js layout, at every dtype the catalog offers for it, written once into
 * .bench/encoders/gte-large-shape/ (src/fixtures/tiny-encoder.ts's generator, one file at a time).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import {
  ENCODER_DTYPE_FILES,
  GTE_LARGE_SHAPE,
  encoderFiles,
} from '../../src/fixtures/tiny-encoder';
import { BENCH_DIR } from './checkpoints';

export const ENCODER_DIR = join(BENCH_DIR, 'encoders', 'gte-large-shape');
/** The dtypes models/catalog.json offers for Alibaba-NLP/gte-large-en-v1.5. */
export const ENCODER_DTYPES: EncoderDtype[] = ['fp32', 'fp16', 'q8', 'q4'];
// Bump when the generator changes, so the cached encoder is rewritten.
const STAMP = `random-encoder v1 ${JSON.stringify(GTE_LARGE_SHAPE)} ${ENCODER_DTYPES.join(',')}`;

/** Writes the encoder unless a current one is cached; returns its folder and each model's bytes. */
export async function ensureEncoder(
  log: (s: string) => void,
): Promise<{ dir: string; bytes: Record<EncoderDtype, number> }> {
  const stampFile = join(ENCODER_DIR, '.stamp');
  const sizes = async (dir: string) =>
    Object.fromEntries(
      await Promise.all(
        ENCODER_DTYPES.map(
          async (d) => [d, (await stat(join(dir, ENCODER_DTYPE_FILES[d]))).size] as const,
        ),
      ),
    ) as Record<EncoderDtype, number>;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === STAMP) {
    return { dir: ENCODER_DIR, bytes: await sizes(ENCODER_DIR) };
  }
  const t0 = performance.now();
  const tmp = `${ENCODER_DIR}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  for (const [name, content] of Object.entries(
    encoderFiles({ size: GTE_LARGE_SHAPE, dtypes: ENCODER_DTYPES }),
  )) {
    const path = join(tmp, name);
    await mkdir(dirname(path), { recursive: true });
    // One model in memory at a time (fp32 alone is 1.7 GB).
    await writeFile(path, typeof content === 'string' ? content : content());
    log(`  wrote ${name}  [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
  }
  await writeFile(join(tmp, '.stamp'), STAMP);
  await rm(ENCODER_DIR, { recursive: true, force: true });
  await rename(tmp, ENCODER_DIR);
  return { dir: ENCODER_DIR, bytes: await sizes(ENCODER_DIR) };
}
