/**
 * The official models' path in the CLI, through the local Hub (test/support/local-hub.ts) with
 * small shapes: `HF_ENDPOINT=… t2l generate SakanaAI/text-to-lora/trained_t2l/<name>` for every
 * official catalog entry, at the catalog's pinned commits, into the Hugging Face cache layout;
 * then offline from that cache, a damaged download, a gated repository, a dropped connection and
 * an unreachable Hub. Every CLI process runs with the host guard: any connection to another host
 * than the local Hub is refused and fails the test.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import catalog from '../../models/catalog.json';
import { OFFICIAL_T2LS, officialHubRepos } from '../../src/fixtures/hub-repos';
import { parseSafetensorsIndependently } from '../support/independent-safetensors';
import { localHubEnv, startLocalHub, writeHubRepos, type LocalHub } from '../support/local-hub';
import { t2l, type CliResult } from '../support/t2l-cli';
import { spawnServe } from '../support/t2l-serve';

const T2L = 'SakanaAI/text-to-lora';
const ENCODER = 'Alibaba-NLP/gte-large-en-v1.5';
const official = catalog.models.filter((m) => !m.demo && 'hub' in m.source);
const PINS: Record<string, string> = {
  [T2L]: official[0]!.source.revision!,
  [ENCODER]: catalog.encoders[ENCODER].revision,
};

let tmp: string;
let root: string;
let hub: LocalHub;
let guardLog: string;
let homes = 0;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 't2l-hub-cli-'));
  root = join(tmp, 'hub');
  guardLog = join(tmp, 'guard.log');
  await writeHubRepos(root, officialHubRepos(catalog));
  hub = await startLocalHub({ root });
});
afterAll(async () => {
  await hub?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh HF_HOME (an empty cache). */
function freshHome(): string {
  const home = join(tmp, `home-${homes++}`);
  mkdirSync(home, { recursive: true });
  return home;
}

function env(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE']) {
    delete base[k];
  }
  return { ...base, ...localHubEnv(hub, guardLog), HF_HOME: home, ...extra };
}

const run = (args: string[], home: string, extra?: Record<string, string>): Promise<CliResult> =>
  t2l(args, false, env(home, extra));

const generate = (name: string, out: string, home: string, extra?: Record<string, string>) =>
  run(
    [
      'generate',
      `${T2L}/trained_t2l/${name}`,
      '--description',
      'Answer grade-school math.',
      '-o',
      out,
    ],
    home,
    extra,
  );

const adapterBytes = (out: string) =>
  new Uint8Array(readFileSync(join(out, '0', 'adapter_model.safetensors')));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function expectNoOtherHost(): void {
  expect(existsSync(guardLog) ? readFileSync(guardLog, 'utf8') : '').toBe('');
}

/** The first runs' adapters, by checkpoint name (the later tests compare with them). */
const firstRun = new Map<string, Uint8Array>();
let warmHome: string;

