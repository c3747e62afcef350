/**
 * A bounded render of an untrusted Jinja chat template (@huggingface/jinja 0.5.x). A base GGUF's
 * `tokenizer.chat_template` is code from whoever made the file: `{% for i in range(10**9) %}` or a
 * string doubled in a loop would otherwise hang the render or grow past the heap, and a range of
 * 10^8+ items aborts V8 itself ("invalid size"), which no catch can stop.
 *
 * The interpreter is @huggingface/jinja's own, wrapped so that during a bounded render every node
 * it evaluates and every block it runs (each loop iteration runs one) costs a step, nesting is bounded (macro recursion),
 * every string or list a node yields is bounded in size, and `range()` refuses to build more than
 * `maxItems` numbers before it builds any. A wall-clock deadline, checked every 1024 steps, backs
 * the step count up. Real templates (Gemma-2, Llama-3.1, Mistral) take a few hundred steps and
 * render exactly as a plain Template.render does: the interpreter is the same, only watched.
 */
import { Environment, Interpreter, type Template } from '@huggingface/jinja';
import {
  ONE_LINE_JSON,
  SizeOverError,
  countOccurrences,
  jsonLength,
  lineCount,
  replaceLength,
  splitParts,
  textLength,
  type JsonShape,
  type Value,
} from './template-sizes';

// The interpreter's internals, typed loosely: the package exports the classes, not these shapes.
type Evaluate = (this: Interpreter, statement: unknown, environment: Environment) => Value;
type EvaluateBlock = (this: Interpreter, statements: unknown[], environment: Environment) => Value;
type ApplyFilter = (
  this: Interpreter,
  operand: Value,
  filter: unknown,
  environment: Environment,
) => Value;
type EvaluateSlice = (
  this: Interpreter,
  object: Value,
  expr: unknown,
  environment: Environment,
) => Value;
type EvaluateArguments = (
  this: Interpreter,
  args: unknown[],
  environment: Environment,
) => [Value[], Map<string, Value>];

export interface TemplateBudget {
  /** Evaluated nodes + executed blocks (one per loop iteration), in all. */
  maxSteps: number;
  /** Nesting of evaluated nodes (macro recursion, deep expressions). */
  maxDepth: number;
  /** Characters of any string a node yields, the output included. */
  maxChars: number;
  /**
   * Characters of all strings nodes yield, summed (an upper bound on what the render can allocate
   * in strings, since every string it builds is some node's value).
   */
  maxTotalChars: number;
  /** Items of any list a node yields, of range(), and any integer argument of a call or filter. */
  maxItems: number;
  /** Items of all lists nodes yield, summed. */
  maxTotalItems: number;
  /** Wall-clock limit in ms (checked at every step). */
  maxMs: number;
  /** The clock, in ms (default Date.now; tests inject one to check the other limits alone). */
  now?: () => number;
}

/**
 * The default budget. A two-message render of Llama-3.1's template takes a few hundred steps and
 * nests under 40 deep; 200,000 steps is well under a second of interpretation. Strings stay under
 * 64 Mi characters in all (at most 128 MB), so the render cannot come near the 1 GB a page may use.
 */
export const DEFAULT_TEMPLATE_BUDGET: TemplateBudget = {
  maxSteps: 200_000,
  maxDepth: 400,
  maxChars: 4 << 20,
  maxTotalChars: 64 << 20,
  maxItems: 20_000,
  maxTotalItems: 1_000_000,
  maxMs: 4_000,
};

/** Longest template accepted, in characters (real ones are under 20 KB). */
export const MAX_TEMPLATE_CHARS = 1 << 20;

/** The render ran out of its budget; `limit` says which one, for the message. */
export class TemplateBudgetError extends Error {
  constructor(readonly limit: string) {
    super(`ran past its budget (${limit})`);
    this.name = 'TemplateBudgetError';
  }
}

