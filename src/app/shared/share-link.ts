/**
 * Links that reproduce a generation's settings: the model, backend, precisions, description(s) and
 * blend travel in the URL query (never a token or a file), and opening the link puts them back into
 * the draft (Generate) or the Compare view.
 */
import type { AdapterDType } from '../../core/adapter/adapter-files';
import type { EncoderDtype } from '../../core/encoder/dtype';
import { isPrecision, type Precision } from '../../core/package/manifest';
import type { BackendPreference } from './backend-choice';

export type View = 'generate' | 'compare' | 'history';

export interface SharedSettings {
  view?: View;
  modelId?: string;
  backend?: BackendPreference;
  precision?: Precision | 'auto';
  dtype?: AdapterDType;
  encoderDtype?: EncoderDtype | 'auto';
  description?: string;
  /** Blend: the second description and its weight. */
  blendWith?: string;
  blendWeight?: number;
}

const BACKENDS: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm', 'remote'];
const DTYPES: readonly AdapterDType[] = ['float32', 'float16', 'bfloat16'];
const ENCODER_DTYPES: readonly (EncoderDtype | 'auto')[] = ['auto', 'fp32', 'fp16', 'q8', 'q4'];
const VIEWS: readonly View[] = ['generate', 'compare', 'history'];

const oneOf = <T extends string>(list: readonly T[], v: string | null): T | undefined =>
  v !== null && (list as readonly string[]).includes(v) ? (v as T) : undefined;

/** The query string for these settings (keys in a fixed order, empty values left out). */
export function shareQuery(s: SharedSettings): string {
  const q = new URLSearchParams();
  const put = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') q.set(k, String(v));
  };
  put('view', s.view);
  put('model', s.modelId);
  put('backend', s.backend);
  put('precision', s.precision);
  put('dtype', s.dtype);
  put('encoder', s.encoderDtype);
  put('d', s.description);
  put('blend', s.blendWith);
  if (s.blendWith) put('w', s.blendWeight);
  return q.toString();
}

export function shareUrl(s: SharedSettings, base = location.href): string {
  const url = new URL(base);
  url.search = shareQuery(s);
  url.hash = '';
  return url.href;
}

/** Settings read from a query string; unknown or malformed values are ignored. */
export function parseShareQuery(search: string): SharedSettings {
  const q = new URLSearchParams(search);
  const out: SharedSettings = {};
  const view = oneOf(VIEWS, q.get('view'));
  if (view) out.view = view;
  const model = q.get('model');
  if (model) out.modelId = model;
  const backend = oneOf(BACKENDS, q.get('backend'));
  if (backend) out.backend = backend;
  const precision = q.get('precision');
  if (precision === 'auto' || (precision && isPrecision(precision))) out.precision = precision;
  const dtype = oneOf(DTYPES, q.get('dtype'));
  if (dtype) out.dtype = dtype;
  const enc = oneOf(ENCODER_DTYPES, q.get('encoder'));
  if (enc) out.encoderDtype = enc;
  const d = q.get('d');
  if (d) out.description = d;
  const blend = q.get('blend');
  const w = Number(q.get('w'));
  if (blend && q.get('w') !== null && w >= 0 && w <= 1) {
    out.blendWith = blend;
    out.blendWeight = w;
  }
  return out;
}

/** Which query key each setting comes from (parseShareQuery's reading, in reverse). */
const KEYS: Record<keyof SharedSettings, string[]> = {
  view: ['view'],
  modelId: ['model'],
  backend: ['backend'],
  precision: ['precision'],
  dtype: ['dtype'],
  encoderDtype: ['encoder'],
  description: ['d'],
  blendWith: ['blend', 'w'],
  blendWeight: ['blend', 'w'],
};

/** The query's parameters a share link did not apply (unknown keys, values out of range), as "key=value". */
export function ignoredShareParams(search: string): string[] {
  const used = new Set(
    Object.keys(parseShareQuery(search)).flatMap((k) => KEYS[k as keyof SharedSettings]),
  );
  const short = (v: string) => (v.length > 40 ? `${v.slice(0, 39)}…` : v);
  return [...new URLSearchParams(search)]
    .filter(([k]) => !used.has(k))
    .map(([k, v]) => `${k}=${short(v)}`);
}

export function hasSharedSettings(s: SharedSettings): boolean {
  return Object.keys(s).some((k) => k !== 'view');
}
