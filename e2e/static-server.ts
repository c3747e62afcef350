/**
 * A static file server for e2e specs that need to change what is deployed mid-test (the update
 * spec): it serves one folder, and `deploy` switches to another, as a host does when a new build is
 * uploaded. Every response carries the isolation headers the app's hosting needs (docs/app.md) and
 * `Cache-Control: no-cache`, so the browser revalidates as it would against a real deployment.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, relative, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

export interface StaticServer {
  url: string;
  /** Serve this folder from now on. */
  deploy(folder: string): void;
  close(): Promise<void>;
}

export async function serveFolder(folder: string, port: number): Promise<StaticServer> {
  let root = resolve(folder);
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = resolve(join(root, path));
    const rel = relative(root, file);
    if (rel.startsWith('..') || rel.startsWith(sep)) {
      res.writeHead(403, HEADERS).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...HEADERS }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      ...HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, 'localhost', ok);
  });
  return {
    url: `http://localhost:${port}`,
    deploy(next) {
      root = resolve(next);
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