/** The budget of the render under way (renders are synchronous, so one at a time). */
interface Meter {
  budget: TemplateBudget;
  steps: number;
  depth: number;
  chars: number;
  items: number;
  /** Filters with arguments being applied (innermost last): their arguments are checked. */
  filters: { args: unknown[]; name: string; operand: Value }[];
  /** Weights of the lists and dicts seen (see weigh). */
  weights: WeakMap<object, { weight: number; depth: number }>;
  deadline: number;
  now: () => number;
}
let meter: Meter | null = null;

// The clock is read at every step (a few tens of ns): one step can be one costly builtin call,
// so a check every thousand steps let a loop of them run for many times the limit.
function step(m: Meter, cost = 1): void {
  if ((m.steps += cost) > m.budget.maxSteps) {
    throw new TemplateBudgetError(`more than ${m.budget.maxSteps} steps`);
  }
  if (m.now() > m.deadline) {
    throw new TemplateBudgetError(`more than ${m.budget.maxMs} ms`);
  }
}

/**
 * Characters or items of work that cost one step. A builtin over a string or list (a slice, which
 * the library does through Array.from; title, with a callback per word; a filter; a replace) takes
 * time linear in its operand inside one node: it costs a step per WORK_PER_STEP units of its
 * operand, charged before it runs, so 200,000 steps hold about 3 Mi characters of such work, and a
 * call over more is refused before it starts. Real templates trim or print a message once or twice.
 */
export const WORK_PER_STEP = 16;

function work(m: Meter, units: number): void {
  const cost = Math.floor(units / WORK_PER_STEP);
  if (cost > 0) step(m, cost);
}

/** The size of a string or list (characters or items), or of a dict (entries); else 0. */
function sizeOf(v: Value | undefined): number {
  const x = v?.value;
  if (typeof x === 'string' || Array.isArray(x)) return x.length;
  return x instanceof Map ? x.size : 0;
}

function bound(m: Meter, v: Value): Value {
  const b = m.budget;
  if (v.type === 'StringValue') {
    const n = (v.value as string).length;
    if (n > b.maxChars)
      throw new TemplateBudgetError(`a string of more than ${b.maxChars} characters`);
    if ((m.chars += n) > b.maxTotalChars) {
      throw new TemplateBudgetError(`strings of more than ${b.maxTotalChars} characters in all`);
    }
  } else if (v.type === 'ArrayValue') {
    const n = (v.value as unknown[]).length;
    if (n > b.maxItems) throw new TemplateBudgetError(`a list of more than ${b.maxItems} items`);
    if ((m.items += n) > b.maxTotalItems) {
      throw new TemplateBudgetError(`lists of more than ${b.maxTotalItems} items in all`);
    }
  }
  if (Array.isArray(v.value) || v.value instanceof Map) weigh(m, v);
  return v;
}

/**
 * A list or dict's weight: its items, keys and string characters, counted through nested values
 * as tojson, string or == would walk them. A list that holds another twice ([l, l], doubled in a
 * loop) is small in memory but exponential to walk, inside one builtin call that no step count
 * sees: so the weight is bounded by maxTotalChars. Memoized per value (lists and dicts are not
 * changed in place, namespaces are and are weighed afresh), so weighing costs only new values.
 */
function weigh(m: Meter, v: Value, level = 0): { weight: number; depth: number } {
  // A namespace can hold itself (set ns.me = ns): the walk stops where nesting would.
  if (level > m.budget.maxDepth) {
    throw new TemplateBudgetError(`lists or dicts nested deeper than ${m.budget.maxDepth}`);
  }
  if (v.type === 'StringValue') return { weight: (v.value as string).length + 1, depth: 0 };
  const inner = v.value;
  if (!Array.isArray(inner) && !(inner instanceof Map)) return { weight: 1, depth: 0 };
  const known = m.weights.get(v);
  if (known !== undefined) return known;
  let weight = 1;
  let depth = 0;
  const add = (x: Value) => {
    const c = weigh(m, x, level + 1);
    weight += c.weight;
    depth = Math.max(depth, c.depth + 1);
  };
  if (Array.isArray(inner)) {
    for (const x of inner as Value[]) add(x);
  } else {
    for (const [k, x] of inner as Map<string, Value>) {
      weight += String(k).length;
      add(x);
    }
  }
  if (weight > m.budget.maxTotalChars) {
    throw new TemplateBudgetError(
      `a value of more than ${m.budget.maxTotalChars} items and characters, nested lists and dicts unfolded`,
    );
  }
  if (depth > m.budget.maxDepth) {
    throw new TemplateBudgetError(`lists or dicts nested deeper than ${m.budget.maxDepth}`);
  }
  const w = { weight, depth };
  if (v.type !== 'NamespaceValue') m.weights.set(v, w);
  return w;
}

