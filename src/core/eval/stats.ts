/**
 * The statistics an accuracy table needs so that 20 examples are not over-read: the Wilson score
 * interval of one accuracy, and the paired comparison of a model with the base model on the same
 * examples (exact two-sided sign test on the discordant pairs, which is McNemar's exact test).
 */

/** z of a two-sided 95 % interval: the 0.975 quantile of the standard normal distribution. */
export const Z95 = 1.959963984540054;

export interface Interval {
  /** Lower bound, in [0, 1]. */
  low: number;
  /** Upper bound, in [0, 1]. */
  high: number;
}

/**
 * Wilson score interval of a proportion k/n (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22, 1927; closed form as in R. G. Newcombe, Stat.
 * Med. 17:857, 1998, method 3):
 *   (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),  p̂ = k/n.
 * Unlike p̂ ± z·√(p̂(1−p̂)/n) it stays inside [0, 1] and is not zero-width at 0/n or n/n.
 * n = 0 gives [0, 1] (nothing is known). Throws RangeError unless 0 ≤ k ≤ n are integers.
 */
export function wilsonInterval(k: number, n: number, z = Z95): Interval {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`wilsonInterval: need integers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denom = 1 + z2 / n;
  // Exact ends at 0/n and n/n (the formula gives them up to rounding).
  return {
    low: k === 0 ? 0 : (centre - half) / denom,
    high: k === n ? 1 : (centre + half) / denom,
  };
}

/** log(exp(a) + exp(b)) without overflow. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * Exact two-sided sign test: with `a` and `b` the counts of the two kinds of discordant pairs and
 * n = a + b, under H0 each is Binomial(n, 1/2), and
 *   p = min(1, 2 · P(X ≤ min(a, b))),  X ~ Binomial(n, 1/2).
 * This is McNemar's exact test (the conditional binomial test on the discordant pairs). n = 0
 * gives 1. The tail is summed in log space (each term from the previous by (n−i+1)/i), so it is
 * accurate for any n this tool sees.
 */
export function signTestP(a: number, b: number): number {
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0) {
    throw new RangeError(`signTestP: need counts ≥ 0, got ${a}, ${b}`);
  }
  const n = a + b;
  if (n === 0) return 1;
  const k = Math.min(a, b);
  let logTerm = -n * Math.LN2; // log P(X = 0)
  let logTail = logTerm;
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    logTail = logAdd(logTail, logTerm);
  }
  return Math.min(1, 2 * Math.exp(logTail));
}

export interface PairedComparison {
  /** Examples both scored (the shorter of the two lists, when a run was cancelled). */
  n: number;
  /** The base was wrong, the model right. */
  gained: number;
  /** The base was right, the model wrong. */
  lost: number;
  /** Both right. */
  bothRight: number;
  /** Both wrong. */
  bothWrong: number;
  /** Exact two-sided sign test (McNemar) p-value of gained vs lost; 1 when none differ. */
  p: number;
}

/**
 * A model against the base model on the same examples, in the same order: which examples it gained
 * and lost, and how likely a split at least this uneven is if the model were no better or worse
 * than the base (signTestP). Throws RangeError when the lists differ in length.
 */
export function comparePaired(
  base: readonly boolean[],
  model: readonly boolean[],
): PairedComparison {
  if (base.length !== model.length) {
    throw new RangeError(
      `comparePaired: ${base.length} base results vs ${model.length} model results`,
    );
  }
  let gained = 0;
  let lost = 0;
  let bothRight = 0;
  let bothWrong = 0;
  for (let i = 0; i < base.length; i++) {
    if (base[i] && model[i]) bothRight++;
    else if (base[i]) lost++;
    else if (model[i]) gained++;
    else bothWrong++;
  }
  return { n: base.length, gained, lost, bothRight, bothWrong, p: signTestP(gained, lost) };
}

export interface Accuracy {
  /** Examples scored. */
  n: number;
  /** Examples right. */
  correct: number;
  /** correct / n (NaN when n = 0). */
  accuracy: number;
  /** Wilson 95 % interval. */
  interval: Interval;
}

/** Accuracy of a list of right/wrong results, with its Wilson 95 % interval. */
export function accuracyOf(results: readonly boolean[]): Accuracy {
  const n = results.length;
  const correct = results.filter(Boolean).length;
  return {
    n,
    correct,
    accuracy: n === 0 ? NaN : correct / n,
    interval: wilsonInterval(correct, n),
  };
}
