import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import catalog from '../../../models/catalog.json';
import { OFFICIAL_T2LS, officialHubRepos } from '../../../src/fixtures/hub-repos';
import { startLocalHub, writeHubRepos, type LocalHub } from '../../support/local-hub';

const T2L = 'SakanaAI/text-to-lora';
const PINNED = '6e571eda2188b216f027263cd28c99c0fdcf2fa3';
const ENCODER = 'Alibaba-NLP/gte-large-en-v1.5';

let root: string;
let hub: LocalHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 't2l-local-hub-'));
  await writeHubRepos(root, officialHubRepos(catalog, { gated: ['bartowski/gemma-2-2b-it-GGUF'] }));
  hub = await startLocalHub({ root });
});
afterAll(async () => {
  await hub?.stop();
  rmSync(root, { recursive: true, force: true });
});

const onDisk = (repo: string, path: string) => new Uint8Array(readFileSync(join(root, repo, path)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const get = (path: string, init: RequestInit = {}) =>
  fetch(path.startsWith('http') ? path : `${hub.endpoint}${path}`, { redirect: 'manual', ...init });

describe('local Hub', () => {
  it('lays out the official repositories as the catalog names them', () => {
    for (const t of OFFICIAL_T2LS) {
      for (const f of ['hypermod.pt', 'args.yaml', 'adapter_config.json']) {
        expect(onDisk(T2L, `trained_t2l/${t.name}/${f}`).length).toBeGreaterThan(0);
      }
      const args = new TextDecoder().decode(onDisk(T2L, `trained_t2l/${t.name}/args.yaml`));
      expect(args).toContain(`model_dir: ${t.baseModel}`);
      expect(args).toContain(`emb_model: ${ENCODER}`);
    }
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(onDisk(ENCODER, f).length).toBeGreaterThan(0);
    }
    for (const m of catalog.models) {
      if (m.baseGguf && 'hub' in m.baseGguf) {
        const gguf = onDisk(m.baseGguf.hub!, m.baseGguf.file!);
        expect(new TextDecoder().decode(gguf.subarray(0, 4))).toBe('GGUF');
      }
    }
  });

  it('answers a small file 200 with its git blob ETag and the commit', async () => {
    const path = 'trained_t2l/mistral_7b_t2l/args.yaml';
    const res = await get(`/${T2L}/resolve/${PINNED}/${path}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const bytes = onDisk(T2L, path);
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(sha256(bytes));
    const blob = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    expect(res.headers.get('etag')).toBe(`"${blob}"`);
    expect(res.headers.get('x-repo-commit')).toBe(PINNED);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  });

  it('redirects an LFS file to the CDN path, which serves ranges', async () => {
    const path = 'trained_t2l/gemma_2b_t2l/hypermod.pt';
    const bytes = onDisk(T2L, path);
    const head = await get(`/${T2L}/resolve/${PINNED}/${path}`, { method: 'HEAD' });
    expect(head.status).toBe(302);
    expect(head.headers.get('x-linked-etag')).toBe(`"${sha256(bytes)}"`);
    expect(head.headers.get('x-linked-size')).toBe(String(bytes.length));
    expect(head.headers.get('x-repo-commit')).toBe(PINNED);
    const location = head.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${hub.endpoint}/cdn-lfs/[0-9a-f]{64}\\?`));
    const full = await get(location);
    expect(sha256(new Uint8Array(await full.arrayBuffer()))).toBe(sha256(bytes));
    const part = await get(location, { headers: { Range: 'bytes=100-' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-${bytes.length - 1}/${bytes.length}`);
    expect(sha256(new Uint8Array(await part.arrayBuffer()))).toBe(sha256(bytes.subarray(100)));
    const past = await get(location, { headers: { Range: `bytes=${bytes.length}-` } });
    expect(past.status).toBe(416);
  });

  it('main of a pinned repository is another commit', async () => {
    const res = await get(`/${T2L}/resolve/main/trained_t2l/mistral_7b_t2l/args.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-repo-commit')).not.toBe(PINNED);
    expect(() => hub.assertPinned({ [T2L]: PINNED })).toThrow(/resolve\/main/);
  });

  it.each([
    [`/${T2L}/resolve/${'0'.repeat(40)}/x`, 404, 'RevisionNotFound'],
    [`/${T2L}/resolve/${PINNED}/trained_t2l/nope/args.yaml`, 404, 'EntryNotFound'],
    ['/nobody/nothing/resolve/main/x', 401, 'RepoNotFound'],
    ['/bartowski/gemma-2-2b-it-GGUF/resolve/main/gemma-2-2b-it-Q4_K_M.gguf', 401, 'GatedRepo'],
  ])('%s → %i %s', async (path, status, code) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-error-code')).toBe(code);
  });

  it('opens a gated repository with a token', async () => {
    const res = await get('/bartowski/gemma-2-2b-it-GGUF/resolve/main/gemma-2-2b-it-Q4_K_M.gguf', {
      method: 'HEAD',
      headers: { Authorization: 'Bearer hf_test' },
    });
    expect(res.status).toBe(302);
  });

  it('drops a connection halfway, once', async () => {
    const path = 'trained_t2l/llama_8b_t2l/hypermod.pt';
    const bytes = onDisk(T2L, path);
    hub.dropOnce(T2L, path, 1000);
    const res = await fetch(`${hub.endpoint}/${T2L}/resolve/${PINNED}/${path}`);
    await expect(res.arrayBuffer()).rejects.toThrow();
    const again = await fetch(`${hub.endpoint}/${T2L}/resolve/${PINNED}/${path}`);
    expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('drops every download from the start until one resumes with a Range', async () => {
    const path = 'trained_t2l/llama_8b_t2l/hypermod.pt';
    const bytes = onDisk(T2L, path);
    const url = `${hub.endpoint}/${T2L}/resolve/${PINNED}/${path}`;
    hub.dropUntilResumed(T2L, path, 1000);
    for (let i = 0; i < 2; i++) {
      const cut = await fetch(url);
      await expect(cut.arrayBuffer()).rejects.toThrow();
    }
    // A probe of the first byte is not a resume: it does not end the drops.
    const probe = await fetch(url, { headers: { Range: 'bytes=0-0' } });
    expect(new Uint8Array(await probe.arrayBuffer())).toEqual(bytes.subarray(0, 1));
    await expect((await fetch(url)).arrayBuffer()).rejects.toThrow();
    const rest = await fetch(url, { headers: { Range: 'bytes=1000-' } });
    expect(rest.status).toBe(206);
    expect(new Uint8Array(await rest.arrayBuffer())).toEqual(bytes.subarray(1000));
    const whole = await fetch(url);
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('serves damaged bytes under the right ETag when told to', async () => {
    const path = 'trained_t2l/llama_8b_t2l/hypermod.pt';
    hub.corrupt(T2L, path);
    const res = await fetch(`${hub.endpoint}/${T2L}/resolve/${PINNED}/${path}`);
    const body = new Uint8Array(await res.arrayBuffer());
    hub.repair(T2L, path);
    expect(sha256(body)).not.toBe(sha256(onDisk(T2L, path)));
    expect(body.length).toBe(onDisk(T2L, path).length);
  });

  it('answers model_info with file sizes and LFS hashes', async () => {
    const res = await get(`/api/models/${T2L}/revision/${PINNED}?blobs=true`);
    const info = (await res.json()) as {
      sha: string;
      siblings: { rfilename: string; size: number; lfs?: { sha256: string } }[];
    };
    expect(info.sha).toBe(PINNED);
    const pt = info.siblings.find((s) => s.rfilename === 'trained_t2l/mistral_7b_t2l/hypermod.pt')!;
    const bytes = onDisk(T2L, 'trained_t2l/mistral_7b_t2l/hypermod.pt');
    expect(pt.size).toBe(bytes.length);
    expect(pt.lfs?.sha256).toBe(sha256(bytes));
  });

  it('records every request', () => {
    expect(hub.requests.length).toBeGreaterThan(5);
    expect(hub.requests.some((q) => q.kind === 'cdn' && q.range === 'bytes=100-')).toBe(true);
  });
});