// The library's interpreter, watched: while a bounded render runs, every node evaluated and every
// block run (each loop iteration runs one) costs a step, and what they yield is size-checked.
// Outside renderBounded the wrappers only pass through, so the interpreter is the same one.
const proto = Interpreter.prototype as unknown as {
  evaluate: Evaluate;
  evaluateBlock: EvaluateBlock;
  evaluateArguments: EvaluateArguments;
  applyFilter: ApplyFilter;
  evaluateSliceExpression: EvaluateSlice;
};
const evaluate = proto.evaluate;
const evaluateBlock = proto.evaluateBlock;
const evaluateArguments = proto.evaluateArguments;
const applyFilter = proto.applyFilter;
const evaluateSliceExpression = proto.evaluateSliceExpression;

// s[a:b:c] copies a string through Array.from (a list of its characters): charged by its length.
proto.evaluateSliceExpression = function (object, expr, environment) {
  const m = meter;
  if (m !== null) work(m, sizeOf(object));
  return evaluateSliceExpression.call(this, object, expr, environment);
};

/** A node whose value is already known: `~` and `+` operands, measured before they are joined. */
const EVALUATED = 'T2LEvaluatedValue';

proto.evaluate = function (statement, environment) {
  const node = statement as { type?: string; value?: unknown };
  if (node?.type === EVALUATED) return node.value as Value;
  const m = meter;
  if (m === null) return evaluate.call(this, statement, environment);
  step(m);
  if (++m.depth > m.budget.maxDepth) {
    m.depth--;
    throw new TemplateBudgetError(`nesting deeper than ${m.budget.maxDepth}`);
  }
  try {
    const joins = joinedOperands(statement);
    if (joins !== null) return bound(m, evaluateJoin.call(this, m, joins, environment));
    return bound(m, evaluate.call(this, statement, environment));
  } finally {
    m.depth--;
  }
};
proto.evaluateBlock = function (statements, environment) {
  const m = meter;
  if (m === null) return evaluateBlock.call(this, statements, environment);
  step(m);
  return bound(m, evaluateBlock.call(this, statements, environment));
};

interface BinaryNode {
  type: 'BinaryExpression';
  operator: { value: string };
  left: unknown;
  right: unknown;
}

/** A `~` or `+` node (both may join strings), or null. */
function joinedOperands(statement: unknown): BinaryNode | null {
  const node = statement as Partial<BinaryNode> | undefined; // undefined: an absent slice bound
  if (node?.type !== 'BinaryExpression') return null;
  const op = node.operator?.value;
  return op === '~' || op === '+' ? (node as BinaryNode) : null;
}

/**
 * `a ~ b` (and `a + b` with a string): both operands are evaluated in the library's order, the
 * joined length is bounded (a list prints as its JSON, which may be far longer than it weighs),
 * and the library's own operator then runs on the values.
 */
