/**
 * The official path at real size for the first-adapter benchmark (issue #20 item 6): the project's
 * local Hub (test/support/local-hub.ts) serving one catalog entry's repositories with the real
 * shapes and random weights (src/fixtures/hub-repos.ts, `real`): its T2L checkpoint folder and
 * gte-large-en-v1.5 (24 layers, the one encoder dtype the bench asks for). Written once into
 * .bench/hub-real/<entry>/ and reused; every body throttled to a stated rate, as a download is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import { ENCODER_DTYPE_FILES } from '../../src/fixtures/tiny-encoder';
import type { CatalogPins } from '../../src/core/hub/pins';
import { officialHubRepos, type HubRepoFixture } from '../../src/fixtures/hub-repos';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../test/support/local-hub';
import { BENCH_DIR } from './checkpoints';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RealHubOptions {
  /** A catalog entry with a Hub source: mistral-7b-t2l, llama-3.1-8b-t2l, gemma-2-2b-t2l. */
  model: string;
  encoderDtype: EncoderDtype;
  /** Bytes a second for every body (the stated download rate). */
  bytesPerSecond: number;
  log: (s: string) => void;
}

/** Only the files one generation of `model` at `encoderDtype` reads (no base GGUF, one dtype). */
function filesFor(catalog: CatalogPins, o: RealHubOptions): HubRepoFixture[] {
  const entry = catalog.models.find((m) => m.id === o.model);
  if (!entry?.source.hub || entry.source.path === undefined) {
    throw new Error(`--first-adapter-hub ${o.model}: not a catalog entry with a Hub source`);
  }
  const folder = `${entry.source.path.replace(/\/+$/, '')}/`;
  const onnx = ENCODER_DTYPE_FILES[o.encoderDtype];
  const keep = (repo: string, path: string) =>
    repo === entry.source.hub
      ? path.startsWith(folder)
      : !path.startsWith('onnx/') || path === onnx;
  const wanted = new Set([entry.source.hub, entry.encoder ?? 'Alibaba-NLP/gte-large-en-v1.5']);
  return officialHubRepos(catalog, { shape: 'real' })
    .filter((r) => wanted.has(r.repo))
    .map((r) => ({
      ...r,
      files: Object.fromEntries(Object.entries(r.files).filter(([p]) => keep(r.repo, p))),
    }));
}

/** Starts the local Hub over the real-size files of `o.model` (writing them on first use). */
export async function startRealHub(o: RealHubOptions): Promise<LocalHub> {
  const catalog = JSON.parse(
    readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8'),
  ) as CatalogPins;
  const root = join(BENCH_DIR, 'hub-real', `${o.model}-${o.encoderDtype}`);
  if (!existsSync(join(root, 'hub.json'))) {
    o.log(`first-adapter: writing the real-size ${o.model} and gte-large ${o.encoderDtype} files`);
    await writeHubRepos(root, filesFor(catalog, o));
  }
  return startLocalHub({ root, bytesPerSecond: o.bytesPerSecond });
}