describe('t2l generate through the local Hub', () => {
  it.each(OFFICIAL_T2LS.map((t) => [t.name, t] as const))(
    'generates from %s at the pinned commits, into the Hugging Face cache',
    async (name, t) => {
      warmHome ??= freshHome();
      const out = join(tmp, `out-${name}`);
      const before = hub.requests.length;
      const r = await generate(name, out, warmHome);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`downloaded ${T2L}/trained_t2l/${name}/hypermod.pt`);

      // The adapter: one A [r, in] and one B [out, r] per layer and module, as the fixture's sizes.
      const bytes = adapterBytes(out);
      firstRun.set(name, bytes);
      const { tensors } = parseSafetensorsIndependently(bytes);
      const sizes = t.small;
      expect(tensors.size).toBe(sizes.layers! * sizes.modules!.length * 2);
      for (const m of sizes.modules!) {
        const a = tensors.get(`base_model.model.model.layers.0.self_attn.${m.name}.lora_A.weight`)!;
        const b = tensors.get(`base_model.model.model.layers.0.self_attn.${m.name}.lora_B.weight`)!;
        expect(a.shape).toEqual([8, m.inFeatures]);
        expect(b.shape).toEqual([m.outFeatures, 8]);
        expect(a.values.some((v) => v !== 0)).toBe(true);
      }
      const config = JSON.parse(readFileSync(join(out, '0', 'adapter_config.json'), 'utf8'));
      expect(config.base_model_name_or_path).toBe(t.baseModel);
      expect(config.r).toBe(8);
      expect(config.lora_alpha).toBe(16);
      expect(config.use_rslora).toBe(true);
      const card = readFileSync(join(out, '0', 'README.md'), 'utf8');
      expect(card).toContain(`hf://${T2L}/trained_t2l/${name}@${PINS[T2L]}`);

      // Only the pinned commits were asked for (a request for main fails here).
      const mine = hub.requests.slice(before);
      expect(mine.filter((q) => q.repo === T2L && q.kind === 'resolve').length).toBeGreaterThan(0);
      hub.assertPinned(PINS);
      // The large files came through the redirect, with no token on the CDN.
      expect(mine.some((q) => q.kind === 'cdn' && q.file?.endsWith('hypermod.pt'))).toBe(true);
      expectNoOtherHost();

      // The cache is huggingface_hub's: snapshots/<commit>/<path> → ../../blobs/<etag>.
      const repoDir = join(warmHome, 'hub', 'models--SakanaAI--text-to-lora');
      const link = join(repoDir, 'snapshots', PINS[T2L]!, 'trained_t2l', name, 'hypermod.pt');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      const served = new Uint8Array(
        readFileSync(join(root, T2L, 'trained_t2l', name, 'hypermod.pt')),
      );
      expect(readlinkSync(link)).toBe(
        relative(dirname(link), join(repoDir, 'blobs', sha256(served))),
      );
      expect(sha256(new Uint8Array(readFileSync(link)))).toBe(sha256(served));
    },
  );

  it('the same files from local folders give the same adapter', async () => {
    const name = 'gemma_2b_t2l';
    const out = join(tmp, 'out-local');
    const r = await run(
      [
        'generate',
        join(root, T2L, 'trained_t2l', name),
        '--encoder',
        join(root, ENCODER),
        '--description',
        'Answer grade-school math.',
        '-o',
        out,
      ],
      freshHome(),
    );
    expect(r.code).toBe(0);
    // Same tensors; the metadata differs (it names where the checkpoint came from).
    const local = parseSafetensorsIndependently(adapterBytes(out));
    const viaHub = parseSafetensorsIndependently(firstRun.get(name)!);
    expect(local.tensors).toEqual(viaHub.tensors);
    expect(local.metadata?.['t2l.checkpoint']).not.toBe(viaHub.metadata?.['t2l.checkpoint']);
  });

  it('runs again with the local Hub stopped, from the cache', async () => {
    await hub.stop();
    try {
      const runs = await Promise.all(
        OFFICIAL_T2LS.map((t) => generate(t.name, join(tmp, `out-offline-${t.name}`), warmHome)),
      );
      for (const [i, t] of OFFICIAL_T2LS.entries()) {
        expect(runs[i]!.stderr).toBe('');
        expect(runs[i]!.code).toBe(0);
        const out = join(tmp, `out-offline-${t.name}`);
        expect(sha256(adapterBytes(out))).toBe(sha256(firstRun.get(t.name)!));
      }
    } finally {
      await hub.start();
    }
    expectNoOtherHost();
  });

  it('HF_HUB_OFFLINE=1 uses the cache and asks nothing', async () => {
    const before = hub.requests.length;
    const r = await generate('mistral_7b_t2l', join(tmp, 'out-hf-offline'), warmHome, {
      HF_HUB_OFFLINE: '1',
    });
    expect(r.code).toBe(0);
    expect(hub.requests.length).toBe(before);
  });

  it('reuses a cache written by huggingface-cli, asking the Hub nothing', async () => {
    // Laid out by hand as huggingface_hub writes it: blobs by sha256 (LFS) or git blob id,
    // relative snapshot links, refs/main holding the commit.
    const home = freshHome();
    const name = 'llama_8b_t2l';
    const put = (repo: string, commit: string, files: string[]) => {
      const repoDir = join(home, 'hub', `models--${repo.replace('/', '--')}`);
      for (const f of files) {
        const bytes = new Uint8Array(readFileSync(join(root, repo, f)));
        const etag =
          f.endsWith('.pt') || f.endsWith('.onnx')
            ? sha256(bytes)
            : createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        const blob = join(repoDir, 'blobs', etag);
        mkdirSync(dirname(blob), { recursive: true });
        writeFileSync(blob, bytes);
        const link = join(repoDir, 'snapshots', commit, f);
        mkdirSync(dirname(link), { recursive: true });
        symlinkSync(relative(dirname(link), blob), link);
      }
      mkdirSync(join(repoDir, 'refs'), { recursive: true });
      writeFileSync(join(repoDir, 'refs', 'main'), commit);
    };
    put(
      T2L,
      PINS[T2L]!,
      ['hypermod.pt', 'args.yaml', 'adapter_config.json'].map((f) => `trained_t2l/${name}/${f}`),
    );
    put(ENCODER, PINS[ENCODER]!, [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model.onnx',
    ]);
    const before = hub.requests.length;
    const out = join(tmp, 'out-hf-cli');
    const r = await generate(name, out, home);
    expect(r.code).toBe(0);
    expect(hub.requests.length).toBe(before);
    expect(sha256(adapterBytes(out))).toBe(sha256(firstRun.get(name)!));
  });

  it('inspect and convert take a Hub path', async () => {
    const r = await run(['inspect', `hf://${T2L}/trained_t2l/gemma_2b_t2l`, '--json'], warmHome);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.kind).toBe('checkpoint');
    expect(m.baseModel).toBe('google/gemma-2-2b-it');
    const out = join(tmp, 'converted');
    const c = await run(
      ['convert', `hf://${T2L}/trained_t2l/mistral_7b_t2l@${PINS[T2L]}`, '-o', out],
      warmHome,
    );
    expect(c.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['model.onnx', 't2l.json']);
    hub.assertPinned(PINS);
  });

  it('t2l try takes the catalog base GGUF as a Hub path', async () => {
    const entry = official.find((m) => m.id === 'mistral-7b-t2l')!;
    const base = entry.baseGguf as { hub: string; file: string };
    const r = await run(
      [
        'try',
        `${T2L}/trained_t2l/mistral_7b_t2l`,
        '--base',
        `${base.hub}/${base.file}`,
        '--description',
        'Answer grade-school math.',
        '--prompt',
        'hi',
        '--max-tokens',
        '4',
        '--json',
      ],
      warmHome,
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const commit = hub.repos.find((x) => x.repo === base.hub)!.commit;
    expect(out.baseModel.path).toBe(`hf://${base.hub}/${base.file}@${commit}`);
    expect(out.adapted.tokens).toHaveLength(4);
    const served = new Uint8Array(readFileSync(join(root, base.hub, base.file)));
    const cached = join(warmHome, 'hub', `models--${base.hub.replace('/', '--')}`, 'blobs');
    expect(readdirSync(cached)).toEqual([sha256(served)]);
    hub.assertPinned(PINS);
    expectNoOtherHost();
  });

  it('t2l serve serves a Hub path, with a Hub encoder', async () => {
    const srv = await spawnServe([`hf://${T2L}/trained_t2l/gemma_2b_t2l`, '--encoder', ENCODER], {
      env: env(warmHome),
    });
    try {
      const res = await fetch(`${srv.url}/v1/adapters`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          model: 'gemma_2b_t2l',
          description: 'Answer grade-school math.',
          format: 'safetensors',
        }),
      });
      expect(res.status).toBe(200);
      const served = parseSafetensorsIndependently(new Uint8Array(await res.arrayBuffer()));
      const viaCli = parseSafetensorsIndependently(firstRun.get('gemma_2b_t2l')!);
      expect(served.tensors).toEqual(viaCli.tensors);
    } finally {
      await srv.stop();
    }
    hub.assertPinned(PINS);
    expectNoOtherHost();
  });
});

