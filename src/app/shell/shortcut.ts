/** Ctrl+Enter (⌘+Enter on Apple keyboards) generates from anywhere on the page. */
import { generate } from '../generate/generation';

export function installShortcut(): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.isComposing) {
      e.preventDefault();
      void generate();
    }
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
