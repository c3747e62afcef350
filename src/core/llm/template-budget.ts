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

// The interpreter's internals, typed loosely: the package exports the classes, not these shapes.
interface Value {
  type: string;
  value: unknown;
}
type Evaluate = (this: Interpreter, statement: unknown, environment: Environment) => Value;
type EvaluateBlock = (this: Interpreter, statements: unknown[], environment: Environment) => Value;
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
  /** Wall-clock limit in ms (checked every 1024 steps). */
  maxMs: number;
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
  /** Weights of the lists and dicts seen (see weigh). */
  weights: WeakMap<object, { weight: number; depth: number }>;
  deadline: number;
}
let meter: Meter | null = null;

function step(m: Meter): void {
  if (++m.steps > m.budget.maxSteps) {
    throw new TemplateBudgetError(`more than ${m.budget.maxSteps} steps`);
  }
  if ((m.steps & 1023) === 0 && Date.now() > m.deadline) {
    throw new TemplateBudgetError(`more than ${m.budget.maxMs} ms`);
  }
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
function weigh(m: Meter, v: Value): { weight: number; depth: number } {
  if (v.type === 'StringValue') return { weight: (v.value as string).length + 1, depth: 0 };
  const inner = v.value;
  if (!Array.isArray(inner) && !(inner instanceof Map)) return { weight: 1, depth: 0 };
  const known = m.weights.get(v);
  if (known !== undefined) return known;
  let weight = 1;
  let depth = 0;
  const add = (x: Value) => {
    const c = weigh(m, x);
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
};
const evaluate = proto.evaluate;
const evaluateBlock = proto.evaluateBlock;
const evaluateArguments = proto.evaluateArguments;
proto.evaluate = function (statement, environment) {
  const m = meter;
  if (m === null) return evaluate.call(this, statement, environment);
  step(m);
  if (++m.depth > m.budget.maxDepth) {
    m.depth--;
    throw new TemplateBudgetError(`nesting deeper than ${m.budget.maxDepth}`);
  }
  try {
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
  }
  return out;
};

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
  return envSet.call(
    this,
    name,
    m !== null && name === 'range' ? boundedRange(m.budget.maxItems) : value,
  );
};

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
    deadline: Date.now() + budget.maxMs,
  };
  try {
    return template.render(items);
  } finally {
    meter = null;
  }
}
