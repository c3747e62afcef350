/**
 * What the Hub records about each file of a repository at one commit, read from its API
 * (`GET {endpoint}/api/{models|datasets}/{repo}/revision/{revision}?blobs=true`, huggingface_hub
 * hf_api.py `model_info(files_metadata=True)`): every file's size, its git blob id, and for LFS
 * files the sha256 of the bytes. A download is checked against this record, so a damaged or
 * swapped file is caught by its hash even where the download itself carries no usable hash (in a
 * browser, a redirected download's headers are the CDN's, not the Hub's).
 */
import { z } from 'zod';
import { T2LError } from '../errors';
import { parseWithSchema } from '../schema';
import { pyQuote, type HubRepoType } from './endpoint';
import { digestHex } from '../digest';
import { Received } from '../received';

/** One file as the Hub records it at a commit. */
export interface HubFileRecord {
  /** Bytes. */
  size: number;
  /** sha256 of the bytes (hex), for LFS files. */
  sha256?: string;
  /** git blob id: sha1 of `blob <size>\0` + bytes (hex), for files stored in git itself. */
  gitSha1?: string;
}

/** The largest API answer read (the SakanaAI/text-to-lora listing is ~100 kB). */
export const MODEL_INFO_MAX_BYTES = 16 * 1024 * 1024;

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const SIZE = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const ModelInfo = z.object({
  sha: z.string().regex(HEX40).optional(),
  siblings: z
    .array(
      z.object({
        rfilename: z.string().min(1).max(4096),
        size: SIZE.optional(),
        blobId: z.string().regex(HEX40).optional(),
        lfs: z.object({ sha256: z.string().regex(HEX64), size: SIZE }).optional(),
      }),
    )
    .max(1_000_000),
});

/** The API URL of a repository's files at `revision`, with their sizes and hashes. */
export function modelInfoUrl(
  endpoint: string,
  repo: string,
  revision: string,
  type: HubRepoType = 'model',
): string {
  return `${endpoint}/api/${type}s/${repo}/revision/${pyQuote(revision, '')}?blobs=true`;
}

/**
 * Parses the API's answer (already JSON-decoded) into path → record.
 *
 * @param where names the answer in errors (its URL).
 * @throws T2LError('bad-input') naming the key when the answer does not have the API's shape.
 */
export function parseModelInfo(
  json: unknown,
  where: string,
): { commit: string | undefined; files: Map<string, HubFileRecord> } {
  const info = parseWithSchema(ModelInfo, json, where, 'bad-input');
  const files = new Map<string, HubFileRecord>();
  for (const s of info.siblings) {
    const size = s.lfs?.size ?? s.size;
    if (size === undefined) continue;
    files.set(s.rfilename, {
      size,
      ...(s.lfs ? { sha256: s.lfs.sha256 } : s.blobId ? { gitSha1: s.blobId } : {}),
    });
  }
  return { commit: info.sha, files };
}

/** A file URL of the form the endpoint's resolve route gives, split into its parts. */
export interface ResolvedHubUrl {
  type: HubRepoType;
  repo: string;
  revision: string;
  path: string;
}

/**
 * Reads `{endpoint}/[datasets/|spaces/]{owner}/{name}/resolve/{revision}/{path}` back into its
 * parts (undecodable or other URLs: undefined). The revision is decoded as one segment
 * (`refs%2Fpr%2F1` → `refs/pr/1`).
 */
export function parseResolveUrl(url: string, endpoint: string): ResolvedHubUrl | undefined {
  const base = `${endpoint.replace(/\/+$/, '')}/`;
  if (!url.startsWith(base)) return undefined;
  const rest = url.slice(base.length).split(/[?#]/)[0]!;
  const m = /^(?:(datasets|spaces)\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(rest);
  if (!m) return undefined;
  try {
    return {
      type: m[1] === 'datasets' ? 'dataset' : m[1] === 'spaces' ? 'space' : 'model',
      repo: decodeURIComponent(m[2]!),
      revision: decodeURIComponent(m[3]!),
      path: m[4]!.split('/').map(decodeURIComponent).join('/'),
    };
  } catch {
    return undefined;
  }
}

/**
 * How `bytes` differ from a record of the file, in words; null when they match. Size first, then
 * the sha256 (LFS) or the git blob id (`sha1("blob " + size + "\0" + bytes)`, git's object format).
 * Uses WebCrypto (browsers, Node 20+, workers).
 *
 * @param recordedBy who keeps the record, for the message: the Hub (its API), the catalog (its
 *   `files` sizes and hashes).
 */
export async function differsFromHubRecord(
  bytes: Uint8Array,
  record: HubFileRecord,
  recordedBy = 'the Hub',
): Promise<string | null> {
  if (bytes.length !== record.size) {
    return `${bytes.length} bytes where ${recordedBy} records ${record.size}`;
  }
  if (record.sha256 !== undefined) {
    const got = await digestHex('SHA-256', bytes);
    if (got !== record.sha256) {
      return `SHA-256 ${got.slice(0, 12)}… where ${recordedBy} records ${record.sha256.slice(0, 12)}…`;
    }
  } else if (record.gitSha1 !== undefined) {
    const head = new TextEncoder().encode(`blob ${bytes.length}\0`);
    const whole = new Uint8Array(head.length + bytes.length);
    whole.set(head);
    whole.set(bytes, head.length);
    const got = await digestHex('SHA-1', whole);
    if (got !== record.gitSha1) {
      return `git blob id ${got.slice(0, 12)}… where ${recordedBy} records ${record.gitSha1.slice(0, 12)}…`;
    }
  }
  return null;
}

/** Checks a declared Content-Length against MODEL_INFO_MAX_BYTES before the body is read. */
export function checkModelInfoLength(length: string | null, where: string): void {
  if (length !== null && Number(length) > MODEL_INFO_MAX_BYTES) {
    throw new T2LError(
      'bad-input',
      `${where}: the answer declares ${length} bytes, more than the ${MODEL_INFO_MAX_BYTES} read`,
    );
  }
}

/**
 * The API's answer as text, refused past MODEL_INFO_MAX_BYTES whatever the headers say: a
 * Content-Length over it before a byte is read, otherwise the bytes counted as they come (a
 * chunked answer has none), the stream cancelled at the limit. The page's Hub records and
 * `npm run verify:hub` both read listings through here.
 *
 * @param where names the answer in errors (its URL).
 * @throws T2LError('bad-input') naming `where` when the answer is over the limit.
 */
export async function readModelInfoText(res: Response, where: string): Promise<string> {
  checkModelInfoLength(res.headers.get('content-length'), where);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const received = new Received();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received.length + value.length > MODEL_INFO_MAX_BYTES) {
      await reader.cancel();
      throw new T2LError('bad-input', `${where}: the answer is over ${MODEL_INFO_MAX_BYTES} bytes`);
    }
    received.push(value);
  }
  return new TextDecoder().decode(received.bytes());
}
