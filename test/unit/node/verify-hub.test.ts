/**
 * `npm run verify:hub`'s logic, against the local Hub instead of the real one: the catalog's
 * commits and files are found, and every kind of disagreement (a commit the Hub does not have, a
 * size, a hash, a missing file, a branch instead of a commit, a gated repository) is a finding.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import catalog from '../../../models/catalog.json';
import { BENCHMARK_SOURCES } from '../../../src/core/eval/benchmarks';
import { MODEL_INFO_MAX_BYTES } from '../../../src/core/hub/model-info';
import { benchmarkHubRepos } from '../../../src/fixtures/benchmark-datasets';
import { officialHubRepos } from '../../../src/fixtures/hub-repos';
import {
  formatFindings,
  verifyCatalog,
  type Finding,
  type VerifiableCatalog,
} from '../../../src/node/verify-hub';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../support/local-hub';

const T2L = 'SakanaAI/text-to-lora';
const PIN = '6e571eda2188b216f027263cd28c99c0fdcf2fa3';
const MISTRAL = 'trained_t2l/mistral_7b_t2l';

let root: string;
let hub: LocalHub;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2l-verify-hub-'));
  await writeHubRepos(root, [...officialHubRepos(catalog), ...benchmarkHubRepos()]);
  hub = await startLocalHub({ root });
});
afterAll(async () => {
  await hub?.stop();
  rmSync(root, { recursive: true, force: true });
});

const bytes = (repo: string, path: string) => new Uint8Array(readFileSync(join(root, repo, path)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** One official entry (mistral) and nothing else, with the given changes. */
function mistralOnly(change: (c: VerifiableCatalog) => void = () => {}): VerifiableCatalog {
  const c = structuredClone(catalog) as VerifiableCatalog;
  c.models = c.models.filter((m) => m.id === 'mistral-7b-t2l');
  delete c.models[0]!.baseGguf;
  delete c.models[0]!.size;
  c.encoders = {};
  change(c);
  return c;
}

const run = (c: VerifiableCatalog, token?: string) =>
  verifyCatalog(c, { endpoint: hub.endpoint, token });
const fails = (f: Finding[]) => f.filter((x) => x.level === 'fail');

describe('verifyCatalog', () => {
  it('passes an entry whose commit, files, sizes and hashes are the Hub’s', async () => {
    const pt = bytes(T2L, `${MISTRAL}/hypermod.pt`);
    const f = await run(
      mistralOnly((c) => {
        c.models[0]!.source.files = { 'hypermod.pt': { size: pt.length, sha256: sha256(pt) } };
      }),
    );
    expect(fails(f)).toEqual([]);
    expect(f).toContainEqual({
      level: 'ok',
      subject: `${T2L}@${PIN}`,
      message: 'the pinned commit exists',
    });
    expect(f).toContainEqual({
      level: 'ok',
      subject: `${T2L}@${PIN} ${MISTRAL}/hypermod.pt`,
      message: `${pt.length} bytes, sha256 ${sha256(pt)}`,
    });
    expect(formatFindings(f)).toMatch(/\n4 ok, 0 warnings, 0 failures$/);
  });

  it.each([
    [
      'a commit the Hub does not have',
      (c: VerifiableCatalog) => (c.models[0]!.source.revision = 'f'.repeat(40)),
      /the Hub answered 404 RevisionNotFound/,
    ],
    [
      'a wrong size',
      (c: VerifiableCatalog) => (c.models[0]!.source.files = { 'hypermod.pt': { size: 1 } }),
      /size \d+ on the Hub, the catalog records 1$/,
    ],
    [
      'a wrong hash',
      (c: VerifiableCatalog) =>
        (c.models[0]!.source.files = {
          'hypermod.pt': {
            size: bytes(T2L, `${MISTRAL}/hypermod.pt`).length,
            sha256: '0'.repeat(64),
          },
        }),
      /sha256 [0-9a-f]{64} on the Hub, the catalog records 0{64}/,
    ],
    [
      'a folder without the checkpoint',
      (c: VerifiableCatalog) => (c.models[0]!.source.path = 'trained_t2l/nope'),
      /no such file at this revision/,
    ],
  ])('fails %s', async (_, change, message) => {
    const f = fails(await run(mistralOnly(change)));
    expect(f.length).toBeGreaterThan(0);
    expect(f.some((x) => message.test(x.message))).toBe(true);
  });

  it('warns about a branch instead of a commit, naming the commit to pin', async () => {
    const f = await run(mistralOnly((c) => (c.models[0]!.source.revision = 'main')));
    const main = hub.repos.find((r) => r.repo === T2L)!.refs['main'];
    expect(f).toContainEqual({
      level: 'warn',
      subject: `${T2L}@main`,
      message: `not pinned: "main" is a branch or tag, now at ${main}; pin that commit in the catalog`,
    });
  });

  it('says a gated repository needs HF_TOKEN, and passes with one', async () => {
    hub.setGated(T2L, true);
    try {
      expect(fails(await run(mistralOnly()))[0]?.message).toBe(
        'the Hub answered 401 GatedRepo (gated or private: set HF_TOKEN)',
      );
      expect(fails(await run(mistralOnly(), 'hf_x'))).toEqual([]);
    } finally {
      hub.setGated(T2L, false);
    }
  });

  it('checks the whole catalog: pins and files hold, approximate sizes and unpinned bases are reported', async () => {
    const f = await run(catalog as VerifiableCatalog);
    // Every pin and every T2L file holds. What fails is what small fixtures cannot match: the
    // base GGUFs' exact sizes (tiny stand-ins), and encoder dtypes the fixture encoder lacks.
    expect(f.filter((x) => x.subject.startsWith(`${T2L}@`)).every((x) => x.level !== 'fail')).toBe(
      true,
    );
    for (const x of fails(f)) {
      expect(x.message).toMatch(
        /^size \d+ on the Hub, the catalog records \d+$|^no such file at this revision$/,
      );
      expect(x.subject).toMatch(/\.gguf$|onnx\/model_\w+\.onnx$/);
    }
    expect(f.some((x) => x.level === 'warn' && /mistral-7b-t2l size/.test(x.subject))).toBe(true);
    expect(
      f.some((x) => x.level === 'warn' && x.subject === 'bartowski/gemma-2-2b-it-GGUF@main'),
    ).toBe(true);
  });
});

