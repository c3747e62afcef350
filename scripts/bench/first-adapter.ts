/**
 * Time to the first adapter (`npm run bench -- --first-adapter`): the production build (`vite
 * build` into .bench/first-adapter/dist, then `vite preview`), the demo model T2L-L on wasm, in
 * headless Chromium with a persistent profile, as a user meets it:
 *
 * - first visit: a fresh profile (empty HTTP cache, no service worker, no cached model);
 * - return visit: the same profile opened again (the service worker, the HTTP cache, Chromium's
 *   compiled-code cache and the app's model cache all hold what the first visit left);
 * - third visit: once more, the first that consumes the V8 code cache written on the second.
 *
 * Each visit: page open; the model list and the backend check shown; demo-L and wasm picked; the
 * description typed (TYPING_DELAY ms a key); Generate; the result card. Then a second generation in
 * the same page. Per visit: page open → adapter, Generate → adapter, the second generation, the page's
 * main-thread time while typing (the DevTools protocol's TaskDuration; it includes Chromium's own
 * handling of the injected keys: a bare textarea costs most of it), and the
 * stages as the worker measured them (src/runtime/marks.ts: user-timing measures read from the
 * worker) and the onnxruntime-web .wasm fetches (resource timing). REPS repetitions, a fresh
 * profile each; medians. Results go to .bench/results/first-adapter-latest.json and between the
 * bench-first-adapter markers in docs/benchmarks.md.
 */
import { writeDocsBlock } from './docs-block';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { CLOSED_NETWORK_ARGS } from '../../e2e/chromium-args';
import type { EncoderDtype } from '../../src/core/encoder/dtype';
import { BENCH_DIR } from './checkpoints';
import { startRealHub } from './first-adapter-hub';
import { stats, type Stats } from './types';

const ROOT = join(import.meta.dirname, '..', '..');
const DIST = join(BENCH_DIR, 'first-adapter', 'dist');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const DEMO_MODEL = 'demo-L';
const DESCRIPTIONS = [
  'Solve grade-school math word problems step by step.',
  'Decide whether a movie review is positive or negative.',
];
/** Milliseconds between key presses while the description is typed, by default (a very quick
 * typist, or nearly a paste: 100 characters in 2.5 s; --typing-delay sets another). */
const TYPING_DELAY = 25;

// No --enable-unsafe-webgpu: the page's capability check finds no WebGPU adapter, as on a machine
// without a GPU (the bench picks wasm either way).
const ARGS = CLOSED_NETWORK_ARGS;

export interface VisitResult {
  /** goto → result card shown. */
  openToAdapterMs: number;
  /** Click on Generate → result card shown. */
  generateToAdapterMs: number;
  /** The same for a second description in the same page. */
  secondGenerationMs: number;
  /** Typing the description took this long (between ready and Generate). */
  typingMs: number;
  /**
   * The page's main thread was busy this long while the description was typed (Chromium's
   * `TaskDuration` metric over the DevTools protocol): CPU the worker's start-up did not get.
   */
  typingMainThreadMs?: number;
  /** Page open → model list shown and backend checked. */
  readyMs: number;
  /** Worker measures ("t2l:…" without the prefix; several of a name are summed): ms. */
  stages: Record<string, number>;
  /** When each stage ended, in ms after the click on Generate (negative: before it). */
  stageEndsAfterGenerate: Record<string, number>;
  /** Every measure of the T2L worker, start and end in ms after the click (the JSON only). */
  timeline?: Array<{ name: string; start: number; end: number }>;
  /** onnxruntime-web .wasm files the worker fetched: name, ms, bytes over the network. */
  wasm: Array<{ name: string; ms: number; transferBytes: number }>;
  load: number;
}

