/**
 * A generation cut off by a reload (or a closed tab) leaves a mark in sessionStorage; the next
 * start-up of this tab finds it and says the run was interrupted, instead of an empty result panel.
 */
import { useRun } from '../shared/run-store';

const KEY = 't2l-running';

interface RunningMark {
  description: string;
  model: string;
}

export function markRunning(mark: RunningMark): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(mark));
  } catch {
    /* storage unavailable: the notice is a nicety */
  }
}

export function clearRunning(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* see markRunning */
  }
}

/** On start-up: a run that was going when the page went away is reported in the result panel. */
export function reportInterruptedRun(): void {
  let mark: RunningMark | null;
  try {
    mark = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as RunningMark | null;
  } catch {
    mark = null;
  }
  clearRunning();
  if (!mark || typeof mark.description !== 'string') return;
  useRun.setState({
    status: 'error',
    error: {
      title: 'The last generation was interrupted',
      message: `The page was reloaded while generating “${mark.description}” with ${mark.model}; nothing from that run was kept.`,
      hint: 'Generate again: the description and model are as you left them, and files that finished downloading are in the cache.',
      code: 'interrupted',
      retry: true,
    },
  });
}
