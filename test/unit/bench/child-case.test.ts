import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChildCase } from '../../../scripts/bench/child-case';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't2l-child-case-'));
  // A case that says what it was given, after some logging, as the bench's node cases do.
  await writeFile(
    join(dir, 'echo.ts'),
    [
      'const seen: { args: string[]; env?: string; gc: boolean } = {',
      '  args: process.argv.slice(2),',
      '  env: process.env.CHILD_CASE_TEST,',
      "  gc: typeof globalThis.gc === 'function',",
      '};',
      "console.log('warming up');",
      'console.log(JSON.stringify(seen));',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'fails.ts'),
    "console.log('{\"partial\": ');\nconsole.error('one\\ntwo\\nthree\\nfour');\nprocess.exit(3);\n",
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runChildCase (the bench’s Node cases in their own process)', () => {
  it('passes the arguments, environment and Node flags, and reads the JSON on the last line', async () => {
    const r = await runChildCase<{ args: string[]; env?: string; gc: boolean }>(
      join(dir, 'echo.ts'),
      ['a b', '2'],
      { env: { CHILD_CASE_TEST: 'set' }, nodeFlags: ['--expose-gc'] },
    );
    expect(r).toEqual({ args: ['a b', '2'], env: 'set', gc: true });
    const plain = await runChildCase<{ env?: string; gc: boolean }>(join(dir, 'echo.ts'), []);
    expect(plain).toEqual({ args: [], gc: false });
  });

  it('rejects with the exit code and the last three lines of stderr when no JSON came', async () => {
    await expect(runChildCase(join(dir, 'fails.ts'), [])).rejects.toThrow(
      /^exit 3: two three four$/,
    );
  });
});
