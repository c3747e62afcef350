import { useCapabilities } from '../shared/capabilities-store';
import { useCatalog } from '../shared/catalog-store';
import { useDraftOptions } from '../shared/draft-store';
import { useSettings } from '../shared/settings-store';
import type { EncoderDtype } from '../../core/encoder/dtype';
import { expectedEncoderDtype } from './first-download';
import { currentSelection } from '../shared/selection';

/** For model cards: the encoder dtype a generation with the current settings would load. */
export function useExpectedEncoderDtype(): (
  available: readonly EncoderDtype[] | undefined,
) => EncoderDtype {
  const draft = useDraftOptions();
  const catalog = useCatalog();
  const settings = useSettings();
  const caps = useCapabilities((s) => s.caps);
  const { choice } = currentSelection(draft, catalog, settings, caps);
  return (available) => expectedEncoderDtype(draft.encoderDtype, available, choice, caps);
}
