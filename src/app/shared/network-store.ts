/**
 * Whether the Hugging Face Hub can be reached, as far as the page knows without asking it: the
 * browser's online flag, and the last Hub download that failed for want of a connection.
 */
import { create } from 'zustand';

export interface NetworkState {
  online: boolean;
  /** A Hub request failed to connect since the last time the browser came online. */
  hubFailed: boolean;
}

export const useNetwork = create<NetworkState>()(() => ({
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  hubFailed: false,
}));

/** Follows the browser's online/offline events; returns the remover. */
export function installNetworkWatch(): () => void {
  const update = () => useNetwork.setState({ online: navigator.onLine, hubFailed: false });
  addEventListener('online', update);
  addEventListener('offline', update);
  return () => {
    removeEventListener('online', update);
    removeEventListener('offline', update);
  };
}
