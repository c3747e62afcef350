/**
 * The worker request for one Compare column's adapter (its model, backend, precision and dtype,
 * its description or blend), with the page's settings: Compare runs it, and Accuracy regenerates
 * a column's adapter with it.
 */
import { useCapabilities } from './capabilities-store';
import { LOCAL_ID, useCatalog } from './catalog-store';
import type { ColumnOutcome } from './compare-store';
import { useDraft } from './draft-store';
import { useSettings } from './settings-store';
import type { GenerateRequest, ModelSource } from '../worker/protocol';
import { chooseBackends } from './backend-choice';
import {
  encoderTable,
  hubAccess,
  remoteModelName,
  toModelSource,
  type CatalogEntry,
} from './catalog';
import { allEntries, selectedEntry } from './models';
import { resolvePrecision } from './precision-choice';
import { remoteAccess, remoteUrlProblem } from './remote-url';

function entryFor(modelId: string): CatalogEntry | undefined {
  return selectedEntry(
    allEntries(useCatalog.getState(), useSettings.getState().userModels),
    modelId,
  );
}

/**
 * The worker request that generates `column`'s adapter, or why it cannot run here. `key` keeps
 * the adapter in the worker for the charts' analysis (absent: not kept; the Accuracy control).
 */
export function columnRequest(
  column: Pick<ColumnOutcome, 'config' | 'description' | 'blend'>,
  key?: string,
): GenerateRequest | string {
  const entry = entryFor(column.config.modelId);
  if (!entry) return 'There is no model to run.';
  const caps = useCapabilities.getState().caps;
  if (!caps) return 'The generation worker did not start.';
  const settings = useSettings.getState();
  const catalog = useCatalog.getState();
  const choice = chooseBackends(column.config.backend, caps, {
    remoteConfigured: Boolean(settings.remoteUrl) && !remoteUrlProblem(settings.remoteUrl),
    ...(entry.remoteFirst ? { remoteFirst: true } : {}),
    ...(entry.size ? { modelBytes: entry.size } : {}),
  });
  if (!choice.ok) return choice.reason;
  const local = entry.id === LOCAL_ID ? catalog.local : null;
  const model: ModelSource = local
    ? { kind: 'files', label: local.label, files: local.files }
    : toModelSource(entry);
  return {
    model,
    encoders: encoderTable(catalog.catalog),
    descriptions: [column.description],
    backends: choice.backends,
    backendReason: choice.reason,
    remoteModel: local ? local.label : remoteModelName(entry),
    dtype: column.config.dtype,
    precision: resolvePrecision(column.config.precision, choice.backends),
    encoderDtype: useDraft.getState().encoderDtype,
    ...(key ? { analysisKey: key } : {}),
    ...(column.blend ? { blend: column.blend } : {}),
    ...hubAccess(settings),
    ...remoteAccess(settings),
  };
}
