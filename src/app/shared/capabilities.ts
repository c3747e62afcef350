/**
 * What this browser can run (WebGPU, isolation, threads), asked of the T2L worker and kept in the
 * capabilities store: at start-up (shell/init.ts), and again by Generate and Compare when a run
 * finds none (the worker had not answered yet, or failed).
 */
import { useCapabilities } from './capabilities-store';
import { workerClient } from './worker-client';

export async function detectCapabilities(): Promise<void> {
  try {
    const caps = await workerClient().call('capabilities', null);
    useCapabilities.setState({ caps, error: null });
  } catch (e) {
    useCapabilities.setState({ error: e instanceof Error ? e.message : String(e) });
  }
}
