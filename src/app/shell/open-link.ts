/** Applies a share link's settings on start-up (once), then tidies the address bar. */
import { defaultConfig, useCompare } from '../shared/compare-store';
import { useDraft } from '../shared/draft-store';
import { showView } from '../shared/view-store';
import { useCatalog } from '../shared/catalog-store';
import { showNotice } from '../shared/notices-store';
import { useSettings } from '../shared/settings-store';
import { allEntries, selectedEntry } from '../shared/models';
import {
  hasSharedSettings,
  ignoredShareParams,
  parseShareQuery,
  type SharedSettings,
} from '../shared/share-link';

export function applySharedSettings(s: SharedSettings): void {
  const draft = useDraft.getState();
  if (s.modelId) draft.setModelId(s.modelId);
  if (s.backend) draft.setBackend(s.backend);
  if (s.precision) draft.setPrecision(s.precision);
  if (s.dtype) draft.setDtype(s.dtype);
  if (s.encoderDtype) draft.setEncoderDtype(s.encoderDtype);
  if (s.description !== undefined) draft.setDescription(s.description);
  if (s.blendWith !== undefined && s.blendWeight !== undefined) {
    // A blend is made in the Compare view.
    const base = defaultConfig(s.modelId ?? useCompare.getState().single.modelId);
    useCompare.setState({
      mode: 'blend',
      single: {
        ...base,
        ...(s.backend ? { backend: s.backend } : {}),
        ...(s.precision ? { precision: s.precision } : {}),
        ...(s.dtype ? { dtype: s.dtype } : {}),
      },
      blend: { a: s.description ?? '', b: s.blendWith, weight: s.blendWeight },
    });
    showView('compare');
    return;
  }
  if (s.view) showView(s.view);
}

export function applyLinkOnce(): void {
  const s = parseShareQuery(location.search);
  reportIgnored(ignoredShareParams(location.search), s.modelId);
  if (!hasSharedSettings(s) && !s.view) return;
  applySharedSettings(s);
  // The settings now live in the draft; a reload should not re-apply over later edits.
  history.replaceState(null, '', location.pathname + location.hash);
}

const NOTICE = 'share-link';

/**
 * Says what of a share link was not applied: parameters it does not know or values out of range
 * at once, and a model this browser does not list once the catalog has loaded.
 */
function reportIgnored(ignored: string[], modelId: string | undefined): void {
  const say = (parts: string[]) =>
    showNotice({
      id: NOTICE,
      text: `This link’s settings were applied, except: ${parts.join('; ')}.`,
    });
  if (ignored.length > 0) say([`ignored ${ignored.join(', ')}`]);
  if (!modelId) return;
  const check = () => {
    const catalog = useCatalog.getState();
    if (catalog.status === 'loading') return false;
    const known = allEntries(catalog, useSettings.getState().userModels).some(
      (e) => e.id === modelId,
    );
    if (!known) {
      const first = selectedEntry(allEntries(catalog, useSettings.getState().userModels), null);
      say([
        ...(ignored.length > 0 ? [`ignored ${ignored.join(', ')}`] : []),
        `model “${modelId}” is not listed here${first ? `, so ${first.name} is selected` : ''}`,
      ]);
    }
    return true;
  };
  if (check()) return;
  const stop = useCatalog.subscribe(() => {
    if (check()) stop();
  });
}
