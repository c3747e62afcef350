/**
 * The input cases of issue #12 (test/fixtures/cases/, copied from ../shared/cases): each asserts
 * the right result its README names. Packages and checkpoints are the demo models, rebuilt in
 * memory from their recipe (src/fixtures/demo.ts), with the case's file put in.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDescription } from '../../../src/core/encoder/format';
import { T2LError } from '../../../src/core/errors';
import { memorySource } from '../../../src/core/files';
import { loadCheckpoint } from '../../../src/core/checkpoint/load';
import { PyDict, StorageRef, TensorRef, unpickle } from '../../../src/core/checkpoint/pickle';
import { readTorchCheckpoint, readTorchStateDict } from '../../../src/core/checkpoint/torch-file';
import { writeTorchStateDict } from '../../../src/core/checkpoint/torch-writer';
import { zipMembers } from '../../../src/core/checkpoint/zip-view';
import {
  convertCheckpoint,
  openModel,
  packageFiles,
  readPackage,
} from '../../../src/core/package/model';
import { demoCheckpointFiles } from '../../../src/fixtures/demo';
import { dirSource, modelDirSource } from '../../../src/node/fs-source';
import { refusal } from '../../support/refusal';

const CASES = join(import.meta.dirname, '..', '..', 'fixtures', 'cases');
const caseFile = (...p: string[]) => readFileSync(join(CASES, ...p));

const graphs: Record<string, Uint8Array> = {};
beforeAll(async () => {
  for (const v of ['S', 'M']) {
    const ckpt = await loadCheckpoint(memorySource(`demo/${v}`, { ...demoCheckpointFiles(v) }));
    graphs[v] = convertCheckpoint(ckpt).graph;
  }
});

describe('fuzz-manifest-crash: t2l.json fields are checked, not trusted', () => {
  const cases: [string, string, RegExp][] = [
    ['weights-stored-null', 'S', /weights\.stored: expected record, found null/],
    ['weights-empty-array', 'M', /weights: expected object, found \[\]/],
    ['fidelity-no-meanCosine', 'S', /fidelity\.meanCosine: expected number, found nothing/],
    ['no-paramCount', 'S', /paramCount: expected number, found nothing/],
  ];
  for (const [name, variant, message] of cases) {
    it(`${name}: a bad-package T2LError naming the key`, async () => {
      const e = await refusal(
        readPackage(
          memorySource(name, {
            't2l.json': caseFile('fuzz-manifest-crash', name, 't2l.json'),
            'model.onnx': graphs[variant]!,
          }),
        ),
      );
      expect(e.code).toBe('bad-package');
      expect(e.message).toMatch(new RegExp(`^${name}/t2l\\.json: `));
      expect(e.message).toMatch(message);
    });
  }

  it('graph-dev-zero: a graph outside the folder is refused before anything is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't2l-case-'));
    writeFileSync(
      join(dir, 't2l.json'),
      caseFile('fuzz-manifest-crash', 'graph-dev-zero', 't2l.json'),
    );
    const e = await refusal(readPackage(dirSource(dir)));
    expect(e.code).toBe('bad-package');
    expect(e.message).toMatch(
      /graph: expected a plain file name inside the package folder, found "\.\.\/\.\./,
    );
  });

  it('a graph name that is a folder, a device or missing is a T2LError, never EISDIR or an endless read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 't2l-case-'));
    const manifest = JSON.parse(
      caseFile('fuzz-manifest-crash', 'graph-dev-zero', 't2l.json').toString(),
    ) as Record<string, unknown>;
    const write = (graph: string) =>
      writeFileSync(join(dir, 't2l.json'), JSON.stringify({ ...manifest, graph }));
    mkdirSync(join(dir, 'folder.onnx'));
    symlinkSync('/dev/zero', join(dir, 'zero.onnx'));
    for (const [graph, message] of [
      ['', /graph: /],
      [
        'folder.onnx',
        /folder\.onnx: is a folder, expected the ONNX graph file \(t2l\.json graph\)/,
      ],
      ['zero.onnx', /names the graph zero\.onnx, which is missing/],
      ['absent.onnx', /names the graph absent\.onnx, which is missing/],
    ] as const) {
      write(graph);
      const e = await refusal(readPackage(dirSource(dir)));
      expect(e.code).toBe('bad-package');
      expect(e.message).toMatch(message);
    }
    const e = await refusal(dirSource(dir).read('zero.onnx'));
    expect(e.message).toMatch(/zero\.onnx: not a regular file/);
    expect((await refusal(dirSource(dir).read('folder.onnx'))).message).toMatch(
      /folder\.onnx: is a folder, expected a file/,
    );
    expect((await refusal(dirSource(dir).read('../etc/passwd'))).code).toBe('bad-input');
  });
});

describe('fuzz-manifest-wrong-adapter: a manifest that disagrees with its graph is refused', () => {
  const r16 = () =>
    JSON.parse(caseFile('fuzz-manifest-wrong-adapter', 'r16', 't2l.json').toString());
  const read = (manifest: unknown) =>
    readPackage(
      memorySource('r16', { 't2l.json': JSON.stringify(manifest), 'model.onnx': graphs['M']! }),
    );

  it('r16: adapterConfig.r 16 over a rank-8 package', async () => {
    const e = await refusal(read(r16()));
    expect(e.code).toBe('bad-package');
    expect(e.message).toContain("adapterConfig.r is 16 but the package's rank is 8");
  });

  it('the same manifest with rank 16 too: the graph says rank 8', async () => {
    const e = await refusal(read({ ...r16(), rank: 16 }));
    expect(e.code).toBe('bad-package');
    expect(e.message).toMatch(
      /the graph and t2l\.json disagree: output q_proj\.lora_A is \[N, 4, 8, 64\], expected float32 \[N, 4, 16, 64\]/,
    );
  });

  it("target_modules other than the graph's modules, and r that is not a number", async () => {
    const base = { ...r16(), adapterConfig: { ...r16().adapterConfig, r: 8 } };
    await expect(read(base)).resolves.toBeDefined(); // the fixed manifest is accepted
    for (const tm of [[], ['q_proj'], ['k_proj', 'o_proj']]) {
      const e = await refusal(
        read({ ...base, adapterConfig: { ...base.adapterConfig, target_modules: tm } }),
      );
      expect(e.code).toBe('bad-package');
      expect(e.message).toMatch(/adapterConfig/);
    }
    for (const r of [0, 4, 'x']) {
      const e = await refusal(read({ ...base, adapterConfig: { ...base.adapterConfig, r } }));
      expect(e.code).toBe('bad-package');
    }
    const renamed = {
      ...base,
      modules: base.modules.map((m: { name: string }) => ({
        ...m,
        name: m.name === 'v_proj' ? 'k_proj' : m.name,
      })),
      moduleOrder: ['q_proj', 'k_proj'],
      adapterConfig: { ...base.adapterConfig, target_modules: ['q_proj', 'k_proj'] },
    };
    expect((await refusal(read(renamed))).message).toMatch(
      /the graph has no output k_proj\.lora_A/,
    );
    const e = await refusal(read({ ...base, layers: 2 }));
    expect(e.message).toMatch(/expected float32 \[N, 2, 8, 64\]/);
  });
});

describe('a manifest whose module order or latent size disagrees with what the graph states is refused', () => {
  const manifestM = async () =>
    (
      await readPackage(
        memorySource(
          'M',
          packageFiles(
            convertCheckpoint(
              await loadCheckpoint(memorySource('M', { ...demoCheckpointFiles('M') })),
            ),
          ),
        ),
      )
    ).manifest;

  it('moduleOrder swapped: both orders named (the graph states its own in t2l.manifest metadata)', async () => {
    const m = await manifestM();
    expect(m.moduleOrder).toEqual(['q_proj', 'v_proj']);
    const swapped = { ...m, moduleOrder: ['v_proj', 'q_proj'] };
    const e = await refusal(
      readPackage(
        memorySource('M', { 't2l.json': JSON.stringify(swapped), 'model.onnx': graphs['M']! }),
      ),
    );
    expect(e.code).toBe('bad-package');
    expect(e.message).toBe(
      'M/model.onnx: the graph and t2l.json disagree: moduleOrder is ["v_proj","q_proj"] in t2l.json but ["q_proj","v_proj"] in the graph (t2l.manifest metadata)',
    );
  });

  it('latentSize changed: named from the metadata, and from the encoded_task_emb output', async () => {
    const m = await manifestM();
    const bigger = { ...m, latentSize: m.latentSize * 2 };
    const e = await refusal(
      readPackage(
        memorySource('M', { 't2l.json': JSON.stringify(bigger), 'model.onnx': graphs['M']! }),
      ),
    );
    expect(e.message).toContain(
      `latentSize is ${m.latentSize * 2} in t2l.json but ${m.latentSize} in the graph`,
    );
    // A graph without that metadata still states Z through its encoded_task_emb output [N, Z/2].
    const ckpt = await loadCheckpoint(memorySource('M', { ...demoCheckpointFiles('M') }));
    const graph = convertCheckpoint(ckpt, {
      encodedOutput: true,
      metadata: { 't2l.manifest': '{}' },
    }).graph;
    const e2 = await refusal(
      readPackage(memorySource('M', { 't2l.json': JSON.stringify(bigger), 'model.onnx': graph })),
    );
    expect(e2.message).toContain(
      `output encoded_task_emb is [N, ${m.latentSize / 2}], expected float32 [N, ${m.latentSize}] from t2l.json`,
    );
    await expect(
      readPackage(memorySource('M', { 't2l.json': JSON.stringify(m), 'model.onnx': graph })),
    ).resolves.toBeDefined();
  });
});

describe('a manifest whose variant or precision disagrees with what the graph states is refused', () => {
  const packageM = async () =>
    readPackage(
      memorySource(
        'M',
        packageFiles(
          convertCheckpoint(
            await loadCheckpoint(memorySource('M', { ...demoCheckpointFiles('M') })),
          ),
        ),
      ),
    );
  const readOver = (manifest: unknown, graph: Uint8Array = graphs['M']!) =>
    readPackage(memorySource('M', { 't2l.json': JSON.stringify(manifest), 'model.onnx': graph }));

  it.each([
    ['variant', 'L', 'M'],
    ['precision', 'q4', 'fp32'],
  ] as const)('%s "%s" over a graph that says "%s": both named', async (key, claimed, actual) => {
    const { manifest: m } = await packageM();
    expect(m[key]).toBe(actual);
    const e = await refusal(readOver({ ...m, [key]: claimed }));
    expect(e.code).toBe('bad-package');
    expect(e.message).toBe(
      `M/model.onnx: the graph and t2l.json disagree: ${key} is "${claimed}" in t2l.json but "${actual}" in the graph (t2l.manifest metadata)`,
    );
  });

  it('the other facts the graph states (paramCount, encoder) are compared too; key order does not matter', async () => {
    const { manifest: m } = await packageM();
    const e = await refusal(readOver({ ...m, paramCount: m.paramCount + 1 }));
    expect(e.message).toContain(
      `paramCount is ${m.paramCount + 1} in t2l.json but ${m.paramCount} in the graph`,
    );
    const e2 = await refusal(readOver({ ...m, encoder: 'someone/other-encoder' }));
    expect(e2.message).toContain(
      `encoder is "someone/other-encoder" in t2l.json but "${m.encoder}" in the graph`,
    );
    const reordered = {
      ...m,
      modules: m.modules.map(({ outFeatures, inFeatures, name }) => ({
        outFeatures,
        inFeatures,
        name,
      })),
    };
    await expect(readOver(reordered)).resolves.toBeDefined();
  });

  it("a graph without t2l.manifest metadata (older packages) keeps today's checks", async () => {
    const { manifest: m } = await packageM();
    const ckpt = await loadCheckpoint(memorySource('M', { ...demoCheckpointFiles('M') }));
    const graph = convertCheckpoint(ckpt, { metadata: { 't2l.manifest': '{}' } }).graph;
    await expect(readOver({ ...m, variant: 'L', precision: 'q4' }, graph)).resolves.toBeDefined();
  });
});

describe('a manifest names its text encoder by Hub id, never by a path outside the package', () => {
  const base = async () =>
    (
      await readPackage(
        memorySource('S', packageFiles({ manifest: await manifestS(), graph: graphs['S']! })),
      )
    ).manifest;
  const manifestS = async () =>
    convertCheckpoint(await loadCheckpoint(memorySource('S', { ...demoCheckpointFiles('S') })))
      .manifest;
  // A graph that states no manifest, so only the encoder's form is in question.
  const bare = async () =>
    convertCheckpoint(await loadCheckpoint(memorySource('S', { ...demoCheckpointFiles('S') })), {
      metadata: { 't2l.manifest': '{}' },
    }).graph;
  const readWith = async (encoder: string) =>
    readPackage(
      memorySource('S', {
        't2l.json': JSON.stringify({ ...(await base()), encoder }),
        'model.onnx': await bare(),
      }),
    );

  for (const [what, encoder] of [
    ['an absolute path', '/abs/path/encoder'],
    ['a ../ path', '../../x'],
    ['a ../ path with an owner', 'owner/../../x'],
    ['a backslash', 'owner\\name'],
    ['a Windows drive', 'C:/encoders/gte'],
    ['a bare folder name', 'encoder'],
  ] as const) {
    it(`${what} in t2l.json encoder: bad-package naming the file, the key, expected and found`, async () => {
      const e = await refusal(readWith(encoder));
      expect(e.code).toBe('bad-package');
      expect(e.message).toBe(
        `S/t2l.json: encoder: expected a Hugging Face Hub model id (owner/name), not a local path, found ${JSON.stringify(encoder)}`,
      );
    });
  }

  it('args.yaml emb_model that is a path: bad-config naming args.yaml and emb_model', async () => {
    const files = { ...demoCheckpointFiles('S') };
    const raw = files['args.yaml'] as string | Uint8Array;
    const args = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
    expect(args).toMatch(/^emb_model: /m);
    const e = await refusal(
      loadCheckpoint(
        memorySource('S', {
          ...files,
          'args.yaml': new TextEncoder().encode(
            args.replace(/^emb_model: .*$/m, 'emb_model: /home/someone/encoder'),
          ),
        }),
      ),
    );
    expect(e.code).toBe('bad-config');
    expect(e.message).toMatch(
      /args\.yaml: emb_model: expected a Hugging Face Hub model id \(owner\/name\), not a local path, found "\/home\/someone\/encoder"/,
    );
  });

  it('a Hub id is accepted, as the encoder', async () => {
    for (const id of ['Alibaba-NLP/gte-large-en-v1.5', 't2l-web/tiny-demo-encoder', 'a_b/c.d-e']) {
      expect((await readWith(id)).manifest.encoder).toBe(id);
    }
  });
});

/** The case's data.pkl in a zip with zero-filled storage records of the sizes it declares. */
function withCasePickle(name: string): Uint8Array {
  const pkl = caseFile('fuzz-pickle-stride0', name, 'data.pkl');
  const files: Record<string, Uint8Array> = {
    'hypermod/data.pkl': new Uint8Array(pkl),
    'hypermod/byteorder': new TextEncoder().encode('little'),
  };
  const top = unpickle(new Uint8Array(pkl), 'data.pkl');
  expect(top).toBeInstanceOf(PyDict);
  for (const v of (top as PyDict).map.values()) {
    if (v instanceof TensorRef) {
      const s: StorageRef = v.storage;
      files[`hypermod/data/${s.key}`] = new Uint8Array(Math.min(s.numel, 1 << 20) * 4);
    }
  }
  return zipSync(files, { level: 0 });
}

