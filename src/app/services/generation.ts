/** Runs a generation from what the stores hold, and feeds progress and the outcome back into them. */
import type { T2LError } from '../../core/errors';
import { formatDescription } from '../../core/encoder/format';
import { useCapabilities } from '../stores/capabilities';
import { LOCAL_ID, useCatalog } from '../stores/catalog';
import { useDraft } from '../stores/draft';
import { upsertFile, useRun, type RunResult } from '../stores/run';
import { useSettings } from '../stores/settings';
import { chooseBackends } from './backend-choice';
import { askPersistentStorage, refreshCache } from './cache-service';
import { encoderTable, toModelSource } from './catalog';
import { explainError, type ShownError } from './error-hints';
import { fileStem } from './format';
import { allEntries, selectedEntry } from './models';
import { saveBytes } from './save-file';
import { WorkerCallError, workerClient } from './worker-client';
import { detectCapabilities } from './init';
import type { GenerateRequest, ModelSource, Progress } from '../worker/protocol';

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

export async function generate(): Promise<void> {
  if (useRun.getState().status === 'running') return;
  const draft = useDraft.getState();
  const settings = useSettings.getState();
  const catalog = useCatalog.getState();
  const entry = selectedEntry(allEntries(catalog, settings.userModels), draft.modelId);
  if (!entry) {
    return fail({
      title: 'No model',
      message: 'There is no model to run.',
      hint: 'Open a checkpoint folder or wait for the catalog to load.',
      code: 'bad-input',
    });
  }
  const description = draft.description;
  try {
    // The worker formats it again; this only stops an empty description before any download.
    formatDescription(description);
  } catch (e) {
    return fail({
      title: 'Describe the task first',
      message: (e as T2LError).message,
      hint: 'Or click one of the examples under the box.',
      code: 'bad-input',
    });
  }

  if (!useCapabilities.getState().caps) await detectCapabilities();
  const caps = useCapabilities.getState().caps;
  if (!caps) {
    return fail({
      title: 'The generation worker did not start',
      message: useCapabilities.getState().error ?? 'unknown error',
      hint: 'Reload the page. The app needs a browser with Web Workers and WebAssembly.',
      code: 'internal',
    });
  }
  const choice = chooseBackends(draft.backend, caps, {
    remoteConfigured: Boolean(settings.remoteUrl),
    ...(entry.remoteFirst ? { remoteFirst: true } : {}),
    ...(entry.size ? { modelBytes: entry.size } : {}),
    ...((navigator as { deviceMemory?: number }).deviceMemory
      ? { deviceMemoryGb: (navigator as { deviceMemory?: number }).deviceMemory }
      : {}),
  });
  if (!choice.ok) {
    return fail({
      title: 'That backend cannot run here',
      message: choice.reason,
      hint: 'Pick another backend below the model list.',
      code: 'bad-input',
    });
  }

  let model: ModelSource;
  if (entry.id === LOCAL_ID && catalog.local) {
    model = { kind: 'files', label: catalog.local.label, files: catalog.local.files };
  } else {
    model = toModelSource(entry);
  }
  const request: GenerateRequest = {
    model,
    encoders: encoderTable(catalog.catalog),
    descriptions: [description],
    backends: choice.backends,
    backendReason: choice.reason,
    dtype: draft.dtype,
    encoderDtype: 'fp32',
    ...(settings.hfToken ? { hfToken: settings.hfToken } : {}),
    ...(settings.remoteUrl
      ? {
          remote: {
            url: settings.remoteUrl,
            ...(settings.remoteToken ? { token: settings.remoteToken } : {}),
          },
        }
      : {}),
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
  try {
    const result = await workerClient().call('generate', request, {
      signal: controller.signal,
      onProgress,
    });
    const run: RunResult = {
      ...result,
      id,
      modelName: entry.name,
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
      fail(explainError(e.detail));
    } else {
      fail(explainError({ code: 'internal', message: e instanceof Error ? e.message : String(e) }));
    }
  } finally {
    controller = null;
    void refreshCache();
  }
}

export function cancel(): void {
  controller?.abort();
}

export function downloadZip(result: RunResult, index = 0): void {
  const a = result.adapters[index]!;
  saveBytes(a.zip, `${fileStem(a.description)}.zip`, 'application/zip');
}

export function downloadSafetensors(result: RunResult, index = 0): void {
  const a = result.adapters[index]!;
  saveBytes(a.safetensors, 'adapter_model.safetensors');
}
