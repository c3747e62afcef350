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
import {
  makeRandomCheckpoint,
  type RandomCheckpointOptions,
} from '../src/fixtures/random-checkpoint';
import { DEMO_BASE_OPTIONS, makeTinyBase, tinyBaseGguf } from '../src/fixtures/tiny-base';
import { writeFolder } from '../src/node/fs-source';
import { writeTinyEncoder } from './fixtures/write-tiny-encoder';

export const DEMO_DIR = join(import.meta.dirname, '..', 'models', 'demo');
export const DEMO_ENCODER_ID = 't2l-web/tiny-demo-encoder';
export const DEMO_BASE_MODEL = 't2l-web/tiny-demo-base';
/** The demo T2Ls' base model as GGUF, for `t2l try` and the app's Try panel. */
export const DEMO_BASE_GGUF = join(DEMO_DIR, 'base', 'tiny-llama.gguf');

const SIZES: RandomCheckpointOptions = {
  taskEmbSize: 1024,
  latentSize: 64,
  headInSize: 64,
  layers: 4,
  rank: 8,
  modules: [
    { name: 'q_proj', inFeatures: 64, outFeatures: 64 },
    { name: 'v_proj', inFeatures: 64, outFeatures: 16 },
  ],
  baseModel: DEMO_BASE_MODEL,
  embModel: DEMO_ENCODER_ID,
};

export const DEMO_VARIANTS: Record<string, RandomCheckpointOptions> = {
  L: {},
  M: { sharedABHead: true },
  S: { sharedABHead: true, autoregGen: true },
  'S-learnedpos': { sharedABHead: true, autoregGen: true, learnablePosEmb: true },
  'autoreg-unshared': { autoregGen: true },
  'L-recon': { trainingTask: 'recon' },
  'M-recon-zscore': {
    sharedABHead: true,
    trainingTask: 'recon',
    predZScore: true,
    factorized: true,
  },
};

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
  let seed = 1;
  for (const [name, flags] of Object.entries(DEMO_VARIANTS)) {
    const files = makeRandomCheckpoint({ ...SIZES, ...flags, seed: seed++ });
    await writeFolder(join(DEMO_DIR, 'checkpoints', name), { ...files });
    const checkpoint = await loadCheckpoint(
      memorySource(`models/demo/checkpoints/${name}`, { ...files }),
    );
    await writeFolder(
      join(DEMO_DIR, 'packages', name),
      packageFiles(convertCheckpoint(checkpoint)),
    );
  }
  await writeFolder(join(DEMO_DIR, 'base'), {
    'tiny-llama.gguf': tinyBaseGguf(makeTinyBase(DEMO_BASE_OPTIONS)),
  });
  await writeFolder(DEMO_DIR, { 'README.md': NOTE });
  process.stdout.write(`wrote demo models (random weights) to ${DEMO_DIR}\n`);
}

await main();
