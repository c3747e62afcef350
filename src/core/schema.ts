import { z } from 'zod';
import { T2LError, type T2LErrorCode } from './errors';

/**
 * Parses a value read from outside (a JSON or YAML file, a request body) with a zod schema, once,
 * at the boundary. Failures become one T2LError whose message names the file, then each offending
 * key with what was expected and what was found, e.g.
 * `adapter_config.json: use_rslora: expected boolean, found "true"`.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
  code: T2LErrorCode,
): z.output<S> {
  const res = schema.safeParse(value, { reportInput: true });
  if (res.success) return res.data;
  throw new T2LError(code, `${file}: ${describeIssues(res.error.issues)}`, { cause: res.error });
}

/** At most three issues, each as `key: expected …, found …`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map(describeIssue);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
  const raw = issue as { input?: unknown; received?: unknown };
  const found =
    raw.received !== undefined
      ? String(raw.received)
      : raw.input === undefined
        ? 'nothing'
        : preview(raw.input);
  let expected: string;
  switch (issue.code) {
    case 'invalid_type':
      // A schema's own wording (z.number({ error })) says more than the bare type.
      expected = issue.message.startsWith('Invalid input')
        ? `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}`
        : issue.message;
      break;
    case 'too_small':
    case 'too_big':
      expected = issue.message.replace(/^Too (small|big): /, '');
      break;
    case 'unrecognized_keys':
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    default:
      expected = issue.message.replace(/^Invalid input: /, '');
  }
  if (/found|received/.test(expected)) return `${where}${expected}`;
  return `${where}${expected}, found ${found}`;
}

/** A short, printable rendering of a found value. */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    // Cyclic, or too deep for JSON.stringify (String() of a deep array overflows too).
    s = Array.isArray(v) ? `an array of ${v.length}` : typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** What a Hub model id looks like, for messages. */
export const HUB_MODEL_ID = 'a Hugging Face Hub model id (owner/name)';

/**
 * One segment of a Hub repo id: letters, digits, `-`, `_`, `.`; not starting or ending with `-` or
 * `.`; no `--` or `..`; at most 96 characters (huggingface_hub's validate_repo_id).
 */
const HUB_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;

/**
 * Whether `s` is a Hub model id `owner/name`. Never a path: no `..`, not absolute, no backslash,
 * no drive letter, exactly one `/`. A manifest (t2l.json encoder, args.yaml emb_model) may only
 * name an encoder this way; a local encoder folder comes from the user's --encoder alone.
 */
export function isHubModelId(s: string): boolean {
  const parts = s.split('/');
  return (
    parts.length === 2 &&
    !s.includes('..') &&
    !s.includes('--') &&
    parts.every((p) => HUB_SEGMENT.test(p))
  );
}

/** A text encoder named by a manifest: a Hub model id, never a local path. */
export const hubModelId = z.string().refine(isHubModelId, {
  message: `expected ${HUB_MODEL_ID}, not a local path`,
});