describe('fuzz-pickle-stride0: tensor spans are bounded before allocating', () => {
  for (const [name, size] of [
    ['rangeerror', '68719476736'],
    ['hang-size2e32-stride0', '4294967296'],
    ['slow-size1e8-stride0', '100000000'],
  ]) {
    it(`${name}: an immediate bad-pickle T2LError`, async () => {
      const e = await refusal(() => readTorchStateDict(withCasePickle(name!)));
      expect(e.code).toBe('bad-pickle');
      expect(e.message).toContain(`has ${size} elements but storage`);
    });
  }
});

describe('fuzz-zip-bomb: deflated members inflate only within a budget tied to the file size', () => {
  it('a member declaring 16 MiB in a small file is refused before inflating', () => {
    const files = { ...demoCheckpointFiles('S') };
    const members = zipMembers(files['hypermod.pt']);
    const zeros = new Uint8Array(16 << 20);
    const bomb: Record<string, [Uint8Array, { level: 0 | 9 }]> = {};
    for (const [n, data] of Object.entries(members)) {
      bomb[n] = n.endsWith('/data/0') ? [zeros, { level: 9 }] : [data, { level: 0 }];
    }
    const pt = zipSync(bomb);
    expect(pt.length).toBeLessThan(2 << 20);
    let caught: unknown;
    try {
      readTorchStateDict(pt);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(T2LError);
    expect((caught as T2LError).code).toBe('bad-zip');
    expect((caught as T2LError).message).toMatch(
      /deflated member hypermod\/data\/0 declares 16777216 bytes, more than this \d+-byte file may inflate to/,
    );
  });

  it('a small deflated member within the budget still reads (zips made by other tools)', () => {
    const members = zipMembers(demoCheckpointFiles('S')['hypermod.pt']);
    const deflated: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
    for (const [n, data] of Object.entries(members)) deflated[n] = [data, { level: 6 }];
    const a = readTorchStateDict(zipSync(deflated));
    const b = readTorchStateDict(demoCheckpointFiles('S')['hypermod.pt']);
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.get('mixer.1.weight')!.data).toEqual(b.get('mixer.1.weight')!.data);
  });
});

