/**
 * What a model, base GGUF or encoder argument names, resolved to files on disk: a local path as
 * it is, or a Hub path (`owner/repo/path`, `hf://owner/repo/path@revision`) downloaded into the
 * Hugging Face cache (hub-cache.ts) at the catalog's pinned commit when the path has no revision
 * and the repository is one of the catalog's. The CLI commands, `t2l serve` and `t2l eval` call
 * these.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { T2LError } from '../core/errors';
import { formatHubPath, isRepoId, parseHubPath, type HubPath } from '../core/hub/endpoint';
import { HUB_MODEL_ID } from '../core/schema';
import { catalogPin, type CatalogPins } from '../core/hub/pins';
import { ENCODER_FILES, localEncoderFolder } from './encoder-folder';
import { HubError, hubFile, snapshotFolder, type HubSettings } from './hub-cache';

/** The repository root (bin/t2l.mjs runs the sources in place). */
const ROOT = resolve(import.meta.dirname, '..', '..');

let catalogCache: CatalogPins | undefined;

/** models/catalog.json of this checkout (for pins and the demo's encoder folder). */
export function projectCatalog(): CatalogPins {
  if (!catalogCache) {
    try {
      catalogCache = JSON.parse(readFileSync(join(ROOT, 'models', 'catalog.json'), 'utf8'));
    } catch {
      catalogCache = { models: [], encoders: {} };
    }
  }
  return catalogCache!;
}

/** A Hub path with its revision settled: the one given, else the catalog's pin, else main. */
export function pinned(
  hub: HubPath,
  catalog: CatalogPins = projectCatalog(),
): HubPath & {
  revision: string;
} {
  return { ...hub, revision: hub.revision ?? catalogPin(catalog, hub.repo, hub.path) ?? 'main' };
}

export interface ResolvedPath {
  /** On disk: the argument itself, or the cache's snapshot folder or file. */
  path: string;
  /** For messages and model cards: the argument, or `hf://owner/repo/path@commit`. */
  label: string;
  /** The Hub path at the commit fetched, when it came from the Hub. */
  hub?: HubPath & { revision: string };
}

