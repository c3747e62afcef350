/**
 * `npm run local-hub` (scripts/local-hub.ts) as a real process: a folder written before the
 * benchmark datasets were served gets them added, its own repositories kept, and the datasets are
 * answered at their pinned commits as the tests' local Hub answers them. The parquet file served is
 * read back here with hyparquet and compared with the fixture rows (not with the script's output).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCHMARK_SOURCES } from '../../../src/core/eval/benchmarks';
import { BENCHMARK_FIXTURE_ROWS } from '../../../src/fixtures/benchmark-datasets';
import { writeHubRepos } from '../../support/local-hub';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 't2l-local-hub-script-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the script on `dir`; resolves with the address it prints. */
function startScript(): Promise<string> {
  const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  child = spawn(process.execPath, [tsx, 'scripts/local-hub.ts', '--dir', dir], { cwd: ROOT });
  let out = '';
  let err = '';
  return new Promise((ok, fail) => {
    child!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^local Hub at (http:\/\/\S+) /m.exec(out);
      if (m && out.includes('benchmark datasets')) ok(m[1]!);
    });
    child!.on('exit', (code) => fail(new Error(`local-hub exited ${code}: ${err}`)));
  });
}

describe('npm run local-hub', () => {
  it('serves the benchmark datasets, added to a folder written before them', async () => {
    // A folder from before: one model repository, no datasets.
    await writeHubRepos(dir, [
      {
        repo: 'someone/kept',
        commit: 'a'.repeat(40),
        refs: { main: 'a'.repeat(40) },
        gated: false,
        files: { 'note.txt': 'still here' },
      },
    ]);
    const endpoint = await startScript();
    const kept = await fetch(`${endpoint}/someone/kept/resolve/main/note.txt`);
    expect(await kept.text()).toBe('still here');

    const arc = BENCHMARK_SOURCES.arc_easy;
    const res = await fetch(`${endpoint}/datasets/${arc.repo}/resolve/${arc.revision}/${arc.file}`);
    expect(res.status).toBe(200);
    const bytes = await res.arrayBuffer();
    const rows = (await parquetReadObjects({
      file: bytes,
      columns: ['id', 'answerKey'],
    })) as Array<{
      id: string;
      answerKey: string;
    }>;
    const expected = BENCHMARK_FIXTURE_ROWS.arc_easy as Array<{ id: string; answerKey: string }>;
    expect(rows).toEqual(expected.map((r) => ({ id: r.id, answerKey: r.answerKey })));
    // Every benchmark's file, at its pinned commit.
    for (const s of Object.values(BENCHMARK_SOURCES)) {
      const head = await fetch(`${endpoint}/datasets/${s.repo}/resolve/${s.revision}/${s.file}`, {
        method: 'HEAD',
      });
      expect([s.repo, head.status]).toEqual([s.repo, 200]);
    }
  }, 60_000);
});
