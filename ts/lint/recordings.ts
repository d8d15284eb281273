// Neural recordings to LINT targets, after the reference's monkey-PFC pipeline (lint_reference.md §5): spike times
// or binned counts -> firing rates per bin -> Gaussian smoothing in time -> averages per condition (neurons that lack
// a condition are dropped) -> PCA denoising -> removal of the condition-independent component -> targets for a fit
// of the states x with a free pre-period.
import { pca } from '../analysis/measures.js';
import { cholesky, choleskyInverse, matmul, transpose } from '../core/linalg.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, optionError, type Rules } from '../core/validate.js';

/** One trial of one neuron: its condition, and either spike times (ms from the alignment event) or binned counts. */
export interface NeuronTrial {
  condition: number;
  spikes?: ArrayLike<number>;
  counts?: ArrayLike<number>;
}

/** How recorded trials are binned and smoothed (`lint.conditionAverages`); defaults in `BINNING_DEFAULTS`. */
export interface BinningOptions {
  /** Bin width in ms. */
  binMs: number;
  /** Window [start, end) in ms, for spike times (counts are taken as they are). */
  start?: number;
  /** See `start`. */
  end?: number;
  /** Gaussian smoothing sigma in ms (default 0: none); scipy.ndimage.gaussian_filter1d semantics. */
  smoothMs?: number;
}

/** The defaults of the binning options (no smoothing). */
export const BINNING_DEFAULTS = { smoothMs: 0 } as const satisfies Partial<BinningOptions>;

const BINNING_RULES: Rules<BinningOptions> = { binMs: is.positive(), start: is.number(), end: is.number(), smoothMs: is.nonNegative() };

/** Checks binning options: the rules, binMs given, and start < end when both are given. */
function checkBinning<T extends Partial<BinningOptions>>(where: string, rules: Rules<T>, options: unknown, defaults: Partial<T> = {}): T {
  const o = checkOptions<T>(where, rules, options, defaults);
  if (o.binMs === undefined) throw optionError(where, 'binMs', 'a finite number > 0 (the bin width in ms)', undefined, TypeError);
  if (o.start !== undefined && o.end !== undefined && !(o.end > o.start)) throw optionError(where, 'end', `a time after start (${o.start} ms)`, o.end);
  return o;
}

/** Spike counts in the bins [start + k binMs, start + (k+1) binMs) of [start, end). */
export function binSpikes(times: ArrayLike<number>, options: { binMs: number; start: number; end: number }): Float64Array {
  const { smoothMs: _smoothMs, ...windowRules } = BINNING_RULES;
  const opts = checkBinning<{ binMs: number; start: number; end: number }>('lint.binSpikes', windowRules, options);
  for (const name of ['start', 'end'] as const) {
    if (opts[name] === undefined) throw optionError('lint.binSpikes', name, 'a finite number (ms)', undefined, TypeError);
  }
  const bin = opts.binMs;
  const bins = Math.round((opts.end - opts.start) / bin);
  if (Math.abs(bins * bin - (opts.end - opts.start)) > 1e-9 * bin) {
    throw new RangeError(`lint.binSpikes: end - start (${opts.end - opts.start} ms) must be a whole number of bins of ${bin} ms`);
  }
  const counts = new Float64Array(bins);
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (!Number.isFinite(t)) throw new RangeError(`spike times must be finite; got ${t} at index ${i}`);
    const k = Math.floor((t - opts.start) / bin);
    if (k >= 0 && k < bins) counts[k] += 1;
  }
  return counts;
}

/** The normalised Gaussian kernel of gaussian_filter1d: radius round(truncate sigma), truncate = 4. */
function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let s = 0;
  for (let i = -radius; i <= radius; i++) s += k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  return k.map((v) => v / s);
}

/** Index of a sample outside [0, n) under scipy's 'reflect' mode (d c b a | a b c d | d c b a). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/**
 * Gaussian smoothing along the time axis of [..., T, N] (or of a single series [T]) with sigma in bins: the
 * normalised kernel truncated at 4 sigma and mirror ('reflect') edges, as scipy.ndimage.gaussian_filter1d.
 */