function evaluateJoin(
  this: Interpreter,
  m: Meter,
  node: BinaryNode,
  environment: Environment,
): Value {
  const left = (proto.evaluate as Evaluate).call(this, node.left, environment);
  const right = (proto.evaluate as Evaluate).call(this, node.right, environment);
  if (node.operator.value === '~' || left.type === 'StringValue' || right.type === 'StringValue') {
    // Strings and numbers join in O(1) (V8 keeps a rope; what reads it later is charged): only a
    // list printed into the result is work here.
    const printsList = Array.isArray(left.value) || Array.isArray(right.value);
    guard(
      m,
      `"${node.operator.value}"`,
      (limit) => {
        const a = textLength(left, limit, m.budget.maxDepth);
        return a + textLength(right, limit - a, m.budget.maxDepth);
      },
      printsList,
    );
  }
  return evaluate.call(
    this,
    { ...node, left: { type: EVALUATED, value: left }, right: { type: EVALUATED, value: right } },
    environment,
  );
}

/**
 * Refuses a builtin before it runs when `measure` (an upper bound on the characters it would
 * build, see template-sizes.ts) passes maxChars.
 */
function guard(m: Meter, what: string, measure: (limit: number) => number, charge = true): void {
  const limit = m.budget.maxChars;
  let n: number;
  try {
    n = measure(limit);
  } catch (e) {
    if (!(e instanceof SizeOverError)) throw e;
    if (e.what === 'depth') {
      throw new TemplateBudgetError(`${what} over lists or dicts nested deeper than ${e.limit}`);
    }
    n = Infinity;
  }
  if (n > limit) {
    throw new TemplateBudgetError(`${what} would build a string of more than ${limit} characters`);
  }
  if (charge) work(m, n);
}

// A size argument (indent(width), center(width), tojson(indent), ...) builds its string inside one
// node, before its result can be measured: so no integer argument may exceed maxItems.
proto.evaluateArguments = function (args, environment) {
  const m = meter;
  const out = evaluateArguments.call(this, args, environment);
  if (m !== null) {
    for (const v of [...out[0], ...out[1].values()]) {
      if (v.type === 'IntegerValue' && Math.abs(v.value as number) > m.budget.maxItems) {
        throw new TemplateBudgetError(
          `an argument of ${v.value as number}, more than ${m.budget.maxItems}`,
        );
      }
    }
    const filter = m.filters.at(-1);
    if (filter !== undefined && filter.args === args) {
      checkFilter(m, filter.name, filter.operand, out[0], out[1]);
    }
  }
  return out;
};

// A filter is checked before it runs: one without arguments here, one with arguments once they
// are evaluated (inside the library's applyFilter, by evaluateArguments above).
proto.applyFilter = function (operand, filter, environment) {
  const m = meter;
  const node = filter as { type?: string; value?: string; callee?: Value; args?: unknown[] };
  if (m === null) return applyFilter.call(this, operand, filter, environment);
  const name = node.type === 'Identifier' ? node.value : node.callee?.value;
  // These string filters call the string's own method, which charges its work itself.
  if (!(typeof operand.value === 'string' && STRING_METHOD_FILTERS.has(String(name)))) {
    work(m, sizeOf(operand));
  }
  if (node.type === 'Identifier' && typeof node.value === 'string') {
    checkFilter(m, node.value, operand, [], new Map());
  } else if (
    node.type === 'CallExpression' &&
    node.callee?.type === 'Identifier' &&
    Array.isArray(node.args)
  ) {
    m.filters.push({ args: node.args, name: String(node.callee.value), operand });
    try {
      return applyFilter.call(this, operand, filter, environment);
    } finally {
      m.filters.pop();
    }
  }
  return applyFilter.call(this, operand, filter, environment);
};

const STRING_METHOD_FILTERS = new Set(['upper', 'lower', 'title', 'capitalize', 'replace']);

/** The library's tojson options, from the filter's keyword arguments. */
function jsonShape(kwargs: Map<string, Value>): JsonShape {
  const indent = kwargs.get('indent');
  const separators = kwargs.get('separators')?.value;
  const n = indent?.type === 'IntegerValue' ? Math.max(0, indent.value as number) : 0;
  const shape = {
    indent: n,
    itemSeparator: n > 0 ? 1 : 2,
    keySeparator: 2,
    ascii: kwargs.get('ensure_ascii')?.value === true,
  };
  if (Array.isArray(separators) && separators.length === 2) {
    const [item, key] = separators as Value[];
    shape.itemSeparator = String(item?.value).length;
    shape.keySeparator = String(key?.value).length;
  }
  return shape;
}

