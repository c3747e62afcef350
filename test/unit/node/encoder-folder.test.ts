/** `--encoder` naming a file or an incomplete folder is a T2LError naming what is missing. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { T2LError } from '../../../src/core/errors';
import { chooseEncoder, localEncoderFolder } from '../../../src/node/encoder-folder';
import { writeTinyEncoder } from '../../../scripts/fixtures/write-tiny-encoder';

const tmp = mkdtempSync(join(tmpdir(), 't2l-enc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function refused(arg: string): string {
  let error: unknown;
  try {
    localEncoderFolder(arg);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(T2LError);
  expect((error as T2LError).code).toBe('missing-file');
  return (error as T2LError).message;
}

describe('localEncoderFolder', () => {
  it('a complete transformers.js folder is its absolute path', async () => {
    const dir = join(tmp, 'tiny');
    await writeTinyEncoder(dir, { hiddenSize: 16 });
    expect(localEncoderFolder(dir)).toBe(dir);
  });

  it('a path that does not exist is a Hub id', () => {
    expect(localEncoderFolder('Alibaba-NLP/gte-large-en-v1.5')).toBeUndefined();
  });

  it('a file is refused, naming the layout expected', () => {
    const file = join(tmp, 'model.onnx');
    writeFileSync(file, 'x');
    expect(refused(file)).toBe(
      `encoder ${file}: is a file, expected a transformers.js model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx)`,
    );
  });

  it('an empty folder names every missing file', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir);
    expect(refused(dir)).toMatch(
      /^encoder .*empty: missing config\.json, tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx; expected/,
    );
  });

  it('a folder with only quantized weights names onnx/model.onnx and what onnx/ holds', async () => {
    const dir = join(tmp, 'quantized');
    await writeTinyEncoder(dir, { hiddenSize: 16 });
    rmSync(join(dir, 'onnx', 'model.onnx'));
    writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), 'x');
    expect(refused(dir)).toMatch(
      /missing onnx\/model\.onnx \(onnx\/ holds model_quantized\.onnx\)/,
    );
  });

  it('config.json that is a folder counts as missing', async () => {
    const dir = join(tmp, 'cfg-dir');
    await writeTinyEncoder(dir, { hiddenSize: 16 });
    rmSync(join(dir, 'config.json'));
    mkdirSync(join(dir, 'config.json'));
    expect(refused(dir)).toMatch(/: missing config\.json;/);
  });
});

describe('chooseEncoder: a local folder only from --encoder, the package names a Hub id', () => {
  it('--encoder naming a complete folder loads that folder', async () => {
    const dir = join(tmp, 'flag');
    await writeTinyEncoder(dir, { hiddenSize: 16 });
    expect(chooseEncoder(dir, 'owner/name')).toEqual({ localPath: dir, label: dir });
  });

  it("the package's encoder is a Hub id, never looked up on disk", () => {
    // A relative Hub id is not resolved against the current directory.
    expect(chooseEncoder(undefined, 't2l-web/tiny-demo-encoder')).toEqual({
      model: 't2l-web/tiny-demo-encoder',
      label: 't2l-web/tiny-demo-encoder',
    });
  });

  it("the package's encoder naming a complete folder elsewhere on disk is refused", async () => {
    const dir = join(tmp, 'elsewhere');
    await writeTinyEncoder(dir, { hiddenSize: 16 });
    for (const enc of [dir, '../../x', 'owner\\name']) {
      let error: unknown;
      try {
        chooseEncoder(undefined, enc);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(T2LError);
      expect((error as T2LError).code).toBe('bad-package');
      expect((error as T2LError).message).toBe(
        `t2l.json: encoder: expected a Hugging Face Hub model id (owner/name), not a local path, found ${JSON.stringify(enc)} (give a local encoder folder with --encoder)`,
      );
    }
  });
});