export function smoothTime(x: Tensor, sigmaBins: number): Tensor<Float64Array> {
  checkTensor(x, 'x');
  checkValue('lint.smoothTime', 'sigmaBins', sigmaBins, is.nonNegative());
  const shape = x.shape.length === 1 ? [1, x.shape[0], 1] : x.shape;
  const N = x.shape.length === 1 ? 1 : shape[shape.length - 1];
  const T = x.shape.length === 1 ? x.shape[0] : shape[shape.length - 2];
  const out = Float64Array.from(x.data);
  if (sigmaBins === 0 || T === 0) return { data: out, shape: [...x.shape] };
  const kernel = gaussianKernel(sigmaBins);
  const radius = (kernel.length - 1) / 2;
  const blocks = x.data.length / (T * N);
  for (let b = 0; b < blocks; b++)
    for (let n = 0; n < N; n++)
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * x.data[(b * T + reflect(t + k, T)) * N + n];
        out[(b * T + t) * N + n] = s;
      }
  return { data: out, shape: [...x.shape] };
}

/** What {@link conditionAverages} and {@link averageCounts} return: C conditions, T bins, the N neurons kept. */
export interface ConditionAverages {
  /** [C, T, N] firing rates in Hz (counts per bin / bin width), smoothed, averaged over each condition's trials. */
  rates: Tensor<Float64Array>;
  /** The condition of each row, sorted ascending. */
  conditions: number[];
  /** Indices (into the input list) of the neurons kept, i.e. those with at least one trial in every condition. */
  kept: number[];
  /** Trials averaged per (condition, kept neuron), [C, N]. */
  trialCounts: Int32Array;
}

/**
 * Condition-averaged firing rates of separately recorded neurons (a pseudo-population, as the monkey data):
 * `neurons[i]` lists neuron i's trials. Each trial is binned (spike times) or taken as binned counts, converted to
 * Hz, smoothed, then averaged per condition. The condition set is the union over neurons (or `conditions`); a neuron
 * without a trial in one of them is dropped and reported.
 */
export function conditionAverages(neurons: NeuronTrial[][], options: BinningOptions & { conditions?: number[] }): ConditionAverages {
  checkValue('lint.conditionAverages', 'neurons', neurons, is.arrayOf(is.custom('an array of trials', Array.isArray), 'a non-empty array (one array of trials per neuron)'));
  const opts = checkBinning<BinningOptions & { conditions?: number[] }>('lint.conditionAverages', { ...BINNING_RULES, conditions: is.arrayOf(is.number()) }, options, BINNING_DEFAULTS);
  const bin = opts.binMs!;
  const sigma = opts.smoothMs! / bin;
  const toRates = (trial: NeuronTrial, where: string): Float64Array => {
    let counts: ArrayLike<number>;
    if (trial.spikes !== undefined) {
      if (opts.start === undefined || opts.end === undefined) throw new TypeError(`${where} has spike times: give start and end (ms) of the window`);
      counts = binSpikes(trial.spikes, { binMs: bin, start: opts.start, end: opts.end });
    } else if (trial.counts !== undefined) {
      counts = trial.counts;
    } else {
      throw new TypeError(`${where} needs spikes (times in ms) or counts (per bin)`);
    }
    const hz = Float64Array.from(counts, (c) => (c * 1000) / bin);
    return smoothTime({ data: hz, shape: [hz.length] }, sigma).data;
  };
  const conditions = opts.conditions ?? [...new Set(neurons.flatMap((trials) => trials.map((t) => t.condition)))].sort((a, b) => a - b);
  const index = new Map(conditions.map((c, i) => [c, i]));
  const C = conditions.length;
  let T = -1;
  const perNeuron: { sums: Float64Array; counts: Int32Array }[] = [];
  const kept: number[] = [];
  neurons.forEach((trials, i) => {
    let sums: Float64Array | undefined;
    const counts = new Int32Array(C);
    trials.forEach((trial, j) => {
      const where = `neurons[${i}][${j}]`;
      const c = index.get(trial.condition);
      if (c === undefined) return; // a condition outside the requested set
      const r = toRates(trial, where);
      if (T < 0) T = r.length;
      if (r.length !== T) throw new RangeError(`${where} has ${r.length} bins; every trial must have ${T}`);
      sums ??= new Float64Array(C * T);
      for (let t = 0; t < T; t++) sums[c * T + t] += r[t];
      counts[c] += 1;
    });
    if (sums && counts.every((n) => n > 0)) {
      kept.push(i);
      perNeuron.push({ sums, counts });
    }
  });
  if (kept.length === 0) throw new RangeError('no neuron has a trial in every condition');
  const N = kept.length;
  const rates = new Float64Array(C * T * N);
  const trialCounts = new Int32Array(C * N);
  perNeuron.forEach(({ sums, counts }, n) => {
    for (let c = 0; c < C; c++) {
      trialCounts[c * N + n] = counts[c];
      for (let t = 0; t < T; t++) rates[(c * T + t) * N + n] = sums[c * T + t] / counts[c];
    }
  });
  return { rates: { data: rates, shape: [C, T, N] }, conditions, kept, trialCounts };
}

