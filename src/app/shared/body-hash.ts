/**
 * SHA-256 of a cached body in OPFS, computed in the hashing worker (worker/hash.worker.ts) so the
 * calling worker stays free for session creation; where that worker cannot run (no nested workers,
 * no sync access handles), on this thread instead.
 */
import { sha256Hex } from '../../core/digest';
import type { HashInbound, HashMethods, HashOutbound } from '../worker/hash-protocol';
import { readBody } from './stored-bodies';
import { createRpcClient, type RpcClient, type RpcPort } from './worker-rpc';

let client: RpcClient<HashMethods, never> | null = null;

/** Lowercase hex SHA-256 of OPFS body `name`. Throws when it is missing or cannot be read. */
export async function hashStoredBody(name: string): Promise<string> {
  if (typeof Worker !== 'undefined') {
    client ??= createRpcClient<HashMethods, never>(
      () =>
        new Worker(new URL('../worker/hash.worker.ts', import.meta.url), {
          type: 'module',
        }) as unknown as RpcPort<HashInbound, HashOutbound>,
      { name: 'hashing worker', cancel: { settle: 'by-worker' } },
    );
    try {
      return await client.call('hashBody', { name });
    } catch {
      // The worker could not start or read the file: read it here, which either hashes it or
      // throws the reason the caller reports.
    }
  }
  return sha256Hex(await readBody(name));
}
