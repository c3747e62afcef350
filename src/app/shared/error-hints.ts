/** Turns a worker error into what the page shows: a title, the message, and what to do next. */
import type { WorkerError } from '../worker/rpc-protocol';
import { PUBLIC_HUB, hubEndpointName, isPublicHub } from './hub-endpoint';

export interface ShownError {
  title: string;
  message: string;
  hint: string;
  code: string;
  /** Whether generating again as it is can help (a dropped connection, a busy server). */
  retry: boolean;
}

const CHECKPOINT_CODES = new Set([
  'bad-zip',
  'bad-pickle',
  'forbidden-global',
  'missing-tensor',
  'bad-shape',
  'args-mismatch',
  'bad-config',
  'unsupported',
  'bad-safetensors',
]);

/**
 * `endpoint`: the Hub endpoint in force (shared/hub-endpoint.ts), which the Hub's advice names
 * and by which a failed URL is known to be the Hub's.
 */
export function explainError(e: WorkerError, endpoint: string = PUBLIC_HUB): ShownError {
  const shown = explainCause(e, endpoint);
  return { ...shown, retry: shown.retry ?? false };
}

/** Whether `text` (a URL or a message) names the Hub endpoint. */
function namesHub(text: string, endpoint: string): boolean {
  if (isPublicHub(endpoint)) return /huggingface\.co|\bhf\.co\b/.test(text);
  return text.includes(endpoint) || text.includes(hubEndpointName(endpoint));
}

function explainCause(
  e: WorkerError,
  endpoint: string,
): Omit<ShownError, 'retry'> & { retry?: boolean } {
  const base = { message: e.message, code: e.code };
  if (e.remote) return explainRemote(e, e.remote);
  const hub = namesHub(e.url ?? e.message, endpoint);
  const mirror = !isPublicHub(endpoint);
  const name = hubEndpointName(endpoint);
  if (e.code === 'http' && (e.status === 401 || e.status === 403) && hub) {
    return {
      ...base,
      title: mirror
        ? `The Hub endpoint ${name} refused the download`
        : 'The Hugging Face Hub refused the download',
      hint: `This repository needs you to be signed in: add a Hugging Face token with read access in Settings (it is sent to ${name} only), and accept the repository’s terms on huggingface.co if it asks you to.`,
    };
  }
  if (e.code === 'http' && (e.status === 401 || e.status === 403)) {
    return {
      ...base,
      title: 'The server refused the download',
      hint: 'The server wants credentials this app does not send. Host the files somewhere public, or open them as a local folder.',
    };
  }
  if (e.code === 'http' && e.status === 404 && hub && mirror) {
    return {
      ...base,
      title: `The Hub endpoint ${name} does not have this file`,
      hint: `The mirror in Settings (${name}) answered 404: check that it holds this repository at the pinned revision, or clear the Hub endpoint to use huggingface.co.`,
    };
  }
  if (e.code === 'http' && e.status === 404) {
    return {
      ...base,
      title: 'A file was not found',
      hint: 'Check the location. A package folder holds t2l.json and model.onnx; a checkpoint folder holds hypermod.pt, args.yaml and adapter_config.json.',
    };
  }
  if (e.code === 'http') {
    return {
      ...base,
      title: `The server answered ${e.status}`,
      hint: 'Try again in a moment; if it persists, the server is having trouble.',
      retry: true,
    };
  }
  if (/could not be fetched|Failed to fetch|NetworkError/i.test(e.message)) {
    return {
      ...base,
      title: !hub
        ? 'Could not reach the server'
        : mirror
          ? `Could not reach the Hub endpoint ${name}`
          : 'Could not reach the Hugging Face Hub',
      hint: hub
        ? `Check your network connection${mirror ? ` and the Hub endpoint in Settings (${name})` : ''}. Demo models and anything already in the cache work offline.`
        : 'Check your network connection. Demo models and anything already in the cache work offline.',
      retry: true,
    };
  }
  if (e.code === 'wrong-folder') {
    return {
      ...base,
      title: 'This folder is not a T2L hypernetwork',
      hint: 'Open a T2L checkpoint folder (hypermod.pt, args.yaml, adapter_config.json) or a converted package (t2l.json, model.onnx). A LoRA adapter is what this app makes: load it with PEFT, vLLM or llama.cpp instead.',
    };
  }
  if (e.code === 'missing-file') {
    return {
      ...base,
      title: 'Files are missing',
      hint: 'Open a T2L checkpoint folder (hypermod.pt, args.yaml, adapter_config.json) or a converted package (t2l.json, model.onnx).',
    };
  }
  if (CHECKPOINT_CODES.has(e.code)) {
    return {
      ...base,
      title: 'This is not a T2L checkpoint the app can read',
      hint: 'Use a folder from SakanaAI/text-to-lora (trained_t2l/…) as downloaded, or a package made with `npx t2l convert`. The message above names the file and what was wrong.',
    };
  }
  if (e.code === 'bad-package') {
    return {
      ...base,
      title: 'The package is damaged or too new',
      hint: 'Convert the checkpoint again with `npx t2l convert`, or clear the cache and reload.',
    };
  }
  if (e.code === 'bad-input') {
    return {
      ...base,
      title: 'Check the input',
      hint: 'Fix what the message names and generate again.',
    };
  }
  if (e.code === 'runtime') {
    return {
      ...base,
      title: 'The backend failed',
      hint: 'Try another backend (the Backend choice under the model list). On WebGPU, an out-of-memory error means the model is too large for this GPU.',
      retry: true,
    };
  }
  return {
    ...base,
    title: 'Something went wrong',
    hint: 'Try again; if it keeps happening, reload the page. Please report it with the message above.',
    retry: true,
  };
}

/** The remote endpoint (Settings) failed: advice about that server, never about the network at large. */
function explainRemote(e: WorkerError, r: NonNullable<WorkerError['remote']>): ShownError {
  const base = { message: e.message, code: e.code };
  if (r.notOip) {
    return {
      ...base,
      title: 'The remote endpoint is not an inference server',
      hint: 'Settings → Remote endpoint should be the root URL of `t2l serve`, Triton or KServe (the address that answers /v2/models/…), not a web page.',
      retry: false,
    };
  }
  if (r.status === 0 && /could not connect/.test(e.message)) {
    return {
      ...base,
      title: 'The remote server did not answer',
      hint: 'Start the server (`npx t2l serve <models> --cors-origin <this page’s origin>`), check the URL in Settings, or choose WebGPU or wasm to run here.',
      retry: true,
    };
  }
  if (r.status === 404) {
    return {
      ...base,
      title: 'The remote server does not have this model',
      hint: 'Serve the hypernetwork under the name in the message (t2l serve names a model after its folder), or pick another model.',
      retry: false,
    };
  }
  if (r.status === 401 || r.status === 403) {
    return {
      ...base,
      title: 'The remote server refused the request',
      hint: 'Set the bearer token the server expects in Settings → Remote endpoint.',
      retry: false,
    };
  }
  if (r.status >= 500 || r.status === 429) {
    return {
      ...base,
      title: `The remote server answered ${r.status}`,
      hint: 'The server is busy or failing: try again in a moment, or choose WebGPU or wasm to run here.',
      retry: true,
    };
  }
  return {
    ...base,
    title: 'The remote server cannot run this model',
    hint: 'The message names what the server lacks; serve the model with `t2l serve`, or choose WebGPU or wasm.',
    retry: false,
  };
}
