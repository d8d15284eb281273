// Resampled networks (populations paper, reference to_support_net): a new low-rank net of any size whose neurons are
// drawn from a Gaussian mixture over the connectivity space, the mixture either fitted (fitMixture) or the empirical
// one of labelled populations (np.cov with ddof 1 per population, as the reference). Differences from the reference,
// all deliberate: si and so are kept (the space holds si_k wi_k and so_o wo_o; the new wi, wo are divided by the
// trained si, so again); population sizes by largest remainder, so no neuron is left without a population; the
// covariance factorisation clips negative eigenvalues to zero instead of taking the square root of them; with fitted
// means the readout mean is passed on too.
//
// Scaling: the reference's support net stores m / sqrt(N'), n / sqrt(N'), wo / N' and runs without 1/N; this
// package's nets divide by N' themselves, so the drawn m, n, wo are stored as they are and the effective weights
// m n^T / N' and wo / N' are the reference's.
import { checkModel } from '../model/check.js';
import { checkTensor } from '../core/tensor.js';
import { svd } from '../core/linalg.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkCount } from '../core/size.js';
import { checkOptions, checkValue, is, show, type Rules } from '../core/validate.js';
import { LowRankRNN, type AnyModel } from '../model/index.js';
import type { Task } from '../tasks/index.js';
import { train, type TrainOptions } from '../training/index.js';
import { connectivitySpace, lowRankOf, type SpaceOptions } from './space.js';

/** A Gaussian mixture over a connectivity space: what a fitted GaussianMixture and {@link populationStatistics} share. */
export interface MixtureParameters {
  /** [K] mixing weights (fractions of neurons), summing to 1. */
  weights: Float64Array;
  /** [K, D] */
  means: Tensor;
  /** [K, D, D] full covariances. */
  covariances: Tensor;
}

/** Checks population labels: N integers 0..K-1 with every population used; returns K. */
export function checkLabels(labels: ArrayLike<number>, N: number, name = 'labels'): number {
  checkValue('checkLabels', 'N', N, is.integer(1), 'argument');
  const where = 'populations';
  checkValue(where, name, labels, is.custom(`an array of ${N} integers (one population per neuron)`, (l) => l !== null && typeof l === 'object' && (l as ArrayLike<number>).length === N, (l) => l !== null && typeof l === 'object'));
  let K = 0;
  for (let i = 0; i < N; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0) throw new RangeError(`${where}: ${name}[${i}] must be a non-negative integer; got ${l}`);
    K = Math.max(K, l + 1);
  }
  const counts = new Int32Array(K);
  for (let i = 0; i < N; i++) counts[labels[i]]++;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new RangeError(`${where}: ${name} must number the populations 0..K-1 with none empty; population ${empty} of 0..${K - 1} has no neuron`);
  return K;
}

/**
 * The empirical mixture of labelled populations: weight = count / N, the mean and the covariance (np.cov, ddof 1) of
 * each population's rows of `space` [N, D]. `zeroMeans` sets the means to 0 (the reference's default).
 */