/**
 * Condition averages of simultaneously recorded counts [trials, T, N] (binned at `binMs`), with one condition label
 * per trial: the same conversion to Hz, smoothing and averaging as `conditionAverages`.
 */
export function averageCounts(counts: Tensor, trialConditions: number[], options: { binMs: number; smoothMs?: number }): ConditionAverages {
  checkTensor(counts, 'counts');
  const opts = checkBinning<{ binMs: number; smoothMs?: number }>('lint.averageCounts', { binMs: BINNING_RULES.binMs, smoothMs: BINNING_RULES.smoothMs }, options, BINNING_DEFAULTS);
  if (counts.shape.length !== 3) throw new RangeError(`counts must have shape [trials, bins, neurons]; got ${formatShape(counts.shape)}`);
  const [B, T, N] = counts.shape;
  if (!Array.isArray(trialConditions) || trialConditions.length !== B) {
    throw new RangeError(`trialConditions must have one label per trial (${B}); got ${trialConditions?.length}`);
  }
  const neurons: NeuronTrial[][] = Array.from({ length: N }, (_, n) =>
    trialConditions.map((condition, b) => ({ condition, counts: Float64Array.from({ length: T }, (_, t) => counts.data[(b * T + t) * N + n]) })),
  );
  return conditionAverages(neurons, { binMs: opts.binMs, smoothMs: opts.smoothMs });
}

/** What {@link pcaDenoise} returns. */
export interface PcaDenoised {
  /** Shape [C, T, N]: the data with each neuron's mean removed, projected on the top k principal components. */
  data: Tensor<Float64Array>;
  /** Shape [N]: the means removed. */
  mean: Float64Array;
  /** Shape [N, k]: the principal axes (unit columns). */
  components: Tensor<Float64Array>;
  /** Fraction of the (mean-removed) variance the k components keep. */
  explained: number;
}

/** PCA denoising of [C, T, N] (or any [..., N]) to k components (analysis.pca), after removing each neuron's mean. */
export async function pcaDenoise(x: Tensor, k: number): Promise<PcaDenoised> {
  checkTensor(x, 'x');
  const N = x.shape[x.shape.length - 1];
  const rows = x.data.length / N;
  checkValue('lint.pcaDenoise', 'k', k, is.integer(1, Math.min(rows, N)));
  const p = await pca(x, { components: k });
  const data = matmul(p.scores.data, transpose(p.components.data, N, k), rows, k, N);
  return { data: { data, shape: [...x.shape] }, mean: p.mean, components: p.components, explained: p.varianceRatio.reduce((a, b) => a + b, 0) };
}

/**
 * Removes the condition-independent component from [C, T, N]: the across-condition mean time course of each neuron,
 * or, with `regressors` [C, P] (task variables per condition, e.g. choice, coherences, context), the intercept
 * time course of the per-(t, neuron) least-squares regression on them (the reference's X_cent). With zero-mean,
 * balanced regressors the two agree.
 */
