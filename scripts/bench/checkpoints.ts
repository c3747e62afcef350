import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRandomCheckpoint } from '../../src/fixtures/random-checkpoint';
import type { BenchShape } from './shapes';

export const BENCH_DIR = join(import.meta.dirname, '..', '..', '.bench');
export const CHECKPOINT_DIR = join(BENCH_DIR, 'checkpoints');

// Bump when the generator or the shapes change, so cached checkpoints are rewritten.
const STAMP = 'random-checkpoint v1';

export function checkpointDir(shape: BenchShape): string {
  return join(CHECKPOINT_DIR, shape.id);
}

/**
 * Writes the shape's random checkpoint as a real folder (hypermod.pt, args.yaml,
 * adapter_config.json) unless a current one is cached. Returns its folder and the .pt's size.
 */
export async function ensureCheckpoint(
  shape: BenchShape,
  log: (s: string) => void,
): Promise<{ dir: string; ptBytes: number }> {
  const dir = checkpointDir(shape);
  const stampFile = join(dir, '.stamp');
  const stamp = `${STAMP} ${JSON.stringify(shape.options)}`;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    return { dir, ptBytes: (await stat(join(dir, 'hypermod.pt'))).size };
  }
  const t0 = performance.now();
  const files = makeRandomCheckpoint(shape.options);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(tmp, name), content);
  await writeFile(join(tmp, '.stamp'), stamp);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  const ptBytes = files['hypermod.pt'].byteLength;
  log(
    `  wrote ${shape.id}: hypermod.pt ${(ptBytes / 2 ** 20).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { dir, ptBytes };
}
