import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

// Threaded wasm needs SharedArrayBuffer, which needs cross-origin isolation.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The files onnxruntime-web/webgpu loads at run time: its wasm glue module and binary. */
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
const ortDist = dirname(
  createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm'),
);

/** Serves onnxruntime-web's runtime files under /ort/ in dev and copies them into the build. */
function ortWasmFiles(): Plugin {
  return {
    name: 't2l-ort-wasm-files',
    configureServer(server) {
      server.middlewares.use('/ort', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
        if (!ORT_FILES.includes(name)) return next();
        const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
        res.writeHead(200, { 'Content-Type': type, ...isolationHeaders });
        createReadStream(join(ortDist, name)).pipe(res);
      });
    },
    generateBundle() {
      for (const name of ORT_FILES) {
        const source = readFileSync(join(ortDist, name));
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), ortWasmFiles()],
  resolve: {
    // onnxruntime-web's "extern wasm" entries load the glue module from ort.env.wasm.wasmPaths
    // instead of embedding it, so the build does not also emit a hashed copy of the 26 MB wasm.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  // Pre-bundling would move onnxruntime-web away from the URL its workers are loaded from.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: {
    rolldownOptions: {
      input: { app: 'index.html', harness: 'e2e/harness/index.html' },
    },
  },
});
