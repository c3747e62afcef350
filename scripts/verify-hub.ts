/**
 * `npm run verify:hub [-- --download] [--json]`: checks models/catalog.json's pinned commits, file
 * lists, sizes and hashes, and the benchmarks' pinned dataset files, against the Hub in force (HF_ENDPOINT, else the public Hub; HF_TOKEN for
 * gated repositories). With --download, every checked file is also downloaded into the Hugging
 * Face cache (HF_HOME) and its bytes hashed against the Hub's ETag (gigabytes: the base GGUFs).
 * Exits 1 when a check fails. docs/hub.md says what this confirms that the tests cannot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hubFile, hubSettingsFromEnv } from '../src/node/hub-cache';
import {
  formatFindings,
  verifyCatalog,
  type Finding,
  type VerifiableCatalog,
} from '../src/node/verify-hub';
import { progressPrinter } from '../src/cli/hub';
import { BENCHMARK_SOURCES } from '../src/core/eval/benchmarks';

const args = process.argv.slice(2);
const catalogPath = join(import.meta.dirname, '..', 'models', 'catalog.json');
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as VerifiableCatalog;
const settings = hubSettingsFromEnv(process.env, progressPrinter());
process.stderr.write(`checking ${catalogPath} against ${settings.endpoint}\n`);
// The benchmarks' pinned parquet files (`t2l eval --benchmark`, the page's Accuracy panel).
const datasets = Object.entries(BENCHMARK_SOURCES).map(([name, s]) => ({
  label: name,
  repo: s.repo,
  revision: s.revision,
  file: s.file,
  ...(s.sha256 ? { sha256: s.sha256 } : {}),
}));
const findings = await verifyCatalog(
  catalog,
  { endpoint: settings.endpoint, token: settings.token },
  datasets,
);
const datasetRepos = new Set(datasets.map((d) => d.repo));

if (args.includes('--download')) {
  const extra: Finding[] = [];
  for (const f of findings) {
    // "repo@revision path" of each file found on the Hub.
    const m = /^(\S+)@(\S+) (\S+)$/.exec(f.subject);
    if (f.level !== 'ok' || !m || !f.message.includes('bytes')) continue;
    try {
      await hubFile(settings, {
        ...(datasetRepos.has(m[1]!) ? { type: 'dataset' as const } : {}),
        repo: m[1]!,
        revision: m[2]!,
        path: m[3]!,
      });
      extra.push({
        level: 'ok',
        subject: f.subject,
        message: 'downloaded; size and hash match the Hub',
      });
    } catch (e) {
      extra.push({ level: 'fail', subject: f.subject, message: String((e as Error).message ?? e) });
    }
  }
  findings.push(...extra);
}

process.stdout.write(
  args.includes('--json')
    ? `${JSON.stringify(findings, null, 2)}\n`
    : `${formatFindings(findings)}\n`,
);
process.exitCode = findings.some((f) => f.level === 'fail') ? 1 : 0;
