/**
 * Browser cases of `npm run bench`: headless Chromium (Debian's, as the e2e tests), the harness
 * page served by Vite with cross-origin isolation (so wasm runs 2 threads), one fresh browser per
 * case so that the renderer's peak resident memory (VmHWM in /proc) is the case's own.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from '@playwright/test';
import type { Precision } from '../../src/core/package/manifest';
import type { ConvertOptions } from '../../src/core/package/model';
import type { Backend } from '../../src/core/runtime/types';
import { CHROMIUM_ARGS } from '../../e2e/chromium-args';
import type { Harness } from '../../e2e/harness/harness';
import { stats, type CaseResult } from './types';
import { flopsPerEmbedding } from './work';

export const BROWSER_ARGS = [
  ...CHROMIUM_ARGS,
  // measureUserAgentSpecificMemory answers at once instead of after the next natural GC.
  '--enable-blink-features=ForceEagerMeasureMemory',
  '--js-flags=--expose-gc',
];

declare global {
  interface Window {
    t2lHarness: Harness;
  }
}

/** Resident memory of a process (VmRSS, VmHWM: the peak), in bytes. */
function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(/\d+/.exec(status.split(`${key}:`)[1] ?? '0')![0]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Chromium's renderer processes under a browser process. */
function renderers(browserPid: number): number[] {
  const parent = new Map<number, number>();
  const isRenderer = new Set<number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) {
        isRenderer.add(pid);
      }
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === browserPid) return true;
    }
    return false;
  };
  return [...isRenderer].filter(under);
}

/** Resets a process's peak resident memory (VmHWM) to its current size (Linux, same user). */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not allowed: the peak then covers the fetch too, which only overstates it
  }
}

/** The renderer using the most memory now (the page's), with its peak. */
function pageRenderer(browserPid: number): { pid: number; rss: number; hwm: number } {
  let best = { pid: 0, rss: 0, hwm: 0 };
  for (const pid of renderers(browserPid)) {
    try {
      const m = procMemory(pid);
      if (m.rss > best.rss) best = { pid, ...m };
    } catch {
      // gone meanwhile
    }
  }
  return best;
}

/**
 * A new page of `browser` on the bench harness (e2e/harness/index.html under `baseURL`), once it
 * says ready; `timeoutMs` bounds each call on it (real-size loads take minutes here).
 */
export async function openHarnessPage(
  browser: Browser,
  baseURL: string,
  timeoutMs: number,
): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(timeoutMs);
  await page.goto(`${baseURL}/e2e/harness/index.html`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  return page;
}

/**
 * Runs `fn` on the harness page in a fresh headless Chromium (`args`: BROWSER_ARGS unless given;
 * each page call bounded by `timeoutMs`, 5 minutes unless given), and closes the browser whatever
 * happens.
 */
export async function withHarnessPage<T>(
  o: { baseURL: string; executablePath: string; args?: string[]; timeoutMs?: number },
  fn: (page: Page) => Promise<T>,
): Promise<T> {
  const browser = await chromium.launch({
    executablePath: o.executablePath,
    headless: true,
    args: o.args ?? BROWSER_ARGS,
  });
  try {
    return await fn(await openHarnessPage(browser, o.baseURL, o.timeoutMs ?? 300_000));
  } finally {
    await browser.close();
  }
}

export interface BrowserCaseOptions {
  baseURL: string;
  shape: string;
  precision: Precision;
  backend: Extract<Backend, 'wasm' | 'webgpu'>;
  ptBytes: number;
  runs: number;
  batchRuns: number;
  executablePath: string;
  /** Conversion options beyond the precision (experiments: block size, accuracy level). */
  convert?: ConvertOptions;
}

export async function runBrowserCase(o: BrowserCaseOptions): Promise<CaseResult> {
  const server = await chromium.launchServer({
    executablePath: o.executablePath,
    headless: true,
    args: BROWSER_ARGS,
  });
  const browserPid = server.process().pid!;
  let browser: Browser | undefined;
  try {
    browser = await chromium.connect(server.wsEndpoint());
    const page = await openHarnessPage(browser, o.baseURL, 600_000);
    const env = await page.evaluate(() => window.t2lHarness.env());
    const base = pageRenderer(browserPid);
    const mib = (b: number | null) => (b === null ? null : b / 2 ** 20);

    const url = `${o.baseURL}/.bench/checkpoints/${o.shape}/`;
    const { fetchMs } = await page.evaluate((u) => window.t2lHarness.benchFetch(u), url);
    // The conversion's own peak: the fetch's transient buffers collected, the peak reset.
    await page.evaluate(() => window.t2lHarness.benchGc());
    const afterFetch = pageRenderer(browserPid);
    resetPeak(afterFetch.pid);
    const conv = await page.evaluate(([p, c]) => window.t2lHarness.benchConvert(p, c), [
      o.precision,
      o.convert ?? {},
    ] as const);
    const afterConvert = pageRenderer(browserPid);
    const sess = await page.evaluate((b) => window.t2lHarness.benchSession(b), o.backend);
    const afterSession = pageRenderer(browserPid);
    const gen = await page.evaluate(([r, b]) => window.t2lHarness.benchGenerate(r, b), [
      o.runs,
      o.batchRuns,
    ] as const);
    const end = pageRenderer(browserPid);
    await page.evaluate(() => window.t2lHarness.benchRelease());

    return {
      runtime: 'chromium',
      backend: sess.backend as 'wasm' | 'webgpu',
      threads: o.backend === 'wasm' ? env.ortConfig.numThreads : 0,
      shape: o.shape,
      precision: o.precision,
      ptMiB: o.ptBytes / 2 ** 20,
      params: conv.manifest.paramCount,
      packageMiB: conv.packageBytes / 2 ** 20,
      fetchMs,
      readMs: conv.readMs,
      convertMs: conv.convertMs,
      sessionMs: sess.sessionMs,
      firstRunMs: gen.firstRunMs,
      single: stats(gen.single),
      batch8: stats(gen.batch),
      flopsPerEmbedding: flopsPerEmbedding(conv.manifest),
      weightBytes: conv.manifest.weights!.initializerBytes,
      memory: {
        rendererBaselineMiB: base.rss / 2 ** 20,
        rendererAfterFetchMiB: afterFetch.rss / 2 ** 20,
        /** Peak resident memory of the page's renderer while reading and converting. */
        rendererPeakConvertMiB: afterConvert.hwm / 2 ** 20,
        rendererPeakMiB: end.hwm / 2 ** 20,
        uaAfterConvertMiB: mib(conv.memory.uaBytes) ?? NaN,
        rendererAfterSessionMiB: afterSession.rss / 2 ** 20,
      },
    };
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }
}

/** The wasm MatMul ceiling (GFLOP/s, 2 threads) in a fresh browser. */
export function browserCeilings(
  baseURL: string,
  executablePath: string,
): Promise<{ matmulGflops: number; matmulFewRowsGflops: number; threads: number }> {
  return withHarnessPage({ baseURL, executablePath }, async (page) => {
    const env = await page.evaluate(() => window.t2lHarness.env());
    const big = await page.evaluate(() =>
      window.t2lHarness.benchMatmulCeiling(1024, 2048, 4096, 5),
    );
    const few = await page.evaluate(() => window.t2lHarness.benchMatmulCeiling(32, 512, 65536, 10));
    return { matmulGflops: big, matmulFewRowsGflops: few, threads: env.ortConfig.numThreads };
  });
}
