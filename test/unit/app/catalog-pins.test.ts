/**
 * Issue #14 item 8: the catalog pins the Hub revision of every official checkpoint and of the text
 * encoder (a branch could change the adapters under it), and files with a recorded size or hash are
 * checked when downloaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  encoderRevision,
  encoderTable,
  knownFiles,
  parseCatalog,
} from '../../../src/app/shared/catalog';
import { firstDownload } from '../../../src/app/generate/first-download';
import { differsFromKnown, storedHashIsKnown } from '../../../src/app/worker/known-files';

const ROOT = join(import.meta.dirname, '../../..');
const real = () => JSON.parse(readFileSync(join(ROOT, 'models/catalog.json'), 'utf8')) as unknown;
const COMMIT = '6e571eda2188b216f027263cd28c99c0fdcf2fa3';
const ENCODER_COMMIT = '104333d6af6f97649377c2afbde10a7704870c7b';

function hubEntry(revision?: unknown) {
  return {
    id: 'x',
    name: 'X',
    baseModel: 'b',
    description: '',
    source: { kind: 'checkpoint', hub: 'SakanaAI/text-to-lora', path: 'trained_t2l/x', revision },
  };
}

const catalogWith = (model: object, encoders: object = {}) => ({ models: [model], encoders });

describe('the catalog schema', () => {
  it('requires a 40-hex commit for every Hub checkpoint', () => {
    expect(() => parseCatalog(catalogWith(hubEntry(COMMIT)))).not.toThrow();
    for (const bad of [undefined, 'main', 'v1.0', COMMIT.slice(0, 7), COMMIT.toUpperCase(), 42]) {
      expect(() => parseCatalog(catalogWith(hubEntry(bad)))).toThrow(
        /models\[0\]\.source\.revision must pin a commit of SakanaAI\/text-to-lora \(40 hex digits\)/,
      );
    }
  });

  it('requires a 40-hex commit for every Hub text encoder, not for a folder', () => {
    const demo = { ...hubEntry(COMMIT), source: { kind: 'package', url: 'models/demo/x/' } };
    const hub = (revision?: string) => ({ 'Org/enc': { hub: 'Org/enc', revision } });
    expect(() => parseCatalog(catalogWith(demo, hub(ENCODER_COMMIT)))).not.toThrow();
    expect(() => parseCatalog(catalogWith(demo, hub()))).toThrow(
      /encoders\["Org\/enc"\]\.revision must pin a commit of Org\/enc/,
    );
    expect(() => parseCatalog(catalogWith(demo, hub('main')))).toThrow(/not "main"/);
    expect(() =>
      parseCatalog(catalogWith(demo, { 'local/enc': { url: 'models/demo/encoder/' } })),
    ).not.toThrow();
  });

  it('checks recorded file sizes and hashes', () => {
    const withFiles = (files: unknown) =>
      catalogWith(hubEntry(COMMIT), { 'Org/enc': { revision: ENCODER_COMMIT, files } });
    expect(() =>
      parseCatalog(withFiles({ 'onnx/model.onnx': { size: 10, sha256: 'ab'.repeat(32) } })),
    ).not.toThrow();
    expect(() => parseCatalog(withFiles({ 'onnx/model.onnx': { size: -1 } }))).toThrow(
      /\.files\["onnx\/model\.onnx"\]\.size must be a whole number of bytes/,
    );
    expect(() =>
      parseCatalog(withFiles({ 'onnx/model.onnx': { size: 1, sha256: 'abc' } })),
    ).toThrow(/sha256 must be 64 hex digits/);
  });
});

describe('models/catalog.json', () => {
  const catalog = parseCatalog(real());

  it('pins the official checkpoints and gte-large-en-v1.5 to commits', () => {
    // The demo encoder's folder URL is resolved against the page.
    vi.stubGlobal('location', new URL('http://localhost:5173/'));
    const official = catalog.models.filter((m) => m.source.hub);
    expect(official.length).toBe(3);
    for (const m of official) expect(m.source.revision).toBe(COMMIT);
    const gte = catalog.encoders['Alibaba-NLP/gte-large-en-v1.5']!;
    expect(gte.revision).toBe(ENCODER_COMMIT);
    // The worker loads it at that commit, and the cards can show it.
    expect(encoderTable(catalog)['Alibaba-NLP/gte-large-en-v1.5']).toMatchObject({
      kind: 'hub',
      revision: ENCODER_COMMIT,
    });
    expect(encoderRevision(catalog, 'Alibaba-NLP/gte-large-en-v1.5')).toBe(ENCODER_COMMIT);
    expect(encoderRevision(catalog, 't2l-web/tiny-demo-encoder')).toBeUndefined();
    const mistral = catalog.models.find((m) => m.id === 'mistral-7b-t2l')!;
    expect(firstDownload(mistral, catalog, () => 'q8').encoderPin).toEqual({
      id: 'Alibaba-NLP/gte-large-en-v1.5',
      revision: ENCODER_COMMIT,
    });
  });
});

describe('recorded files', () => {
  it('are keyed by the URL the encoder is downloaded from, at its pinned commit', () => {
    const catalog = parseCatalog(
      catalogWith(hubEntry(COMMIT), {
        'Org/enc': { revision: ENCODER_COMMIT, files: { 'onnx/model.onnx': { size: 3 } } },
      }),
    );
    expect(knownFiles(catalog)).toEqual({
      [`https://huggingface.co/Org/enc/resolve/${ENCODER_COMMIT}/onnx/model.onnx`]: { size: 3 },
    });
  });

  it('reject bytes of another size or hash, and accept the recorded ones', async () => {
    const bytes = new TextEncoder().encode('abc');
    // SHA-256("abc")
    const sha256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(await differsFromKnown(bytes, { size: 3, sha256 })).toBeNull();
    expect(await differsFromKnown(bytes, { size: 3 })).toBeNull();
    expect(await differsFromKnown(bytes, { size: 4, sha256 })).toBe(
      '3 bytes where the catalog records 4',
    );
    expect(await differsFromKnown(bytes, { size: 3, sha256: '0'.repeat(64) })).toBe(
      'SHA-256 ba7816bf8f01… where the catalog records 000000000000…',
    );
  });
});

describe('a cache hit whose stored hash is the recorded one', () => {
  const sha = 'ab'.repeat(32);
  it('is the recorded file only when hash and size both match the record', () => {
    expect(storedHashIsKnown({ sha256: sha }, 10, { size: 10, sha256: sha })).toBe(true);
    expect(storedHashIsKnown({ sha256: sha }, 10, { size: 10, sha256: 'cd'.repeat(32) })).toBe(
      false,
    );
    expect(storedHashIsKnown({ sha256: sha }, 11, { size: 10, sha256: sha })).toBe(false);
    // A record with a size only still needs the bytes compared (differsFromKnown).
    expect(storedHashIsKnown({ sha256: sha }, 10, { size: 10 })).toBe(false);
    expect(storedHashIsKnown({ sha256: sha }, 10, undefined)).toBe(false);
  });
});