/**
 * Bounds what the filter `name` would build from `operand` and its arguments (the filters of
 * @huggingface/jinja 0.5.11 whose result can be much larger than their input).
 */
function checkFilter(
  m: Meter,
  name: string,
  operand: Value,
  args: Value[],
  kwargs: Map<string, Value>,
): void {
  const depth = m.budget.maxDepth;
  const text = typeof operand.value === 'string' ? operand.value : null;
  const list = Array.isArray(operand.value) ? (operand.value as Value[]) : null;
  switch (name) {
    case 'tojson':
      return guard(m, 'tojson', (limit) => jsonLength(operand, jsonShape(kwargs), limit, depth));
    case 'string':
      if (list) guard(m, 'string', (limit) => jsonLength(operand, ONE_LINE_JSON, limit, depth));
      return;
    case 'join': {
      const sep = (args[0] ?? kwargs.get('separator'))?.value;
      const gap = typeof sep === 'string' ? sep.length : 0;
      if (text !== null) return guard(m, 'join', () => text.length * (1 + gap));
      if (list) {
        guard(m, 'join', (limit) => {
          let n = 0;
          for (const x of list) {
            n += gap + textLength(x, limit - n, depth);
            if (n > limit) break;
          }
          return n;
        });
      }
      return;
    }
    case 'indent': {
      if (text === null) return;
      const width = args[0] ?? kwargs.get('width');
      const w = width?.type === 'IntegerValue' ? Math.max(0, width.value as number) : 4;
      return guard(
        m,
        'indent',
        (limit) => text.length + w * lineCount(text, Math.floor(limit / Math.max(1, w)) + 1),
      );
    }
  }
}

/**
 * Python's range() (start, stop, step; a zero step refused), as the renderer's own, except that it
 * refuses before allocating when it would hold more than `maxItems` numbers.
 */
function boundedRange(maxItems: number) {
  return (start: number, stop?: number, step = 1): number[] => {
    if (stop === undefined) {
      stop = start;
      start = 0;
    }
    if (step === 0) throw new Error('range() step must not be zero');
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (!Number.isFinite(count) || count > maxItems) {
      throw new TemplateBudgetError(`range() of more than ${maxItems} items`);
    }
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(start + i * step);
    return out;
  };
}

// The global range() of a bounded render is the bounded one (Template.render sets the globals
// through Environment.set, which refuses a second declaration, so it is swapped where it is set).
const envProto = Environment.prototype as unknown as {
  set: (this: Environment, name: string, value: unknown) => unknown;
};
const envSet = envProto.set;
envProto.set = function (name, value) {
  const m = meter;
  if (m !== null && name === 'range') value = boundedRange(m.budget.maxItems);
  if (m !== null && name === 'strftime_now' && typeof value === 'function') {
    value = boundedStrftime(m, value as (format: unknown) => unknown);
  }
  return envSet.call(this, name, value);
};

/**
 * strftime_now(format) formats a date for each %-directive (a month name takes microseconds):
 * more than maxItems directives, or a result that could pass maxChars, is refused first.
 */
function boundedStrftime(m: Meter, strftime: (format: unknown) => unknown) {
  return (format: unknown) => {
    if (typeof format === 'string') {
      const directives = countOccurrences(format, '%', m.budget.maxItems + 1);
      if (directives > m.budget.maxItems) {
        throw new TemplateBudgetError(
          `strftime_now() with more than ${m.budget.maxItems} directives`,
        );
      }
      // No directive yields more than a month's name (under 32 characters in any locale).
      guard(m, 'strftime_now()', () => format.length + 32 * directives);
    }
    return strftime(format);
  };
}

// The value classes are not exported: their prototypes are reached through values of each kind.
const probe = new Environment();
probe.set('s', '');
probe.set('l', []);
probe.set('d', {});
const probeNamespace = probe.lookupVariable('namespace') as unknown as {
  value: (args: unknown[]) => Value;
};

