/** What this browser can run, as the worker detected it. */
import { create } from 'zustand';
import type { Capabilities } from '../worker/protocol';

export interface CapabilitiesState {
  caps: Capabilities | null;
  error: string | null;
}

export const useCapabilities = create<CapabilitiesState>()(() => ({ caps: null, error: null }));
