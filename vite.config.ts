import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, relative, resolve, sep } from 'node:path';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { pwa } from './pwa.config';

// Threaded wasm needs SharedArrayBuffer, which needs cross-origin isolation.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The files onnxruntime-web loads at run time, glue module and binary: the Asyncify build for
 * WebGPU sessions (and transformers.js), the plain one for wasm sessions (src/runtime/web.ts).
 */
const ORT_FILES = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
];
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

/** wllama's binary (its JavaScript glue is bundled in its module): served under /wllama/ like ort. */
const WLLAMA_FILES = ['wllama.wasm'];
const wllamaDist = join(
  dirname(createRequire(import.meta.url).resolve('@wllama/wllama/package.json')),
  'esm',
  'wasm',
);

/** Serves wllama's wasm under /wllama/ in dev and copies it into the build: no CDN, works offline. */
function wllamaWasmFiles(): Plugin {
  return {
    name: 't2l-wllama-wasm-files',
    configureServer(server) {
      server.middlewares.use('/wllama', (req, res, next) => {
        const name = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
        if (!WLLAMA_FILES.includes(name)) return next();
        res.writeHead(200, { 'Content-Type': 'application/wasm', ...isolationHeaders });
        createReadStream(join(wllamaDist, name)).pipe(res);
      });
    },
    generateBundle() {
      for (const name of WLLAMA_FILES) {
        const source = readFileSync(join(wllamaDist, name));
        this.emitFile({ type: 'asset', fileName: `wllama/${name}`, source });
      }
    },
  };
}

/** What the footer shows as this build's version (src/app/shell/version.ts). */
const VERSION =
  process.env.T2L_VERSION ||
  (
    JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

const MODELS_DIR = resolve(import.meta.dirname, 'models');
/** What of models/ the app serves: the catalog and the offline demo models (npm run fixtures). */
const MODEL_PATHS = ['catalog.json', 'demo'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const MIME: Record<string, string> = {
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
};

/** The request's path below the middleware's mount point, decoded, without leading slashes. */
function requestPath(req: IncomingMessage): string {
  return decodeURIComponent((req.url ?? '').split('?')[0]!).replace(/^\/+/, '');
}

/** Whether `file` is `root` itself or lies below it (no `..` escape). */
function isInside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
}

/**
 * Answers a request with one file, as a static host does: 404 (not the HTML page) when it is
 * missing, byte ranges for resumed downloads, cross-origin isolation headers. `shown` is the path
 * the 404 names.
 */
function sendFile(req: IncomingMessage, res: ServerResponse, file: string, shown: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain', ...isolationHeaders });
    res.end(`not found: ${shown}`);
    return;
  }
  const ext = file.slice(file.lastIndexOf('.'));
  const size = statSync(file).size;
  // Ranges as any static host answers them, so resumed downloads are exercised in dev too.
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
  const start = range ? Number(range[1]) : 0;
  const end = range?.[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (range && start > end) {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, ...isolationHeaders });
    res.end();
    return;
  }
  res.writeHead(range ? 206 : 200, {
    'Content-Type': MIME[ext] ?? 'application/octet-stream',
    'Content-Length': end - start + 1,
    'Accept-Ranges': 'bytes',
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    'Cache-Control': 'no-cache',
    ...isolationHeaders,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}

/**
 * Serves models/catalog.json and models/demo/ under /models/ in dev and copies them into the build
 * (and so into `vite preview`): the demo works offline from the app's own origin. Missing files
 * answer 404 rather than the HTML page, so the app can tell a missing file from a present one.
 */
function modelFiles(): Plugin {
  return {
    name: 't2l-model-files',
    configureServer(server) {
      server.middlewares.use('/models', (req, res, next) => {
        const path = requestPath(req);
        const file = resolve(MODELS_DIR, path);
        if (!MODEL_PATHS.some((p) => isInside(join(MODELS_DIR, p), file))) return next();
        sendFile(req, res, file, `/models/${path}`);
      });
    },
    generateBundle() {
      for (const p of MODEL_PATHS) {
        const root = join(MODELS_DIR, p);
        if (!existsSync(root)) {
          this.warn(`models/${p} is missing; run npm run fixtures before building for the demo`);
          continue;
        }
        const files = statSync(root).isDirectory() ? filesUnder(root) : [root];
        for (const file of files) {
          const fileName = `models/${relative(MODELS_DIR, file).split(sep).join('/')}`;
          this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
        }
      }
    },
  };
}

const FIXTURES_DIR = resolve(import.meta.dirname, 'test', 'fixtures');

/**
 * The e2e harness reads the conformance vectors from /test/fixtures/, which the dev server serves
 * from the repository. `vite preview` serves only the build, so for an e2e build (T2L_E2E set)
 * it serves that folder too, read only and nothing outside it; `npm run build` never does.
 */
function e2eFixtures(): Plugin {
  return {
    name: 't2l-e2e-fixtures',
    configurePreviewServer(server) {
      if (!process.env.T2L_E2E) return;
      server.middlewares.use('/test/fixtures', (req, res, next) => {
        const path = requestPath(req);
        const file = resolve(FIXTURES_DIR, path);
        if (!isInside(FIXTURES_DIR, file)) return next();
        sendFile(req, res, file, `/test/fixtures/${path}`);
      });
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    tailwindcss(),
    ortWasmFiles(),
    wllamaWasmFiles(),
    modelFiles(),
    e2eFixtures(),
    pwa(),
  ],
  define: { __T2L_VERSION__: JSON.stringify(VERSION) },
  resolve: {
    // onnxruntime-web's "extern wasm" entries load the glue module from ort.env.wasm.wasmPaths
    // instead of embedding it, so the build does not also emit a hashed copy of the 26 MB wasm.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  // Pre-bundling would move onnxruntime-web away from the URL its workers are loaded from.
  optimizeDeps: {
    exclude: ['onnxruntime-web'],
    // The worker's imports are scanned up front too: a dependency found late makes Vite re-bundle
    // and reload the page mid-generation.
    entries: [
      'index.html',
      'e2e/harness/index.html',
      'src/app/worker/t2l.worker.ts',
      'src/app/worker/llm.worker.ts',
      'src/app/worker/encoder-graph.worker.ts',
    ],
  },
  worker: { format: 'es' },
  server: {
    headers: isolationHeaders,
    // The e2e server serves a fixed tree: an edit elsewhere in the repository during a run must not
    // reload the page under test (the app's worker cannot be hot-updated, so any change reloads).
    ...(process.env.T2L_E2E ? { watch: null } : {}),
  },
  preview: { headers: isolationHeaders },
  build: {
    rolldownOptions: {
      // The test harness is built only for the e2e tests on the production build (Playwright's
      // web server sets T2L_E2E): what is deployed ships the app alone.
      input: {
        app: 'index.html',
        ...(process.env.T2L_E2E ? { harness: 'e2e/harness/index.html' } : {}),
      },
    },
  },
});
