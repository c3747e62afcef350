import { configureOrtWeb } from '../../src/runtime/web';
import { benchFunctions } from './bench-functions';
import { conformanceFunctions } from './conformance-functions';
import { encoderBenchFunctions } from './encoder-bench-functions';
import { evalFunctions } from './eval-functions';
import { llmFunctions } from './llm-functions';
import { quantizedFunctions } from './quantized-functions';
import { runtimeFunctions } from './runtime-functions';

/**
 * Test harness page: exposes functions on window.t2lHarness for Playwright's page.evaluate.
 * Each area adds its functions in its own module and spreads them in here.
 */

// Before any session, as the app does: the thread count cannot change afterwards.
const ortConfig = configureOrtWeb();

const harness = {
  env: () => ({
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    ortConfig,
  }),
  ...runtimeFunctions,
  ...conformanceFunctions,
  ...quantizedFunctions,
  ...benchFunctions,
  ...encoderBenchFunctions,
  ...llmFunctions,
  ...evalFunctions,
};

export type Harness = typeof harness;

declare global {
  interface Window {
    t2lHarness: Harness;
  }
}

window.t2lHarness = harness;
document.getElementById('status')!.textContent = 'ready';