/** The Hub path an argument names, or undefined when it is a local path (existing ones win). */
export function hubPathOf(arg: string): HubPath | undefined {
  if (!/^hf:\/\//i.test(arg) && existsSync(arg)) return undefined;
  return parseHubPath(arg);
}

/**
 * A model argument: a local folder (returned as is), or a Hub folder holding a T2L checkpoint
 * (args.yaml, adapter_config.json, hypermod.pt) or a package (t2l.json and its graph file),
 * downloaded into the cache.
 */
export async function resolveModelPath(arg: string, s: HubSettings): Promise<ResolvedPath> {
  const parsed = hubPathOf(arg);
  if (!parsed) return { path: arg, label: arg };
  return localTypo(arg, () => modelFromHub(parsed, s));
}

/**
 * A bare `a/b/c` that is not here is read as a Hub path; when the Hub has no such repository or
 * cannot be reached, it may as well be a mistyped local path: the message says both.
 */
async function localTypo<T>(arg: string, fromHub: () => Promise<T>): Promise<T> {
  try {
    return await fromHub();
  } catch (e) {
    const kinds = ['repo-not-found', 'unreachable', 'offline'];
    if (e instanceof HubError && kinds.includes(e.kind) && !/^hf:\/\//i.test(arg)) {
      const why = e.message.charAt(0).toLowerCase() + e.message.slice(1);
      throw new HubError(e.kind, `${arg}: no such local path; as a Hub path, ${why}`, {
        cause: e,
      });
    }
    throw e;
  }
}

async function modelFromHub(parsed: HubPath, s: HubSettings): Promise<ResolvedPath> {
  const hub = pinned(parsed);
  const instead = 'the path of a local checkpoint or package folder';
  const get = (path: string, revision: string) =>
    hubFile(
      s,
      { type: hub.type, repo: hub.repo, revision, path: join2(hub.path, path) },
      { instead },
    );
  let commit: string;
  try {
    // args.yaml first: small, and present in every checkpoint (the official models are checkpoints).
    commit = (await get('args.yaml', hub.revision)).commit;
    await get('adapter_config.json', commit);
    await get('hypermod.pt', commit);
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    // No args.yaml: a package, then. Offline or unreachable, a package in the cache will do.
    const noNetwork = e.kind === 'offline' || e.kind === 'unreachable';
    if (e.kind !== 'entry-not-found' && !noNetwork) throw e;
    let manifest;
    try {
      manifest = await get('t2l.json', hub.revision);
    } catch (e2) {
      if (noNetwork) throw e; // nothing cached at all: say so for the checkpoint's first file
      if (e2 instanceof HubError && e2.kind === 'entry-not-found') {
        throw new HubError(
          'entry-not-found',
          `${formatHubPath(hub)}: neither a T2L checkpoint (args.yaml, adapter_config.json, hypermod.pt) nor a package (t2l.json) is there`,
        );
      }
      throw e2;
    }
    commit = manifest.commit;
    const graph = graphFile(readFileSync(manifest.path, 'utf8'), formatHubPath(hub));
    await get(graph, commit);
  }
  const at = { ...hub, revision: commit };
  return { path: snapshotFolder(s, hub, commit, hub.path), label: formatHubPath(at), hub: at };
}

/** t2l.json's graph file name (checked again, fully, when the package is opened). */
function graphFile(text: string, where: string): string {
  let graph: unknown;
  try {
    graph = (JSON.parse(text) as { graph?: unknown }).graph;
  } catch (e) {
    throw new T2LError('bad-package', `${where}/t2l.json: not JSON (${String(e)})`, { cause: e });
  }
  if (typeof graph !== 'string' || !/^[\w.-]+$/.test(graph) || graph.startsWith('.')) {
    throw new T2LError(
      'bad-package',
      `${where}/t2l.json: graph must be a file name inside the package, found ${JSON.stringify(graph)}`,
    );
  }
  return graph;
}

/** A file argument (a base GGUF): a local file as is, or a Hub file downloaded into the cache. */
export async function resolveFilePath(
  arg: string,
  s: HubSettings,
  instead = 'the path of a local file',
): Promise<ResolvedPath> {
  const parsed = hubPathOf(arg);
  if (!parsed) return { path: arg, label: arg };
  if (parsed.path === '') {
    throw new T2LError('bad-input', `${arg}: names a repository, not a file in it`);
  }
  const hub = pinned(parsed);
  const got = await localTypo(arg, () =>
    hubFile(
      s,
      { type: hub.type, repo: hub.repo, revision: hub.revision, path: hub.path },
      { instead },
    ),
  );
  const at = { ...hub, revision: got.commit };
  return { path: got.path, label: formatHubPath(at), hub: at };
}

export interface EncoderChoice {
  /** A folder in the transformers.js layout on disk. */
  localPath: string;
  label: string;
}

/**
 * The text encoder: the user's `--encoder` (a local folder, or a Hub id / hf:// path), else the
 * package's encoder id (t2l.json encoder / args.yaml emb_model). An id the catalog bundles as a
 * folder (the demo's `t2l-web/tiny-demo-encoder` → models/demo/encoder/) is that folder; another
 * Hub id is downloaded into the cache (config, tokenizer, fp32 ONNX) at the catalog's pin.
 */
export async function resolveEncoder(
  flag: string | undefined,
  packageEncoder: string,
  s: HubSettings,
): Promise<EncoderChoice> {
  if (flag !== undefined) {
    const local = /^hf:\/\//i.test(flag) ? undefined : localEncoderFolder(flag);
    if (local) return { localPath: local, label: flag };
    const hub = parseHubPath(flag);
    if (!hub) {
      throw new T2LError(
        'missing-file',
        `--encoder ${flag}: no such folder, and not ${HUB_MODEL_ID} or hf://owner/repo[@revision]`,
      );
    }
    return localTypo(flag, () => hubEncoder(hub, s, '--encoder'));
  }
  if (!isRepoId(packageEncoder)) {
    throw new T2LError(
      'bad-package',
      `t2l.json: encoder: expected ${HUB_MODEL_ID}, not a local path, found ${JSON.stringify(packageEncoder)} (give a local encoder folder with --encoder)`,
    );
  }
  const bundled = projectCatalog().encoders[packageEncoder]?.url;
  if (bundled !== undefined) {
    const dir = resolve(ROOT, bundled);
    const local = localEncoderFolder(dir);
    if (local) return { localPath: local, label: `${packageEncoder} (${bundled})` };
    throw new T2LError(
      'missing-file',
      `encoder ${packageEncoder}: the app's own copy ${dir} is missing; run \`npm run fixtures\`, or pass --encoder <local folder>`,
    );
  }
  return hubEncoder({ type: 'model', repo: packageEncoder, path: '' }, s, 'the package');
}

async function hubEncoder(hub: HubPath, s: HubSettings, from: string): Promise<EncoderChoice> {
  const at = pinned(hub);
  const instead = '--encoder <local encoder folder>';
  let commit = at.revision;
  try {
    for (const f of ENCODER_FILES) {
      commit = (
        await hubFile(
          s,
          { type: at.type, repo: at.repo, revision: commit, path: join2(at.path, f) },
          { instead },
        )
      ).commit;
    }
  } catch (e) {
    if (e instanceof T2LError) {
      throw new HubError(
        e instanceof HubError ? e.kind : 'http',
        `Cannot load the text encoder ${at.repo} (named by ${from}): ${e.message}`,
        { cause: e },
      );
    }
    throw e;
  }
  const label = formatHubPath({ ...at, revision: commit });
  return { localPath: snapshotFolder(s, at, commit, at.path), label };
}

function join2(folder: string, file: string): string {
  return folder ? `${folder.replace(/\/+$/, '')}/${file}` : file;
}
