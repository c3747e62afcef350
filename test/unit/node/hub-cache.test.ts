/**
 * The Hub downloader and resolver in-process, against the local Hub: settings from the
 * environment, a package folder (t2l.json + its graph), a branch recorded in refs/, a partial
 * download left by an earlier run resumed, and the argument rules (local paths win).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeCommit, type HubRepoFixture } from '../../../src/fixtures/hub-repos';
import { hubFile, hubSettingsFromEnv, type HubSettings } from '../../../src/node/hub-cache';
import { hubPathOf, resolveEncoder, resolveModelPath } from '../../../src/node/hub-resolve';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../support/local-hub';

const REPO = 't2l-web/demo-packages';
const COMMIT = fakeCommit(REPO);
const PKG = join('models', 'demo', 'packages', 'L');

let tmp: string;
let hub: LocalHub;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 't2l-hub-cache-'));
  const repo: HubRepoFixture = {
    repo: REPO,
    commit: COMMIT,
    refs: { main: COMMIT, v1: COMMIT },
    gated: false,
    files: {
      'L/t2l.json': readFileSync(join(PKG, 't2l.json'), 'utf8'),
      'L/model.onnx': new Uint8Array(readFileSync(join(PKG, 'model.onnx'))),
    },
  };
  await writeHubRepos(join(tmp, 'hub'), [repo]);
  hub = await startLocalHub({ root: join(tmp, 'hub') });
});
afterAll(async () => {
  await hub?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let n = 0;
function settings(): HubSettings {
  return { endpoint: hub.endpoint, cacheDir: join(tmp, `cache-${n++}`), offline: false };
}

describe('hubSettingsFromEnv', () => {
  it('reads the variables huggingface_hub reads', () => {
    const home = join(tmp, 'hf-home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), 'hf_from_file\n');
    const s = hubSettingsFromEnv({ HF_HOME: home, HF_ENDPOINT: 'http://mirror.example/hf/' });
    expect(s).toMatchObject({
      endpoint: 'http://mirror.example/hf',
      token: 'hf_from_file',
      cacheDir: join(home, 'hub'),
      offline: false,
    });
    expect(
      hubSettingsFromEnv({
        HF_HOME: home,
        HF_TOKEN: 'hf_env',
        HF_HUB_CACHE: '/elsewhere',
        HF_HUB_OFFLINE: 'true',
      }),
    ).toMatchObject({
      endpoint: 'https://huggingface.co',
      token: 'hf_env',
      cacheDir: '/elsewhere',
      offline: true,
    });
    expect(hubSettingsFromEnv({ XDG_CACHE_HOME: '/xdg' }).cacheDir).toBe('/xdg/huggingface/hub');
    expect(() => hubSettingsFromEnv({ HF_ENDPOINT: 'mirror.example' })).toThrow(/^HF_ENDPOINT: /);
  });
});

describe('resolveModelPath', () => {
  it('fetches a package folder: t2l.json, then the graph it names', async () => {
    const s = settings();
    const got = await resolveModelPath(`hf://${REPO}/L@v1`, s);
    expect(got.label).toBe(`hf://${REPO}/L@${COMMIT}`);
    expect(got.path).toBe(
      join(s.cacheDir, 'models--t2l-web--demo-packages', 'snapshots', COMMIT, 'L'),
    );
    expect(sha256(readFileSync(join(got.path, 'model.onnx')))).toBe(
      sha256(readFileSync(join(PKG, 'model.onnx'))),
    );
    // The branch is recorded as huggingface_hub records it.
    expect(
      readFileSync(join(s.cacheDir, 'models--t2l-web--demo-packages', 'refs', 'v1'), 'utf8'),
    ).toBe(COMMIT);
    // Offline, the branch is found through refs/.
    const offline = await resolveModelPath(`hf://${REPO}/L@v1`, { ...s, offline: true });
    expect(offline.path).toBe(got.path);
  });

  it('says what is missing in a folder that holds neither a checkpoint nor a package', async () => {
    await expect(resolveModelPath(`hf://${REPO}/nothing@main`, settings())).rejects.toThrow(
      `hf://${REPO}/nothing@main: neither a T2L checkpoint (args.yaml, adapter_config.json, hypermod.pt) nor a package (t2l.json) is there`,
    );
  });

  it('names both readings of a bare path that is neither a folder here nor a repository', async () => {
    const s = settings();
    await expect(resolveModelPath('no-such/folder/here', s)).rejects.toThrow(
      `no-such/folder/here: no such local path; as a Hub path, no-such/folder: no such repository on ${new URL(hub.endpoint).host}, or it is private (set HF_TOKEN to a token that can read it)`,
    );
  });

  it('names both readings of a bare --encoder path too', async () => {
    const s = settings();
    await expect(resolveEncoder('no-such/encoder/here', 'x/y', s)).rejects.toThrow(
      `no-such/encoder/here: no such local path; as a Hub path, cannot load the text encoder no-such/encoder (named by --encoder): no-such/encoder: no such repository on ${new URL(hub.endpoint).host}`,
    );
  });

  it('leaves local paths alone, existing ones first', () => {
    expect(hubPathOf(PKG)).toBeUndefined();
    expect(hubPathOf('models/demo')).toBeUndefined();
    expect(hubPathOf('some-owner/some-repo/sub')).toEqual({
      type: 'model',
      repo: 'some-owner/some-repo',
      path: 'sub',
    });
  });
});

describe('hubFile', () => {
  it('resumes a partial download an earlier run left', async () => {
    const s = settings();
    const bytes = new Uint8Array(readFileSync(join(PKG, 'model.onnx')));
    const sha = sha256(bytes);
    const blobs = join(s.cacheDir, 'models--t2l-web--demo-packages', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const kept = Math.floor(bytes.length / 3);
    writeFileSync(join(blobs, `${sha}.incomplete`), bytes.subarray(0, kept));
    const before = hub.requests.length;
    const got = await hubFile(s, { repo: REPO, revision: COMMIT, path: 'L/model.onnx' });
    expect(got.downloaded).toBe(true);
    expect(sha256(readFileSync(got.path))).toBe(sha);
    const gets = hub.requests.slice(before).filter((q) => q.method === 'GET');
    expect(gets.map((q) => q.range)).toEqual([`bytes=${kept}-`]);
  });

  it('checks a size the catalog records', async () => {
    await expect(
      hubFile(
        settings(),
        { repo: REPO, revision: COMMIT, path: 'L/t2l.json' },
        { known: { size: 3 } },
      ),
    ).rejects.toThrow(/the download is damaged: \d+ bytes, the catalog records 3/);
  });

  it('refuses a file by the size the Hub announces (checkSize) before any byte is fetched', async () => {
    const s = settings();
    const before = hub.requests.length;
    const announced: number[] = [];
    await expect(
      hubFile(
        s,
        { repo: REPO, revision: 'main', path: 'L/model.onnx' },
        {
          checkSize: (bytes) => {
            announced.push(bytes);
            throw new Error(`too large: ${bytes} bytes`);
          },
        },
      ),
    ).rejects.toThrow(/^too large: \d+ bytes$/);
    const size = readFileSync(join(PKG, 'model.onnx')).length;
    expect(announced).toEqual([size]);
    // Only the HEAD: no GET of the bytes, nothing in the cache.
    expect(hub.requests.slice(before).map((q) => q.method)).toEqual(['HEAD']);
    expect(() =>
      readFileSync(join(s.cacheDir, 'models--t2l-web--demo-packages', 'refs', 'main')),
    ).toThrow();
  });
});
