/** The hashing worker's one method (hash.worker.ts), in the shapes of rpc-protocol.ts. */
import type { RpcInbound, RpcOutbound } from './rpc-protocol';

export interface HashMethods {
  /** SHA-256 (lowercase hex) of the OPFS body `name` (stored-bodies.ts). */
  hashBody: { params: { name: string }; result: string };
}

export type HashInbound = RpcInbound<HashMethods>;
export type HashOutbound = RpcOutbound<never>;
