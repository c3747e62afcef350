/** Applies a share link's settings on start-up (once), then tidies the address bar. */
import { defaultConfig, useCompare } from '../stores/compare';
import { useDraft } from '../stores/draft';
import { showView } from '../stores/view';
import { hasSharedSettings, parseShareQuery, type SharedSettings } from './share-link';

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
  if (!hasSharedSettings(s) && !s.view) return;
  applySharedSettings(s);
  // The settings now live in the draft; a reload should not re-apply over later edits.
  history.replaceState(null, '', location.pathname + location.hash);
}