export function populationStatistics(space: Tensor, labels: ArrayLike<number>, opts: { zeroMeans?: boolean } = {}): MixtureParameters & { means: Tensor<Float64Array>; covariances: Tensor<Float64Array> } {
  checkTensor(space, 'populationStatistics: space', undefined, { finite: false });
  checkValue('populationStatistics', 'labels', labels, is.numbers(), 'argument');
  const [N, D] = space.shape;
  const K = checkLabels(labels, N);
  const counts = new Float64Array(K);
  const means = new Float64Array(K * D);
  for (let i = 0; i < N; i++) {
    counts[labels[i]]++;
    for (let d = 0; d < D; d++) means[labels[i] * D + d] += space.data[i * D + d];
  }
  for (let k = 0; k < K; k++) {
    if (counts[k] < 2) throw new RangeError(`populations: population ${k} has ${counts[k]} neuron; a covariance (ddof 1) needs at least 2`);
    for (let d = 0; d < D; d++) means[k * D + d] /= counts[k];
  }
  const cov = new Float64Array(K * D * D);
  for (let i = 0; i < N; i++) {
    const k = labels[i];
    for (let a = 0; a < D; a++) {
      const da = space.data[i * D + a] - means[k * D + a];
      for (let b = 0; b <= a; b++) cov[(k * D + a) * D + b] += da * (space.data[i * D + b] - means[k * D + b]);
    }
  }
  for (let k = 0; k < K; k++)
    for (let a = 0; a < D; a++)
      for (let b = 0; b <= a; b++) {
        const v = cov[(k * D + a) * D + b] / (counts[k] - 1);
        cov[(k * D + a) * D + b] = v;
        cov[(k * D + b) * D + a] = v;
      }
  if (opts.zeroMeans) means.fill(0);
  return { weights: counts.map((c) => c / N), means: { data: means, shape: [K, D] }, covariances: { data: cov, shape: [K, D, D] } };
}

/** Population sizes that add up to `size` (largest remainder: floor(w size), then one more to the largest remainders). */
export function populationSizes(weights: ArrayLike<number>, size: number): Int32Array {
  checkValue('populationSizes', 'weights', weights !== null && typeof weights === 'object' ? Array.from(weights) : weights, is.arrayOf(is.nonNegative(), 'a non-empty list of finite weights >= 0'), 'argument');
  checkValue('populationSizes', 'size', size, is.integer(0), 'argument');
  if (!(Array.from(weights).reduce((a, b) => a + b, 0) > 0)) throw new RangeError(`populationSizes: argument 'weights' must not all be 0; got ${show(Array.from(weights))}`);
  const K = weights.length;
  const total = Array.from(weights).reduce((a, b) => a + b, 0);
  const exact = Array.from(weights, (w) => (w / total) * size);
  const sizes = Int32Array.from(exact, Math.floor);
  let left = size - sizes.reduce((a, b) => a + b, 0);
  const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b);
  for (let i = 0; left > 0; i = (i + 1) % K, left--) sizes[order[i]]++;
  return sizes;
}

/**
 * A factor L [D, D] (row-major) with L L^T = C for a symmetric positive semi-definite C [D, D], safe for nearly singular
 * C: C = U S V^T by the native SVD; for symmetric C a negative eigenvalue shows as u_i . v_i < 0 and is clipped to 0;
 * L = U sqrt(S).
 */
export async function covarianceFactor(cov: Float64Array, D: number): Promise<Float64Array> {
  checkValue('covarianceFactor', 'D', D, is.integer(1), 'argument');
  if (!(cov instanceof Float64Array) || cov.length !== D * D) {
    throw new TypeError(`covarianceFactor: argument 'cov' must be a Float64Array of D x D = ${D * D} values; got ${show(cov)}`);
  }
  const { u, s, v } = await svd(Float64Array.from(cov), D, D, D);
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    let dot = 0;
    for (let a = 0; a < D; a++) dot += u[a * D + i] * v[a * D + i];
    const root = dot > 0 ? Math.sqrt(s[i]) : 0;
    for (let a = 0; a < D; a++) L[a * D + i] = u[a * D + i] * root;
  }
  return L;
}

/** Options of {@link resample}; defaults in {@link RESAMPLE_DEFAULTS}. */
export interface ResampleOptions extends SpaceOptions {
  /** N', the size of the new net (default the model's). */
  size?: number;
  /** 'zero' (the reference's default) or 'fitted': the means the neurons are drawn around. */
  means?: 'zero' | 'fitted';
  /** Seed of the draw (default 0). */
  seed?: number;
}

