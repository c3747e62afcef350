/**
 * `npm run local-hub -- [--dir <folder>] [--shape small|real] [--port <n>] [--rate <MB/s>]`:
 * writes the catalog's Hub repositories (src/fixtures/hub-repos.ts, random weights) into
 * <folder> unless its hub.json is there already, then serves them as the Hub does
 * (test/support/local-hub.ts) on 127.0.0.1 until Ctrl-C. Point the CLI at it with
 * HF_ENDPOINT=<printed address>, the page with Settings → Hub endpoint. `real` writes the real
 * shapes (hundreds of MB per T2L; the encoder is the fixture encoder's real-size option).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import catalog from '../models/catalog.json';
import { officialHubRepos, type HubShape } from '../src/fixtures/hub-repos';
import { startLocalHub, writeHubRepos } from '../test/support/local-hub';

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
if (!existsSync(join(dir, 'hub.json'))) {
  await mkdir(dir, { recursive: true });
  process.stderr.write(`writing the ${shape} repositories into ${dir}…\n`);
  await writeHubRepos(dir, officialHubRepos(catalog, { shape }));
}
const hub = await startLocalHub({
  root: dir,
  port: Number(values.port),
  ...(values.rate ? { bytesPerSecond: Number(values.rate) * 1e6 } : {}),
});
process.stdout.write(`local Hub at ${hub.endpoint} (from ${dir})\n`);
process.on('SIGINT', () => void hub.stop().then(() => process.exit(0)));