describe('state-dict-int-buffer: unused entries are ignored whatever their dtype', () => {
  const withBuffer = (key: string) => {
    const files = { ...demoCheckpointFiles('M') };
    const sd = readTorchStateDict(files['hypermod.pt']);
    const entries: [string, unknown][] = [...sd.entries()];
    entries.push([key, { shape: [4], data: new BigInt64Array([0n, 1n, 2n, 3n]) }]);
    return {
      ...files,
      'hypermod.pt': writeTorchStateDict(entries as Parameters<typeof writeTorchStateDict>[0], {
        root: 'hypermod',
      }),
    };
  };

  it('an extra int64 layer_indices loads, and generates what the checkpoint without it does', async () => {
    const files = withBuffer('layer_indices');
    const { skipped } = readTorchCheckpoint(files['hypermod.pt']);
    expect([...skipped]).toEqual([['layer_indices', 'LongStorage']]);
    const a = await loadCheckpoint(memorySource('ck', files));
    const b = await loadCheckpoint(memorySource('ck', { ...demoCheckpointFiles('M') }));
    expect(a.skipped).toEqual(['layer_indices']);
    expect(a.spec).toEqual(b.spec);
    const same = Buffer.from(convertCheckpoint(a).graph).equals(convertCheckpoint(b).graph);
    expect(same).toBe(true);
  });

  it('a needed tensor stored as int64 is still refused, naming it', async () => {
    const files = { ...demoCheckpointFiles('M') };
    const sd = readTorchStateDict(files['hypermod.pt']);
    const entries: [string, unknown][] = [...sd.entries()].map(([k, t]) =>
      k === 'mixer.4.bias'
        ? [k, { shape: t.shape, data: new BigInt64Array(t.data.length) }]
        : [k, t],
    );
    const e = await refusal(
      loadCheckpoint(
        memorySource('ck', {
          ...files,
          'hypermod.pt': writeTorchStateDict(entries as Parameters<typeof writeTorchStateDict>[0]),
        }),
      ),
    );
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(
      /tensor "mixer\.4\.bias" is stored as torch\.LongStorage; unsupported dtype/,
    );
  });
});