describe('t2l generate when the Hub misbehaves', () => {
  it('catches a damaged download by its hash, keeps nothing of it, and recovers', async () => {
    const home = freshHome();
    const file = 'trained_t2l/gemma_2b_t2l/hypermod.pt';
    hub.corrupt(T2L, file);
    let r: CliResult;
    try {
      r = await generate('gemma_2b_t2l', join(tmp, 'out-damaged'), home);
    } finally {
      hub.repair(T2L, file);
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `\nt2l: error: ${T2L}/${file}: the download is damaged: its sha256 is [0-9a-f]{64}, its ETag says [0-9a-f]{64}`,
      ),
    );
    const blobs = join(home, 'hub', 'models--SakanaAI--text-to-lora', 'blobs');
    const served = sha256(new Uint8Array(readFileSync(join(root, T2L, file))));
    expect(existsSync(join(blobs, served))).toBe(false);
    expect(existsSync(join(blobs, `${served}.incomplete`))).toBe(false);
    const again = await generate('gemma_2b_t2l', join(tmp, 'out-repaired'), home);
    expect(again.code).toBe(0);
    expect(sha256(adapterBytes(join(tmp, 'out-repaired')))).toBe(
      sha256(firstRun.get('gemma_2b_t2l')!),
    );
  });

  it('says what to do for a gated repository without a token, and passes the token to the Hub only', async () => {
    const home = freshHome();
    hub.setGated(T2L, true);
    try {
      const r = await generate('mistral_7b_t2l', join(tmp, 'out-gated'), home);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `t2l: error: ${T2L} on ${new URL(hub.endpoint).host} is gated: it needs a Hugging Face token. Accept its terms at ${hub.endpoint}/${T2L} while signed in, then set HF_TOKEN to a token with read access (or run \`huggingface-cli login\`)\n`,
      );
      const before = hub.requests.length;
      const ok = await generate('mistral_7b_t2l', join(tmp, 'out-token'), home, {
        HF_TOKEN: 'hf_local',
      });
      expect(ok.code).toBe(0);
      const mine = hub.requests.slice(before);
      expect(mine.filter((q) => q.kind === 'resolve').every((q) => q.auth)).toBe(true);
      const cdn = mine.filter((q) => q.kind === 'cdn');
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((q) => !q.auth)).toBe(true);
    } finally {
      hub.setGated(T2L, false);
    }
  });

  it('resumes a connection dropped halfway with a Range request', async () => {
    const home = freshHome();
    const file = 'trained_t2l/mistral_7b_t2l/hypermod.pt';
    const size = readFileSync(join(root, T2L, file)).length;
    const half = Math.floor(size / 2);
    hub.dropOnce(T2L, file, half);
    const before = hub.requests.length;
    const out = join(tmp, 'out-resumed');
    const r = await generate('mistral_7b_t2l', out, home);
    expect(r.code).toBe(0);
    const gets = hub.requests
      .slice(before)
      .filter((q) => q.kind === 'cdn' && q.method === 'GET' && q.file === file);
    expect(gets.length).toBe(2);
    expect(gets[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(half);
    expect(gets[1]!.status).toBe(206);
    expect(sha256(adapterBytes(out))).toBe(sha256(firstRun.get('mistral_7b_t2l')!));
  });

  it('an unreachable Hub is one line: the host, nothing cached, what to pass instead', async () => {
    const home = freshHome();
    await hub.stop();
    let r: CliResult;
    try {
      r = await generate('mistral_7b_t2l', join(tmp, 'out-unreachable'), home);
    } finally {
      await hub.start();
    }
    const host = new URL(hub.endpoint).host;
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach the Hub at ${host} (connection refused)`);
    expect(r.stderr).toContain(
      'nothing is cached for SakanaAI/text-to-lora/trained_t2l/mistral_7b_t2l/args.yaml',
    );
    expect(r.stderr).toContain('or pass the path of a local checkpoint or package folder');
    expect(r.stderr).not.toMatch(/TypeError|fetch failed/);
    expectNoOtherHost();
  });

  it('a package naming a Hub encoder that cannot be reached: one line, with --encoder to pass', async () => {
    const home = freshHome();
    await hub.stop();
    let r: CliResult;
    try {
      // A checkpoint whose args.yaml names gte-large-en-v1.5 (the conformance fixture).
      r = await run(
        [
          'generate',
          join('test', 'fixtures', 'conformance', 'L-sft'),
          '--description',
          'hi',
          '-o',
          join(tmp, 'out-no-encoder'),
        ],
        home,
      );
    } finally {
      await hub.start();
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `t2l: error: Cannot load the text encoder ${ENCODER} (named by the package): cannot reach the Hub at ${new URL(hub.endpoint).host} (connection refused), and nothing is cached for ${ENCODER}/config.json at ${PINS[ENCODER]} in ${join(home, 'hub')}; connect to the network, set HF_ENDPOINT to a Hub mirror you can reach, or pass --encoder <local encoder folder>\n`,
    );
    expectNoOtherHost();
  });
});

describe('the demo without --encoder', () => {
  it('finds its own encoder folder and asks no Hub', async () => {
    const out = join(tmp, 'out-demo');
    const before = hub.requests.length;
    const r = await t2l(
      ['generate', 'models/demo/packages/L', '--description', 'hi', '-o', out],
      true,
      env(freshHome()),
    );
    // npx itself may warn about the npm configuration; t2l says nothing.
    expect(r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'))).toEqual([]);
    expect(r.code).toBe(0);
    expect(parseSafetensorsIndependently(adapterBytes(out)).tensors.size).toBeGreaterThan(0);
    expect(hub.requests.length).toBe(before);
    expectNoOtherHost();
  });
});
