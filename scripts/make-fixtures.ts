/**
 * Writes the project's own tiny models into models/demo/ (git-ignored, rebuilt by `npm start` and
 * `npm test`): a tiny deterministic text encoder in the transformers.js layout, tiny T2L
 * checkpoints of every variant in the official folder layout, and the same converted to packages.
 * Their weights are seeded noise: they exercise every code path offline, and make no useful adapter.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCheckpoint } from '../src/core/checkpoint/load';
import { memorySource } from '../src/core/files';
import { convertCheckpoint, packageFiles } from '../src/core/package/model';
import { DEMO_VARIANTS, demoCheckpointFiles } from '../src/fixtures/demo';
import { writeFolder } from '../src/node/fs-source';
import { writeTinyEncoder } from './fixtures/write-tiny-encoder';

export const DEMO_DIR = join(import.meta.dirname, '..', 'models', 'demo');
export { DEMO_BASE_MODEL, DEMO_ENCODER_ID } from '../src/fixtures/demo';

const NOTE = `# Demo models: random weights

Written by \`npm run fixtures\` (scripts/make-fixtures.ts). Every weight here is seeded noise: these
models exercise t2l-web end to end offline (tests, the app's demo entry), but the adapters they make
do nothing useful. Do not ship them as real adapters.

- \`encoder/\`: a tiny deterministic text encoder in the transformers.js layout (E = 1024).
- \`checkpoints/<variant>/\`: tiny T2L checkpoints in the official layout (hypermod.pt, args.yaml, adapter_config.json).
- \`packages/<variant>/\`: the same, converted (t2l.json + model.onnx).
`;

async function main(): Promise<void> {
  await rm(DEMO_DIR, { recursive: true, force: true });
  await writeTinyEncoder(join(DEMO_DIR, 'encoder'), { hiddenSize: 1024 });
  for (const name of Object.keys(DEMO_VARIANTS)) {
    const files = demoCheckpointFiles(name);
    await writeFolder(join(DEMO_DIR, 'checkpoints', name), { ...files });
    const checkpoint = await loadCheckpoint(
      memorySource(`models/demo/checkpoints/${name}`, { ...files }),
    );
    await writeFolder(
      join(DEMO_DIR, 'packages', name),
      packageFiles(convertCheckpoint(checkpoint)),
    );
  }
  await writeFolder(DEMO_DIR, { 'README.md': NOTE });
  process.stdout.write(`wrote demo models (random weights) to ${DEMO_DIR}\n`);
}

await main();