/** The defaults of {@link resample} (size: the model's). */
export const RESAMPLE_DEFAULTS = Object.freeze({ means: 'zero' as 'zero' | 'fitted', seed: 0, svd: false, scaled: true });
const RESAMPLE_RULES: Rules<ResampleOptions> = {
  size: is.integer(1),
  means: is.oneOf(['zero', 'fitted']),
  seed: is.seed(),
  svd: is.boolean(),
  scaled: is.boolean(),
};

/** A resampled net and the population of each of its neurons (contiguous blocks, population 0 first). */
export interface Resampled {
  model: LowRankRNN;
  labels: Int32Array;
}

/**
 * A new low-rank net drawn from a Gaussian mixture over `model`'s connectivity space. `populations` is either the
 * population of each neuron (the empirical mixture, {@link populationStatistics}) or a fitted mixture (its dims must
 * be the space's 2R + K + O). Every other option of the net (activation, alpha, noise, train flags...) is `model`'s;
 * h0 and b are zero.
 */
export async function resample(model: AnyModel, populations: ArrayLike<number> | MixtureParameters, opts: ResampleOptions = {}): Promise<Resampled> {
  const o = checkOptions('resample', RESAMPLE_RULES, opts, RESAMPLE_DEFAULTS) as ResampleOptions & typeof RESAMPLE_DEFAULTS;
  const base = lowRankOf(model);
  const { space, rank: R, inputs: K, outputs: O } = await connectivitySpace(base, { svd: o.svd, scaled: o.scaled });
  const D = space.shape[1];
  const mixture = isMixture(populations) ? checkMixture(populations, D) : populationStatistics(space, populations);
  const size = o.size ?? base.size;
  checkCount('resample', 'size', size, { values: Math.max(R, K, O), otherBytes: 48 * (2 * R + K + O), what: `neurons x (rank ${R}, ${K} inputs, ${O} outputs)` });
  const sizes = populationSizes(mixture.weights, size);
  const p = base.params();
  const si = o.scaled ? p.si.data : new Float64Array(K).fill(1);
  const so = o.scaled ? p.so.data : new Float64Array(O).fill(1);
  const m = new Float64Array(size * R), n = new Float64Array(size * R), wi = new Float64Array(K * size), wo = new Float64Array(size * O);
  const labels = new Int32Array(size);
  const rng = new Random(streamSeed(o.seed, STREAMS.resampledConnectivity));
  const z = new Float64Array(D), row = new Float64Array(D);
  let i = 0;
  for (let q = 0; q < sizes.length; q++) {
    const L = await covarianceFactor(mixture.covariances.data.subarray(q * D * D, (q + 1) * D * D) as Float64Array, D);
    for (let c = 0; c < sizes[q]; c++, i++) {
      labels[i] = q;
      rng.fillNormal(z);
      for (let a = 0; a < D; a++) {
        let v = o.means === 'fitted' ? mixture.means.data[q * D + a] : 0;
        for (let b = 0; b < D; b++) v += L[a * D + b] * z[b];
        row[a] = v;
      }
      for (let r = 0; r < R; r++) {
        m[i * R + r] = row[r];
        n[i * R + r] = row[R + r];
      }
      for (let k = 0; k < K; k++) wi[k * size + i] = si[k] === 0 ? 0 : row[2 * R + k] / si[k];
      for (let k = 0; k < O; k++) wo[i * O + k] = so[k] === 0 ? 0 : row[2 * R + K + k] / so[k];
    }
  }
  const init = { m, n, wi, wo, si: Float64Array.from(si), so: Float64Array.from(so) };
  return { model: new LowRankRNN({ ...base.options(), size, seed: 0, init }), labels };
}

function isMixture(p: unknown): p is MixtureParameters {
  return p !== null && typeof p === 'object' && 'covariances' in p && 'weights' in p;
}

