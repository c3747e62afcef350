/** Words several features show: the generation stages' names and the generate shortcut's key. */
import type { Stage } from '../worker/protocol';

/** Each stage of a generation as the page names it (progress, timings, Compare's charts). */
export const STAGE_LABEL: Record<Stage, string> = {
  load: 'Load',
  encode: 'Encode',
  hypernetwork: 'Hypernetwork',
  pack: 'Pack',
};

const isApple = () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** The modifier of the generate shortcut (shell/shortcut.ts): ⌘ on Apple keyboards, else Ctrl. */
export function shortcutLabel(): string {
  return isApple() ? '⌘' : 'Ctrl';
}
