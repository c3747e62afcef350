/**
 * The Try panel's logic: which bases are on offer for the current result, the fit check before any
 * download, loading the base with the generated adapter, and running the prompt with streaming and
 * Stop. State goes into try/try-store.ts; the generated result (shared/run-store.ts) is only read, so a
 * failure here never loses the adapter or the description.
 */
import { currentHubEndpoint } from '../shared/catalog';
import { useCatalog } from '../shared/catalog-store';
import { useRun, type RunResult } from '../shared/run-store';
import { useTry } from './try-store';
import type { LlmProgress } from '../worker/llm-protocol';
import type { WorkerError } from '../worker/rpc-protocol';
import { WorkerCallError } from '../shared/worker-rpc';
import {
  baseFromFile,
  baseFromInput,
  catalogBases,
  type BaseChoice,
} from '../shared/llm/base-models';
import { explainError, type ShownError } from '../shared/error-hints';
import { cachedInfo } from '../shared/file-cache';
import { deviceFacts, estimateFit } from '../shared/llm/llm-fit';
import { completeLlm, prepareLlm } from '../shared/llm/llm';

let controller: AbortController | null = null;

/** Bases for the current result: the catalog's (its own model's base first), then the user's. */
export function tryBases(result: RunResult | null = useRun.getState().result): BaseChoice[] {
  const entries = useCatalog.getState().catalog.models;
  const own = entries.find((e) => result && e.baseModel === result.model.baseModel) ?? null;
  return [...catalogBases(entries, own), ...useTry.getState().ownBases];
}

export function selectedBase(): BaseChoice | null {
  const bases = tryBases();
  const id = useTry.getState().baseId;
  return bases.find((b) => b.id === id) ?? bases[0] ?? null;
}

export function selectBase(id: string): void {
  useTry.setState({ baseId: id, fit: null, error: null, status: idleUnlessBusy() });
}

function idleUnlessBusy() {
  const s = useTry.getState().status;
  return s === 'loading' || s === 'running' ? s : 'idle';
}

function addOwn(choice: BaseChoice): void {
  useTry.setState((s) => ({
    ownBases: [...s.ownBases.filter((b) => b.id !== choice.id), choice],
    baseId: choice.id,
    ownInput: '',
    fit: null,
    error: null,
    status: idleUnlessBusy(),
  }));
}

/** A URL or owner/repo/file.gguf typed by the user; a bad one is shown in place. */
export function addOwnBase(input: string): void {
  try {
    addOwn(baseFromInput(input));
  } catch (e) {
    showError({
      title: 'That is not a GGUF location',
      message: e instanceof Error ? e.message : String(e),
      hint: 'Give the URL of a .gguf file, or owner/repo/file.gguf on the Hugging Face Hub.',
      code: 'bad-input',
      retry: false,
    });
  }
}

export function addOwnFile(file: File): void {
  addOwn(baseFromFile(file));
}

function showError(error: ShownError): void {
  useTry.setState({ status: 'error', error, stage: '' });
}

function explainLlmError(e: unknown): ShownError {
  const detail: WorkerError =
    e instanceof WorkerCallError
      ? e.detail
      : { code: 'internal', message: e instanceof Error ? e.message : String(e) };
  if (/not a GGUF|truncated|corrupt|GGUF version|GGUF header/i.test(detail.message)) {
    return {
      title: 'That file is not a usable GGUF model',
      message: detail.message,
      hint: 'Use a complete .gguf model file (a download cut short fails here); the adapter is untouched.',
      code: detail.code,
      retry: false,
    };
  }
  if (['bad-shape', 'bad-input', 'unsupported'].includes(detail.code)) {
    return {
      title: 'This base model cannot take the adapter',
      message: detail.message,
      hint: 'Pick the base model the adapter was generated for (first in the list), or a GGUF of it.',
      code: detail.code,
      retry: false,
    };
  }
  if (detail.code === 'runtime') {
    return {
      title: 'llama.cpp could not run it',
      message: detail.message,
      hint: 'Check that the file is a complete GGUF model; a download cut short or another file type fails here.',
      code: detail.code,
      retry: false,
    };
  }
  return explainError(detail, currentHubEndpoint());
}

/**
 * Checks the fit (unless forced), loads the base with the result's adapter, and runs the prompt.
 * Errors stay in the Try panel.
 */
export async function runTry(options: { force?: boolean } = {}): Promise<void> {
  const result = useRun.getState().result;
  const state = useTry.getState();
  if (state.status === 'loading' || state.status === 'running') return;
  const adapter = result?.adapters[0];
  if (!result || !adapter) return;
  if (!adapter.gguf) {
    return showError({
      title: 'No GGUF for this adapter',
      message: adapter.ggufNote || 'This adapter has no llama.cpp (GGUF) form.',
      hint: 'Trying in the page needs a GGUF adapter, offered for Llama, Mistral and Gemma-2 base models.',
      code: 'unsupported',
      retry: false,
    });
  }
  const base = selectedBase();
  if (!base) {
    return showError({
      title: 'No base model',
      message: 'Choose a base model GGUF to run the adapter on.',
      hint: 'Pick one from the list, give a URL or Hub path, or open a .gguf file.',
      code: 'bad-input',
      retry: false,
    });
  }
  if (!state.prompt.trim()) {
    return showError({
      title: 'Write a prompt first',
      message: 'The prompt is empty.',
      hint: 'Type what to ask the model.',
      code: 'bad-input',
      retry: false,
    });
  }

  if (!options.force && base.source.kind === 'url') {
    const cached = (await cachedInfo(base.source.url)) !== null;
    const fit = estimateFit(base.size, await deviceFacts(cached));
    useTry.setState({ fit });
    if (!fit.ok) {
      return useTry.setState({ status: 'refused', error: null, stage: '' });
    }
  }

  controller = new AbortController();
  const signal = controller.signal;
  useTry.setState({
    status: 'loading',
    stage: `Getting ${base.label}`,
    file: null,
    error: null,
    output: '',
    result: null,
  });
  try {
    const onProgress = (p: LlmProgress) => {
      if (p.type === 'llm-stage') useTry.setState({ stage: p.detail });
      else if (p.type === 'file') {
        const { url, name, state: fileState, loaded, total, bytesPerSecond } = p;
        useTry.setState({ file: { url, name, state: fileState, loaded, total, bytesPerSecond } });
      }
    };
    const { prepared, ids } = await prepareLlm(
      base,
      [{ label: result.description, gguf: adapter.gguf }],
      { signal, onProgress },
    );
    useTry.setState({
      status: 'running',
      stage: '',
      model: prepared.model,
      backend: prepared.backend,
      baseLoads: prepared.baseLoads,
    });
    const s = useTry.getState();
    const out = await completeLlm(
      prepared,
      {
        prompt: s.prompt,
        system: s.system,
        adapter: ids[0]!,
        scale: s.scale,
        maxTokens: s.maxTokens,
        ...(s.sampling ? { sampling: s.sampling } : {}),
      },
      { signal, onToken: (t) => useTry.setState((x) => ({ output: x.output + t })) },
    );
    useTry.setState({
      status: out.finish === 'stopped' ? 'stopped' : 'done',
      result: out,
      output: out.text,
    });
  } catch (e) {
    if (e instanceof WorkerCallError && e.detail.code === 'cancelled') {
      useTry.setState({ status: 'stopped', stage: '' });
    } else {
      showError(explainLlmError(e));
    }
  } finally {
    controller = null;
  }
}

/** The Stop button: ends the running prompt (or the load); what was generated stays. */
export function stopTry(): void {
  controller?.abort();
}