export function removeConditionIndependent(x: Tensor, regressors?: Tensor): Tensor<Float64Array> {
  checkTensor(x, 'x');
  if (x.shape.length !== 3) throw new RangeError(`x must have shape [conditions, steps, neurons]; got ${formatShape(x.shape)}`);
  const [C, T, N] = x.shape;
  // weights w_c such that intercept(t, n) = sum_c w_c x[c, t, n]
  let weights: Float64Array = new Float64Array(C).fill(1 / C);
  if (regressors) {
    checkTensor(regressors, 'regressors');
    if (regressors.shape.length !== 2 || regressors.shape[0] !== C) {
      throw new RangeError(`regressors must have shape [${C}, P] (one row per condition); got ${formatShape(regressors.shape)}`);
    }
    weights = interceptWeights(regressors.data, C, regressors.shape[1]);
  }
  const out = Float64Array.from(x.data);
  for (let t = 0; t < T; t++)
    for (let n = 0; n < N; n++) {
      let b0 = 0;
      for (let c = 0; c < C; c++) b0 += weights[c] * x.data[(c * T + t) * N + n];
      for (let c = 0; c < C; c++) out[(c * T + t) * N + n] -= b0;
    }
  return { data: out, shape: [C, T, N] };
}

/** Row 0 of (X^T X)^{-1} X^T for the design X = [1, regressors]: the linear map from responses to the intercept. */
function interceptWeights(reg: ArrayLike<number>, C: number, P: number): Float64Array {
  const D = P + 1;
  if (C < D) throw new RangeError(`the regression needs at least ${D} conditions for ${P} regressors and an intercept; got ${C}`);
  const X = (c: number, d: number) => (d === 0 ? 1 : reg[c * P + d - 1]);
  const xtx = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) for (let c = 0; c < C; c++) xtx[i * D + j] += X(c, i) * X(c, j);
  // X^T X is positive definite unless the regressors are collinear: a pivot that falls to rounding level says so.
  const l = cholesky(xtx, D);
  if (!l || l.some((v, k) => k % (D + 1) === 0 && !(v * v > 1e-12 * xtx[k]))) {
    throw new RangeError('the regressors are collinear (with each other or with the intercept)');
  }
  const inverse = choleskyInverse(l, D);
  const weights = new Float64Array(C);
  for (let c = 0; c < C; c++) for (let d = 0; d < D; d++) weights[c] += inverse[d] * X(c, d);
  return weights;
}

/**
 * Targets and mask for fitting states x to data [C, T, N] after a free pre-period of `prePeriod` steps (the inputs
 * must then have prePeriod + T steps): zeros and mask 0 on the pre-period, the data and mask 1 after it. `scale`
 * divides the data (e.g. its overall standard deviation, to put rates in Hz on the O(1) scale of x).
 */
export function recordingTargets(data: Tensor, prePeriod: number, scale = 1): { targets: Tensor<Float32Array>; mask: Tensor<Float32Array> } {
  checkTensor(data, 'data');
  if (data.shape.length !== 3) throw new RangeError(`data must have shape [conditions, steps, neurons]; got ${formatShape(data.shape)}`);
  checkValue('lint.recordingTargets', 'prePeriod', prePeriod, is.integer(0));
  checkValue('lint.recordingTargets', 'scale', scale, is.positive());
  const [C, T, N] = data.shape;
  const steps = prePeriod + T;
  const targets = new Float32Array(C * steps * N);
  const mask = new Float32Array(C * steps);
  for (let c = 0; c < C; c++) {
    mask.fill(1, c * steps + prePeriod, (c + 1) * steps);
    for (let t = 0; t < T; t++)
      for (let n = 0; n < N; n++) targets[(c * steps + prePeriod + t) * N + n] = data.data[(c * T + t) * N + n] / scale;
  }
  return { targets: { data: targets, shape: [C, steps, N] }, mask: { data: mask, shape: [C, steps] } };
}
