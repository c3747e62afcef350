/**
 * The Hub's own record of a downloaded file (size and sha256 / git blob id at the pinned commit),
 * fetched once per repository and commit from the endpoint's API and kept for the worker's life
 * (a commit's files never change). downloads.ts checks every fresh download of a Hub file against
 * it, so a damaged or swapped file is refused before it is cached or used.
 *
 * When the endpoint has no such API (a plain static mirror) or cannot be asked, nothing is
 * recorded and the download is used as before: the size it announced is still checked.
 */
import { T2LError } from '../../core/errors';
import {
  modelInfoUrl,
  parseModelInfo,
  parseResolveUrl,
  readModelInfoText,
  type HubFileRecord,
} from '../../core/hub/model-info';

export interface HubRecordContext {
  /** The Hub endpoint in force; no endpoint, no lookup. */
  hubEndpoint?: string | undefined;
  headersFor: (url: string) => Record<string, string>;
  signal: AbortSignal;
}

const listings = new Map<string, Promise<Map<string, HubFileRecord> | null>>();

/** Forgets every listing (tests; a changed endpoint needs nothing: the key holds it). */
export function clearHubRecords(): void {
  listings.clear();
}

async function fetchListing(
  url: string,
  ctx: HubRecordContext,
): Promise<Map<string, HubFileRecord> | null> {
  let res: Response;
  try {
    res = await fetch(url, { headers: ctx.headersFor(url), signal: ctx.signal });
  } catch {
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(await readModelInfoText(res, url));
  } catch (e) {
    if (e instanceof T2LError) throw e;
    // Not JSON: an endpoint without the API (a static mirror answering its HTML page).
    return null;
  }
  return parseModelInfo(json, url).files;
}

/**
 * The Hub's record of the file at `url` when `url` is a resolve URL of the endpoint at a commit
 * (40 hex digits: a branch's files may change between the listing and the download); null when
 * there is none to check against.
 *
 * @throws T2LError('bad-input') when the API answers something that is not its listing's shape.
 */
export async function hubRecordFor(
  url: string,
  ctx: HubRecordContext,
): Promise<HubFileRecord | null> {
  if (!ctx.hubEndpoint) return null;
  const parsed = parseResolveUrl(url, ctx.hubEndpoint);
  if (!parsed || !/^[0-9a-f]{40}$/.test(parsed.revision) || parsed.type === 'space') return null;
  const api = modelInfoUrl(ctx.hubEndpoint, parsed.repo, parsed.revision, parsed.type);
  let listing = listings.get(api);
  if (!listing) {
    listing = fetchListing(api, ctx);
    listings.set(api, listing);
    // A failed or cancelled lookup is asked again next time.
    listing.then(
      (l) => l === null && listings.delete(api),
      () => listings.delete(api),
    );
  }
  return (await listing)?.get(parsed.path) ?? null;
}
