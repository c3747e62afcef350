/**
 * The hashing worker: SHA-256 of a cached body in OPFS (stored-bodies.ts), read from disk in
 * chunks, so the worker that builds sessions is not held for the seconds a large file takes
 * (crypto.subtle.digest runs on the calling thread and cannot be fed in parts).
 * hash-wasm gives the incremental SHA-256; a chunk at a time keeps memory at one chunk.
 */
import { createSHA256 } from 'hash-wasm';
import { openBodyForReading } from '../shared/stored-bodies';
import type { HashMethods, HashInbound, HashOutbound } from './hash-protocol';
import { serveRpc, type RpcScope } from './rpc-serve';

const CHUNK = 8 * 1024 * 1024;

async function hashBody(name: string, signal: AbortSignal): Promise<string> {
  const hasher = await createSHA256();
  hasher.init();
  const reader = await openBodyForReading(name);
  if (!reader) throw new Error('this browser has no synchronous file access in workers');
  try {
    const chunk = new Uint8Array(Math.min(CHUNK, Math.max(reader.size, 1)));
    for (let at = 0; at < reader.size;) {
      signal.throwIfAborted();
      const n = reader.read(chunk.subarray(0, Math.min(chunk.length, reader.size - at)), at);
      if (n <= 0) throw new Error(`it ended after ${at} of ${reader.size} bytes`);
      hasher.update(chunk.subarray(0, n));
      at += n;
    }
  } finally {
    reader.close();
  }
  return hasher.digest('hex');
}

serveRpc<HashMethods, never>(self as unknown as RpcScope<HashInbound, HashOutbound>, {
  accept:
    (msg, { signal }) =>
    () =>
      hashBody(msg.params.name, signal),
  // Each call reads its own file: no reason to queue one behind another.
  lane: () => 'now',
  toError: (e, signal) =>
    signal.aborted
      ? { code: 'cancelled', message: 'Cancelled.' }
      : { code: 'internal', message: e instanceof Error ? e.message : String(e) },
});