describe('verifyCatalog: the benchmarks\u2019 pinned dataset files', () => {
  const empty: VerifiableCatalog = { encoders: {}, models: [] };
  const arc = BENCHMARK_SOURCES.arc_easy;
  const dataset = { label: 'arc_easy', repo: arc.repo, revision: arc.revision, file: arc.file };
  it('found through /api/datasets and the datasets/ resolve URL at the pinned commit', async () => {
    const f = await verifyCatalog(empty, { endpoint: hub.endpoint }, [dataset]);
    expect(fails(f)).toEqual([]);
    const b = bytes(arc.repo, arc.file);
    expect(f).toContainEqual({
      level: 'ok',
      subject: `${arc.repo}@${arc.revision} ${arc.file}`,
      message: `${b.length} bytes, sha256 ${sha256(b)}`,
    });
    expect(hub.requests.some((r) => r.url.startsWith(`/api/datasets/${arc.repo}/revision/`))).toBe(
      true,
    );
  });
  it('a file not at that commit, a published sha256 that differs: failures', async () => {
    const f = await verifyCatalog(empty, { endpoint: hub.endpoint }, [
      { ...dataset, file: 'ARC-Easy/train-00000-of-00001.parquet' },
      // The published pin's sha256 is the real file's; the local Hub serves a fixture.
      { ...dataset, sha256: arc.sha256! },
    ]);
    expect(fails(f).map((x) => x.message)).toEqual([
      'no such file at this revision',
      expect.stringMatching(/^sha256 [0-9a-f]{64} on the Hub, the catalog records 4160597d/),
    ]);
  });
});

describe('verifyCatalog: a listing too large to read', () => {
  it('stops reading a chunked answer (no Content-Length) at the limit, and fails that repository', async () => {
    // An API answer that never ends: 1 MiB chunks of JSON white space, no Content-Length (Node
    // sends it chunked), until the client goes or 4× the limit has been sent.
    const chunk = Buffer.alloc(1 << 20, 32);
    let sent = 0;
    let closedEarly = false;
    const server = createServer((req, res) => {
      if (!req.url?.startsWith('/api/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => (closedEarly = sent < 4 * MODEL_INFO_MAX_BYTES));
      const more = () => {
        while (sent < 4 * MODEL_INFO_MAX_BYTES && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      res.write('{"sha": "');
      more();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const f = await verifyCatalog(mistralOnly(), { endpoint });
      expect(fails(f)).toContainEqual({
        level: 'fail',
        subject: `${T2L}@${PIN}`,
        message: `${endpoint}/api/models/${T2L}/revision/${PIN}?blobs=true: the answer is over ${MODEL_INFO_MAX_BYTES} bytes`,
      });
      await expect.poll(() => closedEarly).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
