/**
 * The input cases of issue #22 through the real command line (bin/t2l.mjs): each ends in one
 * `t2l: error:` line and exit 1, before any slow step (no encoder, no llama.cpp), never a hang, a
 * V8 abort or a stack trace. The cases are rebuilt from the demo models (test/support/cases-22).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFolder } from '../../src/node/fs-source';
import { TINY_CHAT_TEMPLATE } from '../../src/fixtures/tiny-base';
import {
  TEMPLATE_CASES,
  argsUnknownKey,
  baseWithTemplate,
  caseTemplate,
  ggufLateRefusal,
  pickleStorageAlias,
  zipDuplicateMember,
} from '../support/cases-22';
import { t2l } from '../support/t2l-cli';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PACKAGE = join(ROOT, 'models', 'demo', 'packages', 'S');
const ENCODER = join(ROOT, 'models', 'demo', 'encoder');
const tmp = mkdtempSync(join(tmpdir(), 't2l-cases-22-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tryWith = (base: string, ...more: string[]) =>
  t2l([
    'try',
    PACKAGE,
    '--base',
    base,
    '--description',
    'summarize text',
    '--prompt',
    'hi',
    '--encoder',
    ENCODER,
    '--max-tokens',
    '2',
    '--threads',
    '1',
    ...more,
  ]);

function expectOneError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^t2l: error: [^\n]+\n$/);
  expect(r.stderr).toMatch(pattern);
}

describe('chat-template-unbounded: t2l try stops at the budget with one line naming the file and --no-chat-template', () => {
  for (const name of TEMPLATE_CASES) {
    it(name, async () => {
      const base = join(tmp, `${name}.gguf`);
      writeFileSync(base, baseWithTemplate(caseTemplate(name), TINY_CHAT_TEMPLATE));
      expectOneError(
        await tryWith(base),
        new RegExp(
          `^t2l: error: ${base.replaceAll('.', '\\.')}: the chat template \\(tokenizer\\.chat_template\\) ran past its budget \\(.+\\); run with --no-chat-template to use a plain prompt instead\\n$`,
        ),
      );
    });
  }
});

describe('the remedy the message names works', () => {
  it('--no-chat-template runs the same file with a plain prompt', async () => {
    const base = join(tmp, 'remedy.gguf');
    writeFileSync(base, baseWithTemplate(caseTemplate('range-1e9-lit'), TINY_CHAT_TEMPLATE));
    const r = await tryWith(base, '--no-chat-template', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { prompt: string; usedChatTemplate: boolean };
    expect(out.prompt).toBe('hi');
    expect(out.usedChatTemplate).toBe(false);
  });
});

describe('gguf-late-refusal: t2l try refuses the header at once, naming the tensor', () => {
  for (const [name, pattern] of [
    ['gguf-1205-230', /GGUF tensor blk\.0\.attn_k\.weight appears twice/],
    ['gguf-1205-19', /GGUF tensor blk\.0\.ffn_up\.weight has data offset 8, expected \d+/],
  ] as const) {
    it(name, async () => {
      const base = join(tmp, `${name}.gguf`);
      writeFileSync(base, ggufLateRefusal(name));
      expectOneError(await tryWith(base), pattern);
    });
  }
});

describe('checkpoints two readers read differently: t2l generate / convert refuse them', () => {
  const generateFrom = (dir: string, out: string) =>
    t2l([
      'generate',
      dir,
      '--description',
      'summarize text',
      '--encoder',
      ENCODER,
      '-o',
      join(tmp, out),
    ]);

  it('zip-duplicate-member: the member named', async () => {
    const dir = join(tmp, 'S-817');
    await writeFolder(dir, zipDuplicateMember());
    expectOneError(
      await generateFrom(dir, 'out1'),
      /S-817\/hypermod\.pt is ambiguous: member hypermod\/data\/1 is named twice in the central directory/,
    );
  });

  it('pickle-storage-alias: the storage key and both sizes named', async () => {
    const dir = join(tmp, 'M-2004');
    await writeFolder(dir, pickleStorageAlias());
    expectOneError(
      await generateFrom(dir, 'out2'),
      /share storage 51 but disagree on it: 256 elements of torch\.FloatStorage and 512 elements of torch\.FloatStorage/,
    );
  });

  it('args-unknown-key: a warning line per unknown key, then the contradiction', async () => {
    const dir = join(tmp, 'M-recon-zscore-1102');
    await writeFolder(dir, argsUnknownKey());
    const r = await t2l(['convert', dir, '-o', join(tmp, 'out3')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^t2l: warning: .*args\.yaml: unknown key pree_z_score \(did you mean pred_z_score\?\)/,
    );
    expect(lines[1]).toMatch(
      /^t2l: warning: .*args\.yaml: unknown key target_mOdules \(did you mean target_modules\?\)/,
    );
    expect(lines[2]).toMatch(
      /^t2l: error: .*args\.yaml and hypermod\.pt disagree on the heads' bias: /,
    );
  });
});
