// The confidence rule for sampled estimates. An estimated rate is the sum of the sampling rates of the samples
// seen (each sampled packet stands for `rate` packets). With packet sampling the number of samples is close to
// Poisson, so the estimate is only as good as the number of samples behind it: one sample at 1:10000 says
// "10,000 packets", but a rate that low or twenty times higher would produce that sample just as plausibly.
//
// An alert therefore needs BOTH
//   - at least `minSamples` samples in the window, and
//   - the one-sided lower confidence bound of the rate at level `confidence` to be at or above the threshold.
// The bound uses the exact Poisson (chi-square) lower limit on the sample count, computed on the effective
// number of samples n_eff = (Σ rate)² / Σ rate², which equals n when every sample has the same rate and
// shrinks when a few samples at a coarse rate dominate (mixed exporters), so mixing rates cannot inflate
// confidence.

/** Standard normal quantile (Acklam's rational approximation; |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * Regularized lower incomplete gamma P(a, x) (series below a + 1, Lentz's continued fraction above; Numerical
 * Recipes §6.2), accurate to ~1e-12 for the a and x used here.
 */
export function regularizedGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lnPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-14) break;
    }
    return sum * Math.exp(lnPrefix);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return 1 - Math.exp(lnPrefix) * h;
}

/** ln Γ(x) (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = g[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Lower confidence limit of a Poisson mean given `n` observed events, one-sided at `confidence`: the λ with
 * P(X ≥ n | λ) = 1 − confidence, i.e. P(n, λ) = 1 − confidence with P the regularized lower incomplete gamma
 * (equivalently ½·χ²(1 − confidence; 2n)). Solved by bisection, so it is exact for small n too; non-integer n
 * (an effective count) is accepted. Above 200 events the Wilson–Hilferty approximation (error < 0.1%) is used.
 */
export function poissonLowerBound(n: number, confidence: number): number {
  if (n <= 0) return 0;
  const alpha = 1 - confidence;
  if (n > 200) {
    const nu = 2 * n;
    const z = normalQuantile(alpha);
    const t = 1 - 2 / (9 * nu) + z * Math.sqrt(2 / (9 * nu));
    return t <= 0 ? 0 : (nu * t * t * t) / 2;
  }
  let lo = 0;
  let hi = n;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedGammaP(n, mid) < alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface RateEvidence {
  /** Estimated count over the window (Σ rate for packets, Σ rate × length for bytes). */
  estimate: number;
  /** Samples behind the estimate. */
  samples: number;
  /** Σ rate² over those samples. */
  rateSquares: number;
}

/** Effective number of samples: (Σ rate)² / Σ rate² (n when all rates are equal). */
export function effectiveSamples(packets: number, rateSquares: number): number {
  return rateSquares > 0 ? (packets * packets) / rateSquares : 0;
}

/**
 * The lower confidence bound of an estimate (packets, or bytes scaled the same way): estimate × λ_L(n_eff)/n_eff.
 * `packets` and `rateSquares` describe the sampling; `estimate` may be packets or bytes.
 */
export function lowerBound(estimate: number, packets: number, rateSquares: number, confidence: number): number {
  const nEff = effectiveSamples(packets, rateSquares);
  if (nEff <= 0) return 0;
  return (estimate * poissonLowerBound(nEff, confidence)) / nEff;
}

export interface ConfidenceRule {
  confidence: number;
  minSamples: number;
}

/** Whether the evidence shows, with the rule's confidence, a rate at or above `threshold` (same unit as estimate / seconds). */
export function confidentlyAbove(
  rule: ConfidenceRule,
  estimate: number,
  packets: number,
  samples: number,
  rateSquares: number,
  seconds: number,
  threshold: number,
): boolean {
  if (samples < rule.minSamples) return false;
  return lowerBound(estimate, packets, rateSquares, rule.confidence) / seconds >= threshold;
}
