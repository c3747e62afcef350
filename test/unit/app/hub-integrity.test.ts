/**
 * Issue #20 item 5 (page side): a damaged download of a Hub file at a pinned commit is caught by
 * its hash in the page's downloader (src/app/worker/downloads.ts), checked against the record the
 * Hub's API keeps (src/core/hub/model-info.ts), through the project's local Hub over real HTTP.
 * The expected hashes are computed here with node:crypto, not with the code under test.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { hubFileUrl } from '../../../src/core/hub/endpoint';
import {
  differsFromHubRecord,
  MODEL_INFO_MAX_BYTES,
  parseModelInfo,
  parseResolveUrl,
} from '../../../src/core/hub/model-info';
import { fakeCommit } from '../../../src/fixtures/hub-repos';
import { download, type DownloadContext } from '../../../src/app/worker/downloads';
import { clearHubRecords, hubRecordFor } from '../../../src/app/worker/hub-integrity';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../support/local-hub';

const REPO = 'owner/weights';
const COMMIT = fakeCommit(REPO);
const LFS = new Uint8Array(4096).map((_, i) => (i * 31 + 7) & 255);
const TEXT = 'lora_rank: 8\nlora_alpha: 16\n';

let root: string;
let hub: LocalHub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't2l-hub-integrity-'));
  await writeHubRepos(root, [
    {
      repo: REPO,
      commit: COMMIT,
      refs: { main: COMMIT },
      gated: false,
      files: { 'sub dir/w.pt': LFS, 'args.yaml': TEXT },
    },
  ]);
  hub = await startLocalHub({ root });
});
afterAll(async () => {
  await hub.stop();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  clearHubRecords();
  hub.repair(REPO, 'sub dir/w.pt');
  hub.repair(REPO, 'args.yaml');
});

function ctx(endpoint: string | undefined = hub.endpoint): DownloadContext {
  return {
    signal: new AbortController().signal,
    progress: () => undefined,
    headersFor: () => ({}),
    hubEndpoint: endpoint,
  };
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('a fresh download of a Hub file at a commit', () => {
  it('is used when it is the file the Hub records (LFS through the redirect, and a git file)', async () => {
    const lfs = await download(hubFileUrl(hub.endpoint, REPO, COMMIT, 'sub dir/w.pt'), ctx());
    expect(sha256(lfs)).toBe(sha256(LFS));
    const text = await download(hubFileUrl(hub.endpoint, REPO, COMMIT, 'args.yaml'), ctx());
    expect(new TextDecoder().decode(text)).toBe(TEXT);
    // One listing for the repository and commit, asked of the endpoint's API.
    const api = hub.requests.filter((r) => r.kind === 'api');
    expect(api.map((r) => r.url)).toEqual([`/api/models/${REPO}/revision/${COMMIT}?blobs=true`]);
  });

  it('is refused when its bytes differ from the Hub record: sha256 for LFS, the git blob id otherwise', async () => {
    hub.corrupt(REPO, 'sub dir/w.pt');
    const lfsUrl = hubFileUrl(hub.endpoint, REPO, COMMIT, 'sub dir/w.pt');
    const err = await download(lfsUrl, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(T2LError);
    expect((err as T2LError).message).toContain(lfsUrl);
    expect((err as T2LError).message).toMatch(/SHA-256 .* where the Hub records/);

    hub.corrupt(REPO, 'args.yaml');
    const textUrl = hubFileUrl(hub.endpoint, REPO, COMMIT, 'args.yaml');
    await expect(download(textUrl, ctx())).rejects.toThrow(/git blob id .* where the Hub records/);

    hub.repair(REPO, 'sub dir/w.pt');
    expect(sha256(await download(lfsUrl, ctx()))).toBe(sha256(LFS));
  });

  it('is not checked against another endpoint, or at a branch (whose files may move)', async () => {
    const before = hub.requests.length;
    hub.corrupt(REPO, 'args.yaml');
    const atMain = hubFileUrl(hub.endpoint, REPO, 'main', 'args.yaml');
    expect((await download(atMain, ctx())).length).toBe(TEXT.length);
    const atCommit = hubFileUrl(hub.endpoint, REPO, COMMIT, 'args.yaml');
    expect((await download(atCommit, ctx('http://127.0.0.1:9'))).length).toBe(TEXT.length);
    expect(hub.requests.slice(before).filter((r) => r.kind === 'api')).toEqual([]);
  });
});

describe('the Hub record', () => {
  it('git blob ids and sha256 as computed independently', async () => {
    const bytes = new TextEncoder().encode(TEXT);
    const gitSha1 = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    expect(await differsFromHubRecord(bytes, { size: bytes.length, gitSha1 })).toBeNull();
    expect(await differsFromHubRecord(LFS, { size: LFS.length, sha256: sha256(LFS) })).toBeNull();
    const flipped = LFS.slice();
    flipped[100] = flipped[100]! ^ 1;
    expect(await differsFromHubRecord(flipped, { size: LFS.length, sha256: sha256(LFS) })).toMatch(
      /SHA-256/,
    );
    expect(await differsFromHubRecord(LFS.subarray(1), { size: LFS.length })).toMatch(
      /4095 bytes where the Hub records 4096/,
    );
  });

  it('an API answer of another shape is an error naming the key', () => {
    expect(() =>
      parseModelInfo({ siblings: [{ rfilename: 'a', lfs: { sha256: 'xyz', size: 1 } }] }, 'API'),
    ).toThrow(/API: siblings\.0\.lfs\.sha256/);
    expect(() => parseModelInfo({}, 'API')).toThrow(/API: siblings/);
  });

  it('resolve URLs read back into repo, revision and path', () => {
    const url = hubFileUrl('http://h:1/p', 'o/r', 'refs/pr/1', 'a b/c.pt', 'dataset');
    expect(parseResolveUrl(url, 'http://h:1/p')).toEqual({
      type: 'dataset',
      repo: 'o/r',
      revision: 'refs/pr/1',
      path: 'a b/c.pt',
    });
    expect(parseResolveUrl(url, 'http://h:1')).toBeUndefined();
    expect(parseResolveUrl('http://h:1/p/o/r/blob/x/y', 'http://h:1/p')).toBeUndefined();
  });
});

describe("the API's answer, read as it comes", () => {
  const ENDPOINT = 'http://127.0.0.1:9';
  const url = hubFileUrl(ENDPOINT, REPO, COMMIT, 'w.pt');
  const listing = new TextEncoder().encode(
    JSON.stringify({ siblings: [{ rfilename: 'w.pt', size: 7, blobId: 'a'.repeat(40) }] }),
  );
  /** An answer streamed in `chunks`, without a Content-Length (as a chunked answer comes). */
  const streamed = (chunks: Uint8Array[]) => {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    vi.stubGlobal('fetch', async () => new Response(body, { status: 200 }));
  };
  afterEach(() => vi.unstubAllGlobals());

  it('joins a listing that comes in several pieces', async () => {
    streamed([listing.subarray(0, 5), listing.subarray(5, 20), listing.subarray(20)]);
    expect(await hubRecordFor(url, ctx(ENDPOINT))).toEqual({ size: 7, gitSha1: 'a'.repeat(40) });
  });

  it('reads an answer of exactly the limit, and stops one byte past it', async () => {
    // JSON may end in white space: the listing padded to MODEL_INFO_MAX_BYTES.
    const padding = new Uint8Array(MODEL_INFO_MAX_BYTES - listing.length).fill(32);
    streamed([listing, padding]);
    expect(await hubRecordFor(url, ctx(ENDPOINT))).toEqual({ size: 7, gitSha1: 'a'.repeat(40) });
    clearHubRecords();
    streamed([listing, padding, new Uint8Array(1).fill(32)]);
    await expect(hubRecordFor(url, ctx(ENDPOINT))).rejects.toThrow(
      `the answer is over ${MODEL_INFO_MAX_BYTES} bytes`,
    );
  });
});
