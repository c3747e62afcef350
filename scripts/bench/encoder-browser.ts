/**
 * The real-size text encoder in headless Chromium, on the harness page (the app's path:
 * createTextEncoder, transformers.js on onnxruntime-web), one fresh browser per case.
 */
import type { Page } from '@playwright/test';
import type { Precision } from '../../src/core/package/manifest';
import { withHarnessPage } from './browser';
import { PIPELINE_SHAPE, type EncoderCaseResult, type PipelineCaseResult } from './encoder-types';
import { stats } from './types';

const ENCODER_PATH = '/.bench/encoders/gte-large-shape/';

/** `fn` on the harness page, the page's encoder released afterwards whatever happens. */
function withPage<T>(
  baseURL: string,
  executablePath: string,
  fn: (page: Page) => Promise<T>,
): Promise<T> {
  return withHarnessPage({ baseURL, executablePath, timeoutMs: 900_000 }, async (page) => {
    try {
      return await fn(page);
    } finally {
      await page.evaluate(() => window.t2lHarness.benchEncoderRelease()).catch(() => {});
    }
  });
}

export async function runBrowserEncoderCase(o: {
  baseURL: string;
  executablePath: string;
  dtype: string;
  backend: 'wasm' | 'webgpu';
  /** Timed runs by description length (tokens); a length with 0 runs is skipped. */
  runs: Record<number, number>;
}): Promise<EncoderCaseResult> {
  return withPage(o.baseURL, o.executablePath, async (page) => {
    const url = `${o.baseURL}${ENCODER_PATH}`;
    const { sessionMs } = await page.evaluate(
      ([u, d, b]) => window.t2lHarness.benchEncoderLoad(u, d, b),
      [url, o.dtype, o.backend] as const,
    );
    const result: EncoderCaseResult = {
      runtime: 'chromium',
      backend: o.backend,
      dtype: o.dtype,
      sessionMs,
      encode: {},
      memory: {},
    };
    for (const [tokens, runs] of Object.entries(o.runs)) {
      if (runs <= 0) continue;
      const r = await page.evaluate(([t, n]) => window.t2lHarness.benchEncode(t, n), [
        Number(tokens),
        runs,
      ] as const);
      result.encode[Number(tokens)] = { firstMs: r.firstMs, ...stats(r.times) };
    }
    return result;
  });
}

export async function runBrowserPipelineCase(o: {
  baseURL: string;
  executablePath: string;
  encoderDtype: string;
  precision: Precision;
  runs: number;
}): Promise<PipelineCaseResult> {
  return withPage(o.baseURL, o.executablePath, async (page) => {
    const { sessionMs } = await page.evaluate(
      ([u, d]) => window.t2lHarness.benchEncoderLoad(u, d, 'wasm'),
      [`${o.baseURL}${ENCODER_PATH}`, o.encoderDtype] as const,
    );
    const t2l = await page.evaluate(([u, p]) => window.t2lHarness.benchPipelineT2l(u, p), [
      `${o.baseURL}/.bench/checkpoints/${PIPELINE_SHAPE}/`,
      o.precision,
    ] as const);
    const r = await page.evaluate((n) => window.t2lHarness.benchPipelineRun(n), o.runs);
    return {
      runtime: 'chromium',
      backend: 'wasm',
      encoderDtype: o.encoderDtype,
      precision: o.precision,
      tokens: 30,
      encoderSessionMs: sessionMs,
      convertMs: t2l.convertMs,
      t2lSessionMs: t2l.t2lSessionMs,
      encode: stats(r.encode),
      generate: stats(r.generate),
      pack: stats(r.pack),
      total: stats(r.encode.map((e, i) => e + r.generate[i]! + r.pack[i]!)),
      safetensorsMiB: r.safetensorsBytes / 2 ** 20,
      memory: {},
    };
  });
}
