/**
 * The input cases of issue #22 (test/fixtures/cases/, copied from ../shared/cases), rebuilt from
 * the demo models (src/fixtures/demo.ts, models/demo) with the case's small file or patch put in,
 * so that the repository holds no second copy of the demo checkpoints.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { zipMembers } from '../../src/core/checkpoint/zip-view';
import { demoCheckpointFiles } from '../../src/fixtures/demo';

const ROOT = resolve(import.meta.dirname, '..', '..');
export const CASES = join(ROOT, 'test', 'fixtures', 'cases');
export const DEMO_BASE = join(ROOT, 'models', 'demo', 'base', 'tiny-llama.gguf');
const caseFile = (...p: string[]) => new Uint8Array(readFileSync(join(CASES, ...p)));

type Files = Record<string, Uint8Array | string>;

/**
 * zip-duplicate-member/S-817: the demo S checkpoint with hypermod/data/1 stored a second time, all
 * zeros, after every other member (both copies listed in the central directory, as in the case).
 */
export function zipDuplicateMember(): Files {
  const files = demoCheckpointFiles('S');
  const members = zipMembers(files['hypermod.pt']);
  const entries: Record<string, Uint8Array> = { ...members };
  // fflate keys members by name, so the copy gets a placeholder name of the same length first.
  entries['hypermod/data/X'] = new Uint8Array(members['hypermod/data/1']!.length);
  const zip = zipSync(entries, { level: 0 });
  const placeholder = Buffer.from('hypermod/data/X');
  const bytes = Buffer.from(zip);
  let found = 0;
  for (let at = bytes.indexOf(placeholder); at >= 0; at = bytes.indexOf(placeholder, at + 1)) {
    bytes[at + placeholder.length - 1] = 0x31; // "1"
    found++;
  }
  if (found !== 2) throw new Error(`expected the placeholder twice, found ${found}`);
  return { ...files, 'hypermod.pt': new Uint8Array(bytes) };
}

/** pickle-storage-alias/M-2004: the demo M checkpoint with the case's data.pkl. */
export function pickleStorageAlias(): Files {
  const files = demoCheckpointFiles('M');
  const members = zipMembers(files['hypermod.pt']);
  members['hypermod/data.pkl'] = caseFile('pickle-storage-alias', 'M-2004', 'data.pkl');
  return { ...files, 'hypermod.pt': zipSync(members, { level: 0 }) };
}

/** args-unknown-key/M-recon-zscore-1102: the demo M-recon-zscore checkpoint with the case's args.yaml. */
export function argsUnknownKey(): Files {
  return {
    ...demoCheckpointFiles('M-recon-zscore'),
    'args.yaml': caseFile('args-unknown-key', 'M-recon-zscore-1102', 'args.yaml'),
  };
}

/** gguf-late-refusal/<name>: the demo base GGUF with the case's byte patch. */
export function ggufLateRefusal(name: 'gguf-1205-230' | 'gguf-1205-19'): Uint8Array {
  const patches = JSON.parse(
    readFileSync(join(CASES, 'gguf-late-refusal', 'patches.json'), 'utf8'),
  ) as Record<string, { offset: number; bytes: number[] }>;
  const bytes = new Uint8Array(readFileSync(DEMO_BASE));
  bytes.set(patches[name]!.bytes, patches[name]!.offset);
  return bytes;
}

/**
 * The demo base with its chat template replaced by `template`, padded with a Jinja comment to the
 * same length so that nothing else in the file moves (as the case files were made).
 */
export function baseWithTemplate(template: string, demoTemplate: string): Uint8Array {
  const bytes = Buffer.from(readFileSync(DEMO_BASE));
  const at = bytes.indexOf(Buffer.from(demoTemplate));
  const pad = demoTemplate.length - template.length - 4;
  if (at < 0 || pad < 0) throw new Error('the template does not fit in place of the demo one');
  bytes.write(`${template}{#${'x'.repeat(pad)}#}`, at, 'utf8');
  return new Uint8Array(bytes);
}

export const TEMPLATE_CASES = ['range-1e7-empty', 'join-1e8', 'range-1e9-lit'] as const;
export const caseTemplate = (name: string) =>
  readFileSync(join(CASES, 'chat-template-unbounded', name, 'template.jinja'), 'utf8');
