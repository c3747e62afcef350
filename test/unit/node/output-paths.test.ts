/** Outside paths the CLI writes to or reads a base model from end as T2LError, never a raw fs error. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGgufHeaderFromFile } from '../../../src/cli/try';
import { T2LError } from '../../../src/core/errors';
import { writeFolder } from '../../../src/node/fs-source';

const tmp = mkdtempSync(join(tmpdir(), 't2l-out-'));
const file = join(tmp, 'a-file.txt');
writeFileSync(file, 'x');

const refused = async (p: Promise<unknown>, pattern: RegExp) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(T2LError);
  expect((e as Error).message).toMatch(pattern);
};

describe('output folders', () => {
  it('a path through a file is refused before anything is written', async () => {
    await refused(
      writeFolder(join(file, 'sub'), { 'x.txt': 'y' }),
      /not a folder .*a-file\.txt is a file/,
    );
    await refused(writeFolder(file, { 'x.txt': 'y' }), /not a folder/);
  });
  it('/proc and /sys are refused (recursive mkdir loops there)', async () => {
    await refused(writeFolder('/proc/t2l-test/0', { 'x.txt': 'y' }), /\/proc or \/sys/);
  });
  it('a good folder is written', async () => {
    await writeFolder(join(tmp, 'new', 'deep'), { 'x.txt': 'y' });
  });
});

describe('base model path (t2l try)', () => {
  it('a folder or a device is not a model file', async () => {
    await refused(readGgufHeaderFromFile(tmp), /not a regular file/);
    await refused(readGgufHeaderFromFile('/dev/zero'), /not a regular file/);
  });
});
