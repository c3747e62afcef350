/** Hex digests through WebCrypto (browsers, workers, Node 20+): one spelling for the project. */

/** Lowercase hex of `algorithm`'s digest of `bytes` (runs on the calling thread). */
export async function digestHex(
  algorithm: 'SHA-256' | 'SHA-1',
  bytes: Uint8Array,
): Promise<string> {
  const digest = await crypto.subtle.digest(algorithm, bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lowercase hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): Promise<string> {
  return digestHex('SHA-256', bytes);
}
