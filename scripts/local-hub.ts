/**
 * `npm run local-hub -- [--dir <folder>] [--shape small|real] [--port <n>] [--rate <MB/s>]`:
 * writes the catalog's Hub repositories (src/fixtures/hub-repos.ts, random weights) and the
 * accuracy benchmarks' datasets (src/fixtures/benchmark-datasets.ts: a dozen fixture rows each, in
 * the real files' layout at their pinned commits, as the tests' local Hub serves them) into
 * <folder> unless its hub.json lists them already (a folder written before gets the datasets
 * added), then serves them as the Hub does (test/support/local-hub.ts) on 127.0.0.1 until Ctrl-C.
 * Point the CLI at it with HF_ENDPOINT=<printed address>, the page with Settings → Hub endpoint.
 * `real` writes the real shapes (hundreds of MB per T2L; the encoder is the fixture encoder's
 * real-size option).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import catalog from '../models/catalog.json';
import { benchmarkHubRepos } from '../src/fixtures/benchmark-datasets';
import { officialHubRepos, type HubShape } from '../src/fixtures/hub-repos';
import { startLocalHub, writeHubRepos, type HubRepoConfig } from '../test/support/local-hub';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    shape: { type: 'string', default: 'small' },
    port: { type: 'string', default: '0' },
    rate: { type: 'string' },
  },
});
const shape = values.shape as HubShape;
if (shape !== 'small' && shape !== 'real') throw new Error('--shape is small or real');
const dir = values.dir ?? join('models', 'local-hub', shape);
const datasets = benchmarkHubRepos();
if (!existsSync(join(dir, 'hub.json'))) {
  await mkdir(dir, { recursive: true });
  process.stderr.write(`writing the ${shape} repositories into ${dir}…\n`);
  await writeHubRepos(dir, [...officialHubRepos(catalog, { shape }), ...datasets]);
} else {
  const listed = (
    JSON.parse(await readFile(join(dir, 'hub.json'), 'utf8')) as { repos: HubRepoConfig[] }
  ).repos;
  const missing = datasets.filter(
    (d) => !listed.some((r) => r.repo === d.repo && r.commit === d.commit),
  );
  if (missing.length > 0) {
    process.stderr.write(`adding the benchmark datasets to ${dir}…\n`);
    await writeHubRepos(dir, missing, { add: true });
  }
}
const hub = await startLocalHub({
  root: dir,
  port: Number(values.port),
  ...(values.rate ? { bytesPerSecond: Number(values.rate) * 1e6 } : {}),
});
process.stdout.write(`local Hub at ${hub.endpoint} (from ${dir})\n`);
process.stdout.write(
  `benchmark datasets (fixture rows, for t2l eval --benchmark and the page's Accuracy): ${datasets.map((d) => d.repo).join(', ')}\n`,
);
process.on('SIGINT', () => void hub.stop().then(() => process.exit(0)));