export interface FirstAdapterRun {
  date: string;
  label: string;
  /** The catalog entry generated from (demo-L unless the run went through the local Hub). */
  model?: string;
  /** Set for runs through the local Hub at real size. */
  hub?: { bytesPerSecond: number; precision: string; encoderDtype: string };
  machine: { cpus: number; cpuModel: string; loadAtStart: number[]; loadAtEnd?: number[] };
  reps: number;
  typingDelayMs: number;
  first: VisitResult[];
  /** The second visit on the same profile. */
  return: VisitResult[];
  /**
   * The third: by then Chromium consumes the V8 code cache it wrote on the second visit (absent
   * in runs from before 2026-11-30 07:55).
   */
  third?: VisitResult[];
}

async function buildAndPreview(port: number, log: (s: string) => void) {
  log('first-adapter: vite build (production, no test harness)');
  const b = spawnSync(process.execPath, [VITE, 'build', '--outDir', DIST, '--emptyOutDir'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, T2L_E2E: '' },
  });
  if (b.status !== 0) throw new Error(`vite build failed: ${b.stderr.slice(-2000)}`);
  const child: ChildProcess = spawn(
    process.execPath,
    [VITE, 'preview', '--outDir', DIST, '--port', String(port), '--strictPort'],
    { cwd: ROOT, stdio: 'ignore' },
  );
  const url = `http://localhost:${port}`;
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${url}/`)).ok) return { url, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill();
  throw new Error('vite preview did not start');
}

function t2lWorker(page: Page): Promise<Worker> {
  const find = () => page.workers().find((w) => /t2l\.worker/.test(w.url()));
  const found = find();
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const on = (w: Worker) => {
      if (/t2l\.worker/.test(w.url())) {
        page.off('worker', on);
        resolve(w);
      }
    };
    page.on('worker', on);
  });
}

interface WorkerTimes {
  origin: number;
  measures: Array<{ name: string; start: number; end: number }>;
  resources: Array<{ name: string; start: number; end: number; transfer: number }>;
}

async function workerTimes(worker: Worker): Promise<WorkerTimes> {
  return worker.evaluate(() => ({
    origin: performance.timeOrigin,
    measures: performance
      .getEntriesByType('measure')
      .filter((e) => e.name.startsWith('t2l:'))
      .map((e) => ({ name: e.name.slice(4), start: e.startTime, end: e.startTime + e.duration })),
    resources: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => /\.wasm(\?|$)/.test(e.name))
      .map((e) => ({
        name: e.name.split('/').pop()!.split('?')[0]!,
        start: e.startTime,
        end: e.responseEnd,
        transfer: e.transferSize,
      })),
  }));
}

/** What a visit picks in the page. */
interface VisitSetup {
  model: string;
  precision?: string;
  encoderDtype?: string;
  /** Longest wait for one generation, ms (a real-size first visit downloads ~0.6 GB). */
  timeoutMs: number;
}

/**
 * Click on Generate → the result card for `description` (or an error) in the page, in ms. Checked
 * at every animation frame (`polling: 'raf'`): a locator's waitFor retries on a back-off that
 * reaches 500 ms between checks, which once added up to half a second to this figure (read as
 * "the page's own handling of the result").
 */
async function generate(page: Page, description: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Generate adapter' }).click();
  await page.waitForFunction(
    (text) =>
      [...document.querySelectorAll('[data-testid="result"]')].some((e) =>
        e.textContent?.includes(text),
      ) || document.querySelector('[data-testid="error"]') !== null,
    description,
    { polling: 'raf', timeout: timeoutMs },
  );
  const t1 = performance.now();
  const error = page.getByTestId('error');
  if (await error.isVisible()) throw new Error(`the page shows: ${await error.innerText()}`);
  return t1 - t0;
}

async function visit(
  context: BrowserContext,
  url: string,
  typingDelay: number,
  setup: VisitSetup,
): Promise<VisitResult> {
  const page = context.pages()[0] ?? (await context.newPage());
  const load = loadavg()[0]!;
  const workerP = t2lWorker(page);
  const t0 = performance.now();
  await page.goto(url);
  await page.getByTestId(`model-${setup.model}`).waitFor();
  await page.getByTestId('backend-status').filter({ hasNotText: 'Checking' }).waitFor();
  const ready = performance.now();
  await page.getByTestId(`model-${setup.model}`).click();
  await page
    .getByRole('radiogroup', { name: 'Backend' })
    .getByText('wasm', { exact: true })
    .click();
  if (setup.precision) await page.locator('#precision').selectOption(setup.precision);
  if (setup.encoderDtype) await page.locator('#encoder-dtype').selectOption(setup.encoderDtype);
  const box = page.locator('#description');
  await box.fill('');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN) * 1000;
  };
  const busyBefore = await busy();
  await box.pressSequentially(DESCRIPTIONS[0]!, { delay: typingDelay });
  const typed = performance.now();
  const typingMainThreadMs = (await busy()) - busyBefore;
  await cdp.detach();
  // The click's time in the page's clock, to place the worker's stages against it.
  const pageClick = await page.evaluate(() => performance.timeOrigin + performance.now());
  const generateToAdapterMs = await generate(page, DESCRIPTIONS[0]!, setup.timeoutMs);
  const openToAdapterMs = performance.now() - t0;
  const worker = await workerP;
  const times = await workerTimes(worker);
  await box.fill(DESCRIPTIONS[1]!);
  const secondGenerationMs = await generate(page, DESCRIPTIONS[1]!, setup.timeoutMs);

  const stages: Record<string, number> = {};
  const ends: Record<string, number> = {};
  const rel = (t: number) => times.origin + t - pageClick;
  for (const m of times.measures) {
    stages[m.name] = (stages[m.name] ?? 0) + (m.end - m.start);
    ends[m.name] = Math.max(ends[m.name] ?? -Infinity, rel(m.end));
  }
  const start = await worker.evaluate(
    () => performance.getEntriesByName('t2l:worker-start')[0]?.startTime ?? NaN,
  );
  // Worker start: from the page's navigation to the worker's own module evaluated (its heavy
  // imports come after, on demand: the worker-imports stage).
  const navStart = await page.evaluate(() => performance.timeOrigin);
  stages['worker-ready (after page open)'] = times.origin + start - navStart;
  return {
    openToAdapterMs,
    generateToAdapterMs,
    secondGenerationMs,
    typingMs: typed - ready,
    typingMainThreadMs,
    readyMs: ready - t0,
    stages,
    stageEndsAfterGenerate: ends,
    timeline: times.measures.map((m) => ({
      name: m.name,
      start: Math.round(rel(m.start)),
      end: Math.round(rel(m.end)),
    })),
    wasm: times.resources.map((r) => ({
      name: r.name,
      ms: r.end - r.start,
      transferBytes: r.transfer,
    })),
    load,
  };
}

async function launch(profile: string, hubEndpoint?: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
  if (hubEndpoint) {
    // Settings → Hub endpoint as a user leaves it (the settings store's own key and shape).
    await context.addInitScript((endpoint) => {
      if (!localStorage.getItem('t2l-settings')) {
        localStorage.setItem(
          't2l-settings',
          JSON.stringify({ state: { hubEndpoint: endpoint }, version: 1 }),
        );
      }
    }, hubEndpoint);
  }
  return context;
}

export interface FirstAdapterOptions {
  log: (s: string) => void;
  reps?: number;
  port?: number;
  writeDocs?: boolean;
  /** What this run measures (a change's name), shown with the results. */
  label?: string;
  /** Milliseconds between key presses (default TYPING_DELAY). */
  typingDelayMs?: number;
  /**
   * A catalog entry with a Hub source (mistral-7b-t2l, gemma-2-2b-t2l, ...): generate from it at
   * real size through the local Hub (first-adapter-hub.ts) instead of the demo package.
   */
  hubModel?: string;
  /** With hubModel: the stated download rate, bytes a second (default 50 MB/s). */
  bytesPerSecond?: number;
  /** With hubModel: the hypernetwork precision (default int8) and encoder dtype (default q8). */
  precision?: string;
  encoderDtype?: EncoderDtype;
}

export async function runFirstAdapterBench(o: FirstAdapterOptions): Promise<FirstAdapterRun> {
  const reps = o.reps ?? 5;
  const run: FirstAdapterRun = {
    date: new Date().toISOString(),
    label: o.label ?? '',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadAtStart: loadavg() },
    reps,
    typingDelayMs: o.typingDelayMs ?? TYPING_DELAY,
    model: o.hubModel ?? DEMO_MODEL,
    ...(o.hubModel
      ? {
          hub: {
            bytesPerSecond: o.bytesPerSecond ?? 50e6,
            precision: o.precision ?? 'int8',
            encoderDtype: o.encoderDtype ?? 'q8',
          },
        }
      : {}),
    first: [],
    return: [],
    third: [],
  };
  const hub = run.hub
    ? await startRealHub({
        model: run.model!,
        encoderDtype: run.hub.encoderDtype as EncoderDtype,
        bytesPerSecond: run.hub.bytesPerSecond,
        log: o.log,
      })
    : undefined;
  const setup: VisitSetup = {
    model: run.model!,
    ...(run.hub ? { precision: run.hub.precision, encoderDtype: run.hub.encoderDtype } : {}),
    timeoutMs: run.hub ? 900_000 : 120_000,
  };
  const server = await buildAndPreview(o.port ?? Number(process.env.BENCH_PORT ?? 5233), o.log);
  try {
    for (let i = 0; i < reps; i++) {
      const profile = await mkdtemp(join(tmpdir(), 't2l-first-adapter-'));
      try {
        for (const kind of VISITS) {
          const context = await launch(profile, hub?.endpoint);
          try {
            const r = await visit(context, server.url, run.typingDelayMs, setup);
            (run[kind] ??= []).push(r);
            o.log(
              `first-adapter ${kind} visit ${i + 1}/${reps}: open → adapter ${r.openToAdapterMs.toFixed(0)} ms, Generate → adapter ${r.generateToAdapterMs.toFixed(0)} ms, second ${r.secondGenerationMs.toFixed(0)} ms, main thread busy while typing ${r.typingMainThreadMs?.toFixed(0)} ms (load ${r.load.toFixed(1)})`,
            );
          } finally {
            await context.close();
          }
        }
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    }
  } finally {
    server.child.kill();
    await hub?.stop();
  }
  run.machine.loadAtEnd = loadavg();
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
  const json = `${JSON.stringify(run, null, 2)}\n`;
  await writeFile(join(BENCH_DIR, 'results', 'first-adapter-latest.json'), json);
  const stamp = run.date.replace(/[:.]/g, '-');
  await writeFile(join(BENCH_DIR, 'results', `first-adapter-${stamp}.json`), json);
  const report = renderFirstAdapterReport(run);
  o.log(report);
  if (o.writeDocs !== false) {
    const block = run.hub
      ? `bench-first-adapter-${run.model}-${run.typingDelayMs}ms`
      : 'bench-first-adapter';
    await writeDocsBlock(block, report);
  }
  return run;
}

const VISITS = ['first', 'return', 'third'] as const;
const VISIT_LABEL = { first: 'first', return: 'return (2nd visit)', third: 'return (3rd visit)' };

const f = (s: Stats) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;

/** The stages in the order a visit meets them. */
const STAGE_ORDER = [
  'worker-ready (after page open)',
  'capabilities',
  'worker-imports',
  'ort-warm:wasm',
  'ort-warm:webgpu',
  'session:wasm',
  'encoder-load',
  'prepare',
  'warm-up:encode',
  'warm-up:hypernetwork',
  'generate:load',
  'generate:encode',
  'generate:hypernetwork',
  'generate:pack',
];

export function renderFirstAdapterReport(run: FirstAdapterRun): string {
  const lines: string[] = [];
  const load = (v: VisitResult[]) => v.map((r) => r.load.toFixed(1)).join(', ');
  // Runs written before the column existed have no figure.
  const busyCell = (v: VisitResult[]) => {
    const xs = v.map((r) => r.typingMainThreadMs).filter((x): x is number => Number.isFinite(x));
    return xs.length ? f(stats(xs)) : '–';
  };
  const what = run.hub
    ? `${run.model} at real size (random weights) through the local Hub at ${(run.hub.bytesPerSecond / 1e6).toFixed(0)} MB/s, hypernetwork ${run.hub.precision}, gte-large-en-v1.5 ${run.hub.encoderDtype}, on wasm`
    : 'demo T2L-L package on wasm';
  lines.push(
    `Run of ${run.date.slice(0, 16).replace('T', ' ')} UTC${run.label ? ` (${run.label})` : ''} on ${run.machine.cpus} × ${run.machine.cpuModel}; production build (vite build + vite preview), headless Chromium, ${what}; ${run.reps} repetitions (a fresh profile each), medians (min–max) in ms; the description typed at ${run.typingDelayMs} ms a key before Generate; 1-minute load at each visit's start.`,
    '',
    '| visit | page open → adapter | Generate → adapter | second generation, same page | Generate ÷ second | page open → ready | typing | page main thread busy while typing | 1-minute load |',
    '| --- | --- | --- | --- | ---: | --- | --- | --- | --- |',
  );
  for (const kind of VISITS) {
    const v = run[kind] ?? [];
    if (!v.length) continue;
    const g = stats(v.map((r) => r.generateToAdapterMs));
    const s = stats(v.map((r) => r.secondGenerationMs));
    lines.push(
      `| ${VISIT_LABEL[kind]} | ${f(stats(v.map((r) => r.openToAdapterMs)))} | ${f(g)} | ${f(s)} | ${(g.median / s.median).toFixed(1)} | ${f(stats(v.map((r) => r.readyMs)))} | ${f(stats(v.map((r) => r.typingMs)))} | ${busyCell(v)} | ${load(v)} |`,
    );
  }
  lines.push(
    '',
    'Stages as the worker measured them (user-timing measures, src/runtime/marks.ts), medians in ms; "ends" is when the stage ended, after (+) or before (−) the click on Generate:',
    '',
    '| stage | first visit | ends | 2nd visit | ends | 3rd visit | ends |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const third = run.third ?? [];
  const names = new Set(
    [...run.first, ...run.return, ...third].flatMap((r) => Object.keys(r.stages)),
  );
  const ordered = [
    ...STAGE_ORDER.filter((n) => names.has(n)),
    ...[...names].filter((n) => !STAGE_ORDER.includes(n)),
  ];
  const cell = (v: VisitResult[], pick: (r: VisitResult) => number | undefined) => {
    const xs = v.map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return xs.length ? stats(xs).median.toFixed(0) : '–';
  };
  for (const n of ordered) {
    lines.push(
      `| ${n} | ${cell(run.first, (r) => r.stages[n])} | ${cell(run.first, (r) => r.stageEndsAfterGenerate[n])} | ${cell(run.return, (r) => r.stages[n])} | ${cell(run.return, (r) => r.stageEndsAfterGenerate[n])} | ${cell(third, (r) => r.stages[n])} | ${cell(third, (r) => r.stageEndsAfterGenerate[n])} |`,
    );
  }
  const wasm = (v: VisitResult[]) => {
    const names = [...new Set(v.flatMap((r) => r.wasm.map((w) => w.name)))];
    return names
      .map((n) => {
        const xs = v.flatMap((r) => r.wasm.filter((w) => w.name === n));
        const mb = stats(xs.map((w) => w.transferBytes)).median / 2 ** 20;
        return `${n} ${stats(xs.map((w) => w.ms)).median.toFixed(0)} ms, ${mb.toFixed(1)} MiB over the network`;
      })
      .join('; ');
  };
  lines.push(
    '',
    `onnxruntime-web .wasm fetched by the worker (medians): first visit: ${wasm(run.first) || 'none'}; 2nd visit: ${wasm(run.return) || 'none'}; 3rd visit: ${wasm(third) || 'none'}.`,
  );
  return lines.join('\n');
}
