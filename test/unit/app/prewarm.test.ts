import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPrewarm } from '../../../src/app/generate/prewarm';
import { useDraft } from '../../../src/app/shared/draft-store';

describe('startPrewarm', () => {
  afterEach(() => vi.useRealTimers());

  it('waits again after a change of what is prepared, never after a key typed in the description', () => {
    vi.useFakeTimers();
    startPrewarm();
    // Nothing is prepared here (no catalog yet): the timer only calls prepareRequest, which says so.
    vi.runAllTimers();
    expect(vi.getTimerCount()).toBe(0);

    useDraft.getState().setDescription('Solve grade-school math');
    useDraft.getState().setDescription('Solve grade-school math word problems');
    expect(vi.getTimerCount()).toBe(0);

    useDraft.getState().setModelId('demo-L');
    expect(vi.getTimerCount()).toBe(1);
    vi.runAllTimers();
    useDraft.getState().setBackend('wasm');
    expect(vi.getTimerCount()).toBe(1);
  });
});
