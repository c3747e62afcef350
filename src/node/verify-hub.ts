/**
 * Checks models/catalog.json against a Hub (`npm run verify:hub`, the public Hub unless
 * HF_ENDPOINT says otherwise): that every pinned commit exists, that the files each entry needs
 * are there at that commit, and that the sizes and hashes the catalog records are the Hub's.
 *
 * Two requests per repository and revision, and one HEAD per file:
 * - `GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true`: the commit (`sha`) and every
 *   file with its size and, for LFS files, its sha256 (the Hub API's model_info with
 *   files_metadata; huggingface_hub hf_api.py `model_info`);
 * - `HEAD {endpoint}/{repo}/resolve/{revision}/{path}`: what a download sees (X-Repo-Commit, and
 *   X-Linked-Size / X-Linked-Etag or Content-Length / ETag), as hub-cache.ts reads them.
 */
import {
  hubAuthHeaders,
  hubFileUrl,
  isCommit,
  pyQuote,
  type HubRepoType,
} from '../core/hub/endpoint';
import { parseModelInfo, readModelInfoText, type HubFileRecord } from '../core/hub/model-info';

export type Level = 'ok' | 'warn' | 'fail';

export interface Finding {
  level: Level;
  /** What was checked: "repo@revision path". */
  subject: string;
  message: string;
}

export interface VerifyOptions {
  endpoint: string;
  token?: string | undefined;
  fetch?: typeof fetch;
  /** Relative difference allowed for the catalog's approximate sizes (default 0.1). */
  tolerance?: number;
}

interface KnownFile {
  size?: number;
  sha256?: string;
}

/** The catalog fields this check reads (models/catalog.json). */
export interface VerifiableCatalog {
  encoders: Record<
    string,
    {
      hub?: string;
      revision?: string;
      url?: string;
      files?: Record<string, KnownFile>;
      sizes?: Partial<Record<string, number>>;
      dtypes?: string[];
    }
  >;
  models: {
    id: string;
    demo?: boolean;
    size?: number;
    source: {
      kind?: string;
      hub?: string;
      path?: string;
      revision?: string;
      files?: Record<string, KnownFile>;
    };
    baseGguf?: { hub?: string; file?: string; revision?: string; size?: number };
  }[];
}

/**
 * A dataset file to confirm (the benchmarks' pinned parquet files, core/eval/benchmarks.ts): its
 * commit and path through `/api/datasets/{repo}/revision/{revision}?blobs=true` (huggingface_hub
 * `dataset_info`, the same answer shape as the models' listing) and a HEAD of its
 * `/datasets/{repo}/resolve/...` URL; `sha256` where a published pin records one.
 */
export interface VerifiableDataset {
  label: string;
  repo: string;
  revision: string;
  file: string;
  sha256?: string;
}

interface RepoInfo {
  sha: string;
  files: Map<string, HubFileRecord>;
}

/** transformers.js's ONNX file per dtype (the catalog's `dtypes`). */
const DTYPE_FILES: Record<string, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};
const ENCODER_BASE = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
const CHECKPOINT_FILES = ['hypermod.pt', 'args.yaml', 'adapter_config.json'];

const join = (folder: string | undefined, file: string) =>
  (folder ?? '').replace(/^\/+|\/+$/g, '') ? `${folder!.replace(/^\/+|\/+$/g, '')}/${file}` : file;

