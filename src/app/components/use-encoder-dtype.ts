import { useCapabilities } from '../stores/capabilities';
import { useCatalog } from '../stores/catalog';
import { useDraftOptions } from '../stores/draft';
import { useSettings } from '../stores/settings';
import type { EncoderDtype } from '../../core/encoder/dtype';
import { expectedEncoderDtype } from '../services/first-download';
import { currentSelection } from '../services/selection';

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