describe('checkpoint-it-dir-layout: run/checkpoints/it_N finds the run folder files', () => {
  it('reads args.yaml and adapter_config.json from run/ as load_hypermod_checkpoint does', async () => {
    const root = mkdtempSync(join(tmpdir(), 't2l-case-'));
    const files = demoCheckpointFiles('M');
    const it100 = join(root, 'run', 'checkpoints', 'it_100');
    mkdirSync(it100, { recursive: true });
    writeFileSync(join(root, 'run', 'args.yaml'), files['args.yaml']);
    writeFileSync(join(root, 'run', 'adapter_config.json'), files['adapter_config.json']);
    writeFileSync(join(it100, 'hypermod.pt'), files['hypermod.pt']);
    const model = await openModel(modelDirSource(it100));
    expect(model.manifest.variant).toBe('M');
    expect(model.manifest.rank).toBe(8);
    // Files in the it_N folder itself win over the run folder's.
    writeFileSync(join(it100, 'args.yaml'), 'shared_AB_head: false\n');
    await expect(openModel(modelDirSource(it100))).rejects.toThrow(/args\.yaml describes T2L-L/);
  });

  it('says where it looked when neither folder has the file', async () => {
    const root = mkdtempSync(join(tmpdir(), 't2l-case-'));
    const it100 = join(root, 'run', 'checkpoints', 'it_100');
    mkdirSync(it100, { recursive: true });
    writeFileSync(join(it100, 'hypermod.pt'), demoCheckpointFiles('M')['hypermod.pt']);
    const e = await refusal(openModel(modelDirSource(it100)));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain(
      `no args.yaml (not in ${it100} nor in the run folder ${join(root, 'run')}/)`,
    );
  });
});

describe('quoted-description: quotes and spaces around a description are stripped as generate_lora.py does', () => {
  it('"Solve math word problems" and the bare text format alike', () => {
    expect(formatDescription('"Solve math word problems"')).toBe('Solve math word problems.');
    expect(formatDescription("'Solve math word problems'")).toBe('Solve math word problems.');
    expect(formatDescription(' " Solve math word problems " ')).toBe('Solve math word problems.');
    expect(formatDescription('Solve math word problems')).toBe('Solve math word problems.');
  });

  it('strips only ", \' and spaces before the white-space strip, like strip("\\"\' ") then str.strip()', () => {
    // A newline or tab stops the quote strip at that end; str.strip() then removes it, and the
    // quote behind it stays (Python: '"Summarize"\n'.strip("\"' ").strip() == 'Summarize"').
    expect(formatDescription('"Summarize"\n')).toBe('Summarize"');
    expect(formatDescription('\t"Summarize"')).toBe('"Summarize.');
    expect(formatDescription('Say "hi"')).toBe('Say "hi.');
    expect(formatDescription('«Summarize»')).toBe('«Summarize»');
    expect(() => formatDescription('" \' "')).toThrow(T2LError);
  });
});
