/**
 * Chromium's switches for every headless run here (Playwright's e2e projects, the benchmark's
 * pages). Without these Chromium keeps calling home, which fails on a closed network.
 */
export const CLOSED_NETWORK_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** The same, with a WebGPU adapter (SwiftShader on a machine without a GPU). */
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', ...CLOSED_NETWORK_ARGS];
