/** Writing the benchmark's figures into docs/benchmarks.md, each part between its own markers. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const DOCS = join(ROOT, 'docs', 'benchmarks.md');

/** Formatted as `npm run lint` expects. */
export function prettier(...files: string[]): void {
  spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', ...files],
    { cwd: ROOT, stdio: 'ignore' },
  );
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in docs/benchmarks.md
 * (appends the block when it is not there yet), then formats the file.
 */
export async function writeDocsBlock(name: string, text: string): Promise<void> {
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  const docs = existsSync(DOCS) ? await readFile(DOCS, 'utf8') : `# Benchmarks\n`;
  const a = docs.indexOf(START);
  const b = docs.indexOf(END);
  const next =
    a >= 0 && b > a
      ? `${docs.slice(0, a + START.length)}\n${text}\n${docs.slice(b)}`
      : `${docs}\n${START}\n${text}\n${END}\n`;
  await writeFile(DOCS, next);
  prettier(DOCS);
}