/** Runs every check; the findings come in catalog order. Never throws for a Hub answer. */
export async function verifyCatalog(
  catalog: VerifiableCatalog,
  options: VerifyOptions,
  datasets: readonly VerifiableDataset[] = [],
): Promise<Finding[]> {
  const doFetch = options.fetch ?? fetch;
  const tolerance = options.tolerance ?? 0.1;
  const findings: Finding[] = [];
  const infos = new Map<string, Promise<RepoInfo | Finding>>();
  const say = (level: Level, subject: string, message: string) =>
    findings.push({ level, subject, message });

  const info = (
    repo: string,
    revision: string,
    type: HubRepoType = 'model',
  ): Promise<RepoInfo | Finding> => {
    const key = `${repo}@${revision}`;
    let p = infos.get(`${type}:${key}`);
    if (!p) {
      p = (async () => {
        const url = `${options.endpoint}/api/${type}s/${repo}/revision/${pyQuote(revision, '')}?blobs=true`;
        let res: Response;
        try {
          res = await doFetch(url, {
            headers: hubAuthHeaders(url, options.endpoint, options.token),
          });
        } catch (e) {
          return { level: 'fail', subject: key, message: `cannot reach ${url}: ${String(e)}` };
        }
        if (!res.ok) {
          const code = res.headers.get('x-error-code') ?? '';
          const hint =
            res.status === 401 && !options.token ? ' (gated or private: set HF_TOKEN)' : '';
          return {
            level: 'fail',
            subject: key,
            message: `the Hub answered ${res.status} ${code}${hint}`.trim(),
          };
        }
        let listing: ReturnType<typeof parseModelInfo>;
        try {
          listing = parseModelInfo(JSON.parse(await readModelInfoText(res, url)), url);
        } catch (e) {
          return {
            level: 'fail',
            subject: key,
            message: e instanceof Error ? e.message : String(e),
          };
        }
        return { sha: listing.commit ?? '', files: listing.files };
      })();
      infos.set(`${type}:${key}`, p);
    }
    return p;
  };

  /** Checks one repo's revision and the files an entry needs there. */
  const checkRepo = async (
    repo: string,
    revision: string | undefined,
    paths: string[],
    known: Record<string, KnownFile>,
    approx: { label: string; files: string[]; size: number }[],
    type: HubRepoType = 'model',
  ) => {
    const subject = `${repo}@${revision ?? '(none)'}`;
    if (revision === undefined) {
      say('fail', subject, 'no revision in the catalog');
      return;
    }
    const got = await info(repo, revision, type);
    if ('level' in got) {
      findings.push(got);
      return;
    }
    if (!isCommit(revision)) {
      say(
        'warn',
        subject,
        `not pinned: "${revision}" is a branch or tag, now at ${got.sha}; pin that commit in the catalog`,
      );
    } else if (got.sha !== revision) {
      say('fail', subject, `the Hub resolves it to ${got.sha}, not the pinned commit`);
    } else {
      say('ok', subject, 'the pinned commit exists');
    }
    for (const path of paths) {
      const s = got.files.get(path);
      if (!s) {
        say('fail', `${subject} ${path}`, 'no such file at this revision');
        continue;
      }
      const size = s.size;
      const want = known[path];
      if (want?.size !== undefined && size !== undefined && size !== want.size) {
        say(
          'fail',
          `${subject} ${path}`,
          `size ${size} on the Hub, the catalog records ${want.size}`,
        );
      }
      if (want?.sha256 && s.sha256 && s.sha256 !== want.sha256) {
        say(
          'fail',
          `${subject} ${path}`,
          `sha256 ${s.sha256} on the Hub, the catalog records ${want.sha256}`,
        );
      }
      const head = await headFile(repo, revision, path, type);
      if (typeof head === 'string') {
        say('fail', `${subject} ${path}`, head);
        continue;
      }
      if (head.commit !== got.sha) {
        say('fail', `${subject} ${path}`, `download answers commit ${head.commit}, not ${got.sha}`);
      }
      if (size !== undefined && head.size !== size) {
        say('fail', `${subject} ${path}`, `download announces ${head.size} bytes, the API ${size}`);
      }
      if (s.sha256 && head.etag !== s.sha256) {
        say(
          'fail',
          `${subject} ${path}`,
          `download ETag ${head.etag}, the API's sha256 ${s.sha256}`,
        );
      }
      say('ok', `${subject} ${path}`, `${size} bytes${s.sha256 ? `, sha256 ${s.sha256}` : ''}`);
    }
    for (const a of approx) {
      const sizes = a.files.map((f) => {
        const s = got.files.get(f);
        return s?.size;
      });
      if (sizes.some((n) => n === undefined)) continue; // reported above
      const total = sizes.reduce((x, y) => x! + y!, 0)!;
      const off = Math.abs(total - a.size) / Math.max(1, total);
      say(
        off > tolerance ? 'warn' : 'ok',
        `${subject} ${a.label}`,
        `${total} bytes on the Hub, the catalog says about ${a.size}${off > tolerance ? ` (${(off * 100).toFixed(0)}% off: update it)` : ''}`,
      );
    }
  };

  const headFile = async (
    repo: string,
    revision: string,
    path: string,
    type: HubRepoType = 'model',
  ): Promise<{ commit: string; size: number; etag: string } | string> => {
    const url = hubFileUrl(options.endpoint, repo, revision, path, type);
    try {
      const res = await doFetch(url, {
        method: 'HEAD',
        redirect: 'manual',
        headers: {
          'Accept-Encoding': 'identity',
          ...hubAuthHeaders(url, options.endpoint, options.token),
        },
      });
      if (res.status >= 400) return `HEAD ${url}: ${res.status}`;
      return {
        commit: res.headers.get('x-repo-commit') ?? '',
        size: Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length')),
        etag: (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '')
          .replace(/^W\//, '')
          .replace(/"/g, ''),
      };
    } catch (e) {
      return `HEAD ${url}: ${String(e)}`;
    }
  };

  for (const m of catalog.models) {
    const s = m.source;
    if (s.hub) {
      const files = (s.kind === 'package' ? ['t2l.json', 'model.onnx'] : CHECKPOINT_FILES).map(
        (f) => join(s.path, f),
      );
      const known = Object.fromEntries(
        Object.entries(s.files ?? {}).map(([p, f]) => [join(s.path, p), f]),
      );
      const approx = m.size !== undefined ? [{ label: `${m.id} size`, files, size: m.size }] : [];
      await checkRepo(s.hub, s.revision, files, known, approx);
    }
    const b = m.baseGguf;
    if (b?.hub && b.file) {
      await checkRepo(
        b.hub,
        b.revision,
        [b.file],
        b.size !== undefined ? { [b.file]: { size: b.size } } : {},
        [],
      );
    }
  }
  for (const [id, e] of Object.entries(catalog.encoders)) {
    if (e.url) continue;
    const dtypes = e.dtypes ?? ['fp32'];
    const files = [...ENCODER_BASE, ...dtypes.map((d) => DTYPE_FILES[d] ?? `onnx/? (${d})`)];
    const approx = Object.entries(e.sizes ?? {}).flatMap(([d, size]) =>
      DTYPE_FILES[d] && size !== undefined
        ? [{ label: `${d} download`, files: [...ENCODER_BASE, DTYPE_FILES[d]], size }]
        : [],
    );
    await checkRepo(e.hub ?? id, e.revision, files, e.files ?? {}, approx);
  }
  for (const d of datasets) {
    const known = d.sha256 ? { [d.file]: { sha256: d.sha256 } } : {};
    await checkRepo(d.repo, d.revision, [d.file], known, [], 'dataset');
  }
  return findings;
}

/** The report: one line per finding, failures and warnings last so they are what stays on screen. */
export function formatFindings(findings: Finding[]): string {
  const order: Record<Level, number> = { ok: 0, warn: 1, fail: 2 };
  const sorted = [...findings].sort((a, b) => order[a.level] - order[b.level]);
  const lines = sorted.map((f) => `${f.level.toUpperCase().padEnd(4)} ${f.subject}: ${f.message}`);
  const count = (l: Level) => findings.filter((f) => f.level === l).length;
  lines.push(`${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failures`);
  return lines.join('\n');
}
