/**
 * A benchmark sample for the page's Accuracy panel, off the UI thread: the benchmark's pinned
 * parquet file (core/eval/benchmarks.ts) through the Hub endpoint in force and the verified cache
 * (downloads.ts: cached after one download, checked against the Hub API's record of the file at
 * that commit), then the seeded sample read with hyparquet, as `t2l eval --benchmark` reads it.
 */
import {
  BENCHMARK_SOURCES,
  benchmarkLabel,
  checkBenchmarkSize,
  isBenchmarkName,
  readBenchmarkSample,
  type BenchmarkSample,
} from '../../core/eval/benchmarks';
import { T2LError } from '../../core/errors';
import { endpointHost, hubFileUrl } from '../../core/hub/endpoint';
import { readCached } from '../shared/file-cache';
import { download, HttpError, type DownloadContext } from './downloads';
import { hubRecordFor } from './hub-integrity';
import type { BenchmarkRequest } from './protocol';

/** Cache group of the benchmark files (Settings → cache lists them under it). */
export const BENCHMARK_CACHE_GROUP = 'benchmarks';

/**
 * The sample, or a T2LError saying in one sentence what went wrong: without network and without a
 * cached copy, which host was tried and that the user's own examples still work.
 */
export async function benchmarkSample(
  req: BenchmarkRequest,
  ctx: DownloadContext & { hubEndpoint: string },
): Promise<BenchmarkSample> {
  if (!isBenchmarkName(req.benchmark)) {
    throw new T2LError('bad-input', `${req.benchmark}: not one of the benchmarks scored here`);
  }
  const name = req.benchmark;
  const source = BENCHMARK_SOURCES[name];
  const url = hubFileUrl(ctx.hubEndpoint, source.repo, source.revision, source.file, 'dataset');
  const cached = (await readCached(url, { keep: true })).status === 'hit';
  if (!cached) {
    // The size the Hub's listing records, checked before the download where the endpoint has one.
    const record = await hubRecordFor(url, ctx).catch(() => null);
    if (record) checkBenchmarkSize(name, record.size);
  }
  let bytes: Uint8Array;
  try {
    bytes = await download(url, ctx, { cacheGroup: BENCHMARK_CACHE_GROUP });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const host = endpointHost(ctx.hubEndpoint);
    if (e instanceof HttpError) {
      throw new T2LError(
        'missing-file',
        `${benchmarkLabel(name)} at ${source.revision.slice(0, 12)}: ${host} answered HTTP ${e.status}; check Settings → Hub endpoint. Your own examples still work.`,
      );
    }
    if (e instanceof T2LError && /could not be fetched/.test(e.message)) {
      throw new T2LError(
        'missing-file',
        `${benchmarkLabel(name)} is not in this browser's cache and the Hub at ${host} cannot be reached (offline?). Connect to the network or set Settings → Hub endpoint to a mirror you can reach; your own examples (paste or pick a file) still work offline.`,
        { cause: e },
      );
    }
    throw e;
  }
  checkBenchmarkSize(name, bytes.length);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return readBenchmarkSample(name, buffer as ArrayBuffer, { limit: req.limit, seed: req.seed });
}
