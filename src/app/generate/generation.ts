/** Runs a generation from what the stores hold, and feeds progress and the outcome back into them. */
import type { T2LError } from '../../core/errors';
import { formatDescription } from '../../core/encoder/format';
import { useCapabilities } from '../shared/capabilities-store';
import { LOCAL_ID, useCatalog } from '../shared/catalog-store';
import { useDraft } from '../shared/draft-store';
import { useFormErrors } from './form-errors-store';
import { useNetwork } from '../shared/network-store';
import { upsertFile, useRun, type RunResult } from '../shared/run-store';
import { useSettings } from '../shared/settings-store';
import { askPersistentStorage, refreshCache } from '../shared/cache-service';
import {
  encoderRevision,
  encoderTable,
  hubAccess,
  knownFiles,
  remoteModelName,
  toModelSource,
} from '../shared/catalog';
import { explainError, type ShownError } from '../shared/error-hints';
import { hubEndpointFor } from '../shared/hub-endpoint';
import { currentSelection } from '../shared/selection';
import { downloadFileName, type DownloadNaming } from '../shared/download-names';
import { saveBytes } from '../shared/save-file';
import { remoteAccess } from '../shared/remote-url';
import { workerClient } from '../shared/worker-client';
import { WorkerCallError } from '../shared/worker-rpc';
import { detectCapabilities } from '../shared/capabilities';
import { clearRunning, markRunning } from './interrupted';
import type { GenerateRequest, ModelSource, Progress } from '../worker/protocol';

// resolvePrecision lives in shared/ (prewarm.ts and Compare's requests use it too); re-exported for
// the Options card.
import { resolvePrecision } from '../shared/precision-choice';
export { resolvePrecision };

let controller: AbortController | null = null;
let runs = 0;

function fail(error: ShownError): void {
  useRun.setState({ status: 'error', error, stage: null });
}

function onProgress(p: Progress): void {
  if (p.type === 'stage') {
    useRun.setState({ stage: p.stage, stageDetail: p.detail });
  } else {
    const { url, name, state, loaded, total, bytesPerSecond, note } = p;
    const file = { url, name, state, loaded, total, bytesPerSecond, ...(note ? { note } : {}) };
    useRun.setState((s) => ({ files: upsertFile(s.files, file) }));
  }
}

let busy = false;

/** Generates from the current draft; a second call while one runs (double Ctrl+Enter) is ignored. */
export async function generate(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    await run();
  } finally {
    busy = false;
  }
}

async function run(): Promise<void> {
  const draft = useDraft.getState();
  const settings = useSettings.getState();
  const catalog = useCatalog.getState();
  const { entry } = currentSelection(draft, catalog, settings, null);
  if (!entry) {
    return fail({
      title: 'No model',
      message: 'There is no model to run.',
      hint: 'Open a checkpoint folder or wait for the catalog to load.',
      code: 'bad-input',
      retry: false,
    });
  }
  const description = draft.description;
  try {
    // The worker formats it again; this only stops an empty description before any download.
    formatDescription(description);
  } catch (e) {
    // Reported at the text box (the result panel keeps what it showed), and focus goes there.
    useFormErrors.setState({ description: (e as T2LError).message });
    document.getElementById('description')?.focus();
    return;
  }
  useFormErrors.setState({ description: null });

  if (!useCapabilities.getState().caps) await detectCapabilities();
  const caps = useCapabilities.getState().caps;
  if (!caps) {
    return fail({
      title: 'The generation worker did not start',
      message: useCapabilities.getState().error ?? 'unknown error',
      hint: 'Reload the page. The app needs a browser with Web Workers and WebAssembly.',
      code: 'internal',
      retry: false,
    });
  }
  const { choice } = currentSelection(draft, catalog, settings, caps);
  if (!choice) return;
  if (!choice.ok) {
    return fail({
      title: 'That backend cannot run here',
      message: choice.reason,
      hint: 'Pick another backend below the model list.',
      code: 'bad-input',
      retry: false,
    });
  }

  const local = entry.id === LOCAL_ID ? catalog.local : null;
  const model: ModelSource = local
    ? { kind: 'files', label: local.label, files: local.files }
    : toModelSource(entry);
  const request: GenerateRequest = {
    model,
    encoders: encoderTable(catalog.catalog),
    known: knownFiles(catalog.catalog, local ? undefined : entry),
    descriptions: [description],
    backends: choice.backends,
    backendReason: choice.reason,
    remoteModel: local ? local.label : remoteModelName(entry),
    dtype: draft.dtype,
    precision: resolvePrecision(draft.precision, choice.backends),
    encoderDtype: draft.encoderDtype,
    ...hubAccess(settings),
    ...remoteAccess(settings),
  };

  const id = ++runs;
  controller = new AbortController();
  const startedAt = performance.now();
  useRun.setState({
    status: 'running',
    stage: 'load',
    stageDetail: 'Starting',
    startedAt,
    files: [],
    error: null,
  });
  markRunning({ description, model: entry.name });
  try {
    const result = await workerClient().call('generate', request, {
      signal: controller.signal,
      onProgress,
    });
    const encoderRev = encoderRevision(catalog.catalog, result.model.encoder);
    const run: RunResult = {
      ...result,
      id,
      modelName: entry.name,
      ...(entry.source.revision && !local ? { revision: entry.source.revision } : {}),
      ...(encoderRev ? { encoderRevision: encoderRev } : {}),
      ...((entry.source.hub && !local) || encoderRev
        ? { hubEndpoint: hubEndpointFor(settings.hubEndpoint) }
        : {}),
      description,
      dtype: draft.dtype,
      finishedAt: Date.now(),
      totalMs: performance.now() - startedAt,
    };
    useRun.setState({ status: 'done', result: run, stage: null });
    void askPersistentStorage();
  } catch (e) {
    if (e instanceof WorkerCallError && e.detail.code === 'cancelled') {
      useRun.setState({ status: 'cancelled', stage: null });
    } else if (e instanceof WorkerCallError) {
      const shown = explainError(e.detail, hubEndpointFor(settings.hubEndpoint));
      if (/^Could not reach the (Hugging Face Hub|Hub endpoint)/.test(shown.title))
        useNetwork.setState({ hubFailed: true });
      fail(shown);
    } else {
      fail(explainError({ code: 'internal', message: e instanceof Error ? e.message : String(e) }));
    }
  } finally {
    clearRunning();
    controller = null;
    void refreshCache();
  }
}

export function cancel(): void {
  controller?.abort();
}

function naming(result: RunResult, index: number): DownloadNaming {
  const a = result.adapters[index]!;
  return { description: a.description, model: result.modelName, safetensors: a.safetensors };
}

export function downloadZip(result: RunResult, index = 0): void {
  const a = result.adapters[index]!;
  saveBytes(a.zip, downloadFileName(naming(result, index), 'zip'), 'application/zip');
}

export function downloadSafetensors(result: RunResult, index = 0): void {
  const a = result.adapters[index]!;
  saveBytes(a.safetensors, downloadFileName(naming(result, index), 'safetensors'));
}

export function downloadGguf(result: RunResult, index = 0): void {
  const a = result.adapters[index]!;
  if (a.gguf) saveBytes(a.gguf, downloadFileName(naming(result, index), 'gguf'));
}