function checkMixture(mix: MixtureParameters, D: number): MixtureParameters {
  const K = mix.weights.length;
  const ok = (t: Tensor, shape: number[]) => t && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) && t.data.every(Number.isFinite);
  if (K < 1 || !ok(mix.means, [K, D]) || !ok(mix.covariances, [K, D, D]) || !Array.from(mix.weights).every((w) => w >= 0 && Number.isFinite(w))) {
    throw new RangeError(`resample: populations must be a mixture of K components over the ${D} columns of the space (weights [K], means [K, ${D}], covariances [K, ${D}, ${D}], finite); got weights of length ${K}, means [${mix.means?.shape}], covariances [${mix.covariances?.shape}]`);
  }
  return mix;
}

/** Options of {@link resampleAccuracy}: those of {@link resample} and the evaluation's; defaults in {@link RESAMPLE_ACCURACY_DEFAULTS}. */
export interface ResampleAccuracyOptions extends Omit<ResampleOptions, 'seed'> {
  /** S, the number of resampled nets (default 10, as the reference). */
  draws?: number;
  /** Trials each net is scored on (default 400). */
  trials?: number;
  /** Seed of the draws and the trials (default 0). */
  seed?: number;
  /** Retrain each resampled net with these train() options before scoring it (default: no retraining). */
  retrain?: TrainOptions;
  /** Called after each draw. */
  onProgress?: (p: { draw: number; draws: number; accuracy: number }) => void;
  /** Stops between draws. */
  signal?: AbortSignal;
}

/** The defaults of {@link resampleAccuracy}. */
export const RESAMPLE_ACCURACY_DEFAULTS = Object.freeze({ ...RESAMPLE_DEFAULTS, draws: 10, trials: 400 });
const RESAMPLE_ACCURACY_RULES: Rules<ResampleAccuracyOptions> = {
  ...RESAMPLE_RULES,
  draws: is.repeats(),
  trials: is.integer(1),
  retrain: is.object('train() options'),
  onProgress: is.function(),
  signal: is.signal(),
};

/** The task accuracy of a model on `trials` trials drawn with `seed` (the model's own noise on). */
export async function taskAccuracy(model: AnyModel, task: Task, trials: number, seed: number): Promise<number> {
  checkModel('populations.taskAccuracy', 'model', model);
  checkValue('populations.taskAccuracy', 'task', task, is.task(), 'argument');
  const batch = task.sample(trials, { seed });
  const sim = await model.simulate(batch.inputs, { states: false, outputs: true, seed });
  return task.accuracy(sim.outputs!, batch);
}

/**
 * The accuracy distribution of S nets resampled from `populations` (labels or a mixture) on `task`, each scored on
 * the same trials; with `retrain`, each net is trained first (its m, n and the flags of `model`; the reference
 * retrains the mixture's parameters instead).
 */
export async function resampleAccuracy(
  model: AnyModel,
  populations: ArrayLike<number> | MixtureParameters,
  task: Task,
  opts: ResampleAccuracyOptions = {},
): Promise<{ accuracy: Float64Array; mean: number; min: number; max: number }> {
  const o = checkOptions('resampleAccuracy', RESAMPLE_ACCURACY_RULES, opts, RESAMPLE_ACCURACY_DEFAULTS) as ResampleAccuracyOptions & typeof RESAMPLE_ACCURACY_DEFAULTS;
  const accuracy = new Float64Array(o.draws);
  for (let s = 0; s < o.draws; s++) {
    o.signal?.throwIfAborted();
    const { model: net } = await resample(model, populations, { size: o.size, means: o.means, svd: o.svd, scaled: o.scaled, seed: streamSeed(o.seed, STREAMS.resampledConnectivity, s) });
    try {
      if (o.retrain) await train(net, task, { ...o.retrain, signal: o.signal });
      accuracy[s] = await taskAccuracy(net, task, o.trials, streamSeed(o.seed, STREAMS.populationTrials));
    } finally {
      net.dispose();
    }
    o.onProgress?.({ draw: s + 1, draws: o.draws, accuracy: accuracy[s] });
  }
  const values = Array.from(accuracy);
  return { accuracy, mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}