// String methods whose result can dwarf their input: s.replace("", t) and s.split(sep) (a list
// of up to s.length strings). The `replace` filter calls the same method.
const stringProto = Object.getPrototypeOf(probe.lookupVariable('s')) as object;
const stringBuiltins = Object.getOwnPropertyDescriptor(stringProto, 'builtins')?.get;
if (stringBuiltins === undefined) throw new Error('@huggingface/jinja: StringValue.builtins moved');
const guardedBuiltins = new WeakSet<object>();
Object.defineProperty(stringProto, 'builtins', {
  configurable: true,
  get(this: Value) {
    const map = stringBuiltins.call(this) as Map<string, Value>;
    if (!guardedBuiltins.has(map)) {
      guardedBuiltins.add(map);
      guardStringMethods(this, map);
    }
    return map;
  },
});

type Builtin = (args: Value[], environment: unknown) => Value;

function guardStringMethods(self: Value, map: Map<string, Value>): void {
  const text = () => self.value as string;
  const checks = new Map<string, (m: Meter, args: Value[]) => void>();
  const wrap = (name: string, check: (m: Meter, args: Value[]) => void) => checks.set(name, check);
  wrap('replace', (m, [old, replacement, third]) => {
    if (old?.type !== 'StringValue' || replacement?.type !== 'StringValue') return; // refused
    const count =
      third?.type === 'KeywordArgumentsValue'
        ? (third.value as Map<string, Value>).get('count')
        : third;
    const most = count?.type === 'IntegerValue' ? (count.value as number) : null;
    guard(m, 'replace()', (limit) =>
      replaceLength(text(), old.value as string, replacement.value as string, most, limit),
    );
  });
  wrap('split', (m, [sep]) => {
    const by = sep === undefined || sep.type === 'NullValue' ? null : sep.value;
    if (by !== null && typeof by !== 'string') return; // the library refuses it
    const max = m.budget.maxItems;
    if (splitParts(text(), by, max) > max) {
      throw new TemplateBudgetError(`split() would build a list of more than ${max} items`);
    }
  });
  // Every method (upper, title, strip, split, replace, ...) is linear in the string: charged.
  for (const [name, fn] of map) {
    if (typeof fn.value !== 'function') continue;
    const call = fn.value as Builtin;
    const check = checks.get(name);
    fn.value = ((args, environment) => {
      const m = meter;
      if (m !== null) {
        work(m, text().length);
        check?.(m, args);
      }
      return call(args, environment);
    }) satisfies Builtin;
  }
}

// A list, dict or namespace printed ({{ l }}, a ~ l) is its JSON on one line, built in one call.
for (const value of [
  probe.lookupVariable('l'),
  probe.lookupVariable('d'),
  probeNamespace.value([]),
] as unknown as Value[]) {
  const p = Object.getPrototypeOf(value) as { toString: (this: Value) => string };
  const toString = p.toString;
  p.toString = function () {
    const m = meter;
    if (m !== null) {
      guard(m, 'printing a list or dict', (limit) =>
        jsonLength(this, ONE_LINE_JSON, limit, m.budget.maxDepth),
      );
    }
    return toString.call(this);
  };
}

/**
 * Template.render(items) within `budget`: the same interpreter and globals, except range(), which
 * is bounded.
 * Throws TemplateBudgetError when a limit is passed; the template's own errors as Template.render.
 */
export function renderBounded(
  template: Template,
  items: Record<string, unknown>,
  budget: TemplateBudget = DEFAULT_TEMPLATE_BUDGET,
): string {
  if (meter !== null) throw new Error('renderBounded is not reentrant');
  meter = {
    budget,
    steps: 0,
    depth: 0,
    chars: 0,
    items: 0,
    weights: new WeakMap(),
    filters: [],
    deadline: (budget.now ?? Date.now)() + budget.maxMs,
    now: budget.now ?? Date.now,
  };
  try {
    return template.render(items);
  } finally {
    meter = null;
  }
}
