// Cluster statistics of a connectivity space: the adjusted Rand index, bootstrap stability of a mixture's labels,
// ePAIRS (Hirokawa et al. 2019: are the neurons' directions more clustered than a Gaussian's?) and kurtosis per
// column.
import { svd } from '../core/linalg.js';
import { native } from '../native/load.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkCount } from '../core/size.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { fitMixture, type MixtureOptions } from './mixture.js';
import { covarianceFactor, populationStatistics } from './resample.js';

function checkSpace(space: Tensor, where: string, minRows = 2): [number, number] {
  const ok = space !== null && typeof space === 'object' && Array.isArray(space.shape) && space.shape.length === 2 && space.shape[0] >= minRows && space.shape[1] >= 1 && space.data?.length === space.shape[0] * space.shape[1];
  if (!ok) throw new RangeError(`${where}: argument 'space' must be a [N, D] tensor with N >= ${minRows}; got shape ${space?.shape ? `[${space.shape.join(', ')}]` : String(space)}`);
  const bad = space.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${where}: argument 'space' holds ${space.data[bad]} at flat index ${bad}; all values must be finite`);
  return [space.shape[0], space.shape[1]];
}

/**
 * The adjusted Rand index of two labelings of the same items (Hubert & Arabie 1985), as scikit-learn's
 * adjusted_rand_score computes it (from the pair confusion matrix; 1 for identical partitions up to renaming).
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkValue('adjustedRandIndex', 'a', a, is.numbers(), 'argument');
  checkValue('adjustedRandIndex', 'b', b, is.numbers(), 'argument');
  if (a.length !== b.length) throw new RangeError(`adjustedRandIndex: the labelings must have one length; got ${a.length} and ${b.length}`);
  const n = a.length;
  const table = new Map<string, number>(), rows = new Map<number, number>(), cols = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  const sumSq = (m: Map<unknown, number>) => [...m.values()].reduce((s, v) => s + v * v, 0);
  const nij2 = sumSq(table);
  const tp = nij2 - n;
  const fp = sumSq(cols) - nij2;
  const fn = sumSq(rows) - nij2;
  const tn = n * n - fp - fn - nij2;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/** The excess kurtosis (Fisher, biased: m4 / m2^2 - 3, scipy.stats.kurtosis's default) of each column of [N, D]. */
export function columnKurtosis(space: Tensor): Float64Array {
  const [N, D] = checkSpace(space, 'columnKurtosis');
  const out = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let mean = 0;
    for (let i = 0; i < N; i++) mean += space.data[i * D + d] / N;
    let m2 = 0, m4 = 0;
    for (let i = 0; i < N; i++) {
      const e = (space.data[i * D + d] - mean) ** 2;
      m2 += e / N;
      m4 += (e * e) / N;
    }
    out[d] = m2 === 0 ? Number.NaN : m4 / (m2 * m2) - 3;
  }
  return out;
}

/** Centred, rotated to the covariance eigenbasis, each axis scaled to unit variance, each row normalised to length 1. */
async function whitenedDirections(x: Float64Array, N: number, D: number): Promise<Float64Array> {
  const { means: { data: mean }, covariances: { data: cov } } = populationStatistics({ data: x, shape: [N, D] }, new Int32Array(N));
  const { u, s } = await svd(cov, D, D, D);
  if (s[D - 1] <= 1e-12 * s[0]) throw new RangeError(`epairs: the columns of the space are linearly dependent (covariance eigenvalue ${s[D - 1]}); drop a constant or duplicated column`);
  const out = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    let norm = 0;
    for (let c = 0; c < D; c++) {
      let v = 0;
      for (let a = 0; a < D; a++) v += (x[i * D + a] - mean[a]) * u[a * D + c];
      v /= Math.sqrt(s[c]);
      out[i * D + c] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (let c = 0; c < D; c++) out[i * D + c] /= norm;
  }
  return out;
}

/** Per point, arccos of the mean cosine similarity to its k nearest neighbours (largest cosines): native, brute force. */
async function neighbourAngles(dirs: Float64Array, N: number, D: number, k: number, threads: number): Promise<Float64Array> {
  const { values } = await native().binding.meanTopCosines(dirs, N, D, k, threads);
  return values.map((c) => Math.acos(Math.min(1, Math.max(-1, c))));
}

function median(a: Float64Array): number {
  const s = Float64Array.from(a).sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The complementary error function (Numerical Recipes' erfc approximation, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** The Wilcoxon rank-sum test (scipy.stats.ranksums: normal approximation, no tie correction): statistic and two-sided p. */
export function rankSums(x: ArrayLike<number>, y: ArrayLike<number>): { statistic: number; pvalue: number } {
  checkValue('rankSums', 'x', x, is.numbers(), 'argument');
  checkValue('rankSums', 'y', y, is.numbers(), 'argument');
  const n1 = x.length, n2 = y.length;
  const all = [...Array.from(x, (v) => [v, 0] as const), ...Array.from(y, (v) => [v, 1] as const)].sort((a, b) => a[0] - b[0]);
  let sumX = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let q = i; q <= j; q++) if (all[q][1] === 0) sumX += rank;
    i = j + 1;
  }
  const expected = (n1 * (n1 + n2 + 1)) / 2;
  const z = (sumX - expected) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return { statistic: z, pvalue: erfc(Math.abs(z) / Math.SQRT2) };
}

/** Options of {@link epairs}; defaults in {@link EPAIRS_DEFAULTS}. */
export interface EpairsOptions {
  /** Nearest neighbours per point (default 3, the reference's). */
  neighbours?: number;
  /** Gaussian null data sets (default 100; the reference draws 500, which costs 5x more for the same conclusion). */
  nullDraws?: number;
  /** Seed of the null data (default 0). */
  seed?: number;
  /** CPU threads of the neighbour search (default 0: all cores); the result does not depend on it. */
  threads?: number;
}

/** The defaults of {@link epairs}. */
export const EPAIRS_DEFAULTS = Object.freeze({ neighbours: 3, nullDraws: 100, seed: 0, threads: 0 });
const EPAIRS_RULES: Rules<EpairsOptions> = { neighbours: is.integer(1), nullDraws: is.repeats(), seed: is.seed(), threads: is.threads() };

/** What {@link epairs} returns. */
export interface EpairsResult {
  /** [N] each point's angle (radians) to its nearest neighbours, in the whitened space. */
  angles: Float64Array;
  /** Median of the data angles. */
  median: number;
  /** Median and standard deviation of the null angles (all null draws pooled). */
  nullMedian: number;
  nullStd: number;
  /** (nullMedian - median) / nullStd: positive when the data is more clustered than a Gaussian. */
  effectSize: number;
  /** Two-sided Wilcoxon rank-sum p-value, data angles against the pooled null angles. */
  pvalue: number;
}

/**
 * ePAIRS (elliptical projection angle index of response similarity; Hirokawa et al. 2019), as the populations code
 * runs it: whiten the space (centre, rotate to the covariance eigenbasis, unit variance per axis), take each point's
 * angle to its nearest neighbours (arccos of the mean cosine to the `neighbours` closest), and compare with
 * `nullDraws` Gaussian data sets of the same size and variances (whitened the same way).
 * The neighbour search is native (blocked products, O(N^2 D) per data set).
 */
export async function epairs(space: Tensor, opts: EpairsOptions = {}): Promise<EpairsResult> {
  const o = checkOptions('epairs', EPAIRS_RULES, opts, EPAIRS_DEFAULTS) as Required<EpairsOptions>;
  const [N, D] = checkSpace(space, 'epairs', 3);
  if (o.neighbours >= N) throw new RangeError(`epairs: option 'neighbours' must be below the ${N} points; got ${o.neighbours}`);
  const angles = await neighbourAngles(await whitenedDirections(Float64Array.from(space.data), N, D), N, D, o.neighbours, o.threads);
  checkCount('epairs', 'nullDraws', o.nullDraws, { values: N, what: `null data sets x ${N} neurons float64` });
  const pooled = new Float64Array(N * o.nullDraws);
  for (let b = 0; b < o.nullDraws; b++) {
    const rng = new Random(streamSeed(o.seed, STREAMS.populationNull, b));
    const x = rng.fillNormal(new Float64Array(N * D));
    pooled.set(await neighbourAngles(await whitenedDirections(x, N, D), N, D, o.neighbours, o.threads), b * N);
  }
  const nullMean = pooled.reduce((s, v) => s + v, 0) / pooled.length;
  const nullStd = Math.sqrt(pooled.reduce((s, v) => s + (v - nullMean) ** 2, 0) / pooled.length);
  const med = median(angles), nullMedian = median(pooled);
  return { angles, median: med, nullMedian, nullStd, effectSize: (nullMedian - med) / nullStd, pvalue: rankSums(angles, pooled).pvalue };
}

/** Options of {@link stability}; defaults in {@link STABILITY_DEFAULTS}. */
export interface StabilityOptions {
  /** K, the mixture's components. */
  components: number;
  /** The mixture options of each fit (method, covariance, restarts, priors...). */
  mixture?: Omit<MixtureOptions, 'components' | 'seed' | 'signal'>;
  /** Bootstrap subsamples (default 20, the reference's). */
  bootstraps?: number;
  /** The share of neurons in each subsample, drawn without replacement (default 0.8). */
  fraction?: number;
  /** 'gaussian' (default): the same on Gaussian data with the space's mean and covariance, a structureless null; 'none'. */
  null?: 'gaussian' | 'none';
  /** Seed of the subsamples, the fits and the null data (default 0). */
  seed?: number;
  /** Stops between fits. */
  signal?: AbortSignal;
  /**
   * After each bootstrap fit, on the data then on the null: the adjusted Rand indices of every pair of the fits
   * finished so far on that stage (what a Ctrl-C keeps).
   */
  onProgress?: (p: { stage: 'data' | 'null'; bootstrap: number; bootstraps: number; ari: Float64Array }) => void;
}

/** The defaults of {@link stability}. */
export const STABILITY_DEFAULTS = Object.freeze({ bootstraps: 20, fraction: 0.8, null: 'gaussian' as const, seed: 0 });
const STABILITY_RULES: Rules<StabilityOptions> = {
  components: is.integer(1),
  mixture: is.object('mixture options'),
  bootstraps: is.repeats(2),
  fraction: is.number(0, 1, { minOpen: true }),
  null: is.oneOf(['gaussian', 'none']),
  seed: is.seed(),
  signal: is.signal(),
  onProgress: is.function(),
};

/** What {@link stability} returns. */
export interface StabilityResult {
  /** The adjusted Rand index of every pair of bootstrap fits, on the neurons the two subsamples share. */
  ari: Float64Array;
  /** Mean of `ari`. */
  meanAri: number;
  /** The same on the null data (absent with null 'none'). */
  nullAri?: Float64Array;
  nullMeanAri?: number;
  /** (meanAri - nullMeanAri) / std(nullAri). */
  zScore?: number;
}

type BootstrapFit = { rows: number[]; labels: Int32Array };

/** The adjusted Rand index of every pair (a < b, a first) of `fits`, on the neurons the two share. */
function pairAris(fits: readonly BootstrapFit[]): Float64Array {
  const out: number[] = [];
  for (let a = 0; a < fits.length; a++)
    for (let b = a + 1; b < fits.length; b++) {
      const pos = new Map(fits[b].rows.map((r, i) => [r, i]));
      const la: number[] = [], lb: number[] = [];
      fits[a].rows.forEach((r, i) => {
        const j = pos.get(r);
        if (j !== undefined) (la.push(fits[a].labels[i]), lb.push(fits[b].labels[j]));
      });
      out.push(adjustedRandIndex(la, lb));
    }
  return Float64Array.from(out);
}

async function bootstrapAris(x: Tensor, N: number, D: number, o: StabilityOptions, stream: number): Promise<Float64Array> {
  const B = o.bootstraps!, size = Math.max(o.components, Math.round(o.fraction! * N));
  const fits: BootstrapFit[] = [];
  for (let b = 0; b < B; b++) {
    o.signal?.throwIfAborted();
    const rows = new Random(streamSeed(o.seed!, STREAMS.bootstrapSubsample, stream, b)).sampleIndices(N, size).sort((p, q) => p - q);
    const sub = new Float64Array(size * D);
    rows.forEach((r, i) => sub.set(x.data.subarray(r * D, (r + 1) * D), i * D));
    const fit = await fitMixture({ data: sub, shape: [size, D] }, { ...o.mixture, components: o.components, seed: streamSeed(o.seed!, STREAMS.bootstrapSubsample, stream, b, 1) % 2 ** 31 });
    fits.push({ rows, labels: fit.labels });
    if (o.onProgress && b + 1 < B) o.onProgress({ stage: stream === 0 ? 'data' : 'null', bootstrap: b + 1, bootstraps: B, ari: pairAris(fits) });
  }
  const ari = pairAris(fits);
  o.onProgress?.({ stage: stream === 0 ? 'data' : 'null', bootstrap: B, bootstraps: B, ari });
  return ari;
}

/**
 * Bootstrap stability of a K-component mixture on `space` ([N, D]): it fits `bootstraps` subsamples of `fraction` N
 * neurons, the adjusted Rand index of every pair on the neurons they share, against the same on structureless
 * Gaussian data with the space's covariance (a stable clustering scores well above its null).
 */
export async function stability(space: Tensor, opts: StabilityOptions): Promise<StabilityResult> {
  const o = checkOptions('stability', STABILITY_RULES, opts, STABILITY_DEFAULTS) as StabilityOptions & typeof STABILITY_DEFAULTS;
  const [N, D] = checkSpace(space, 'stability');
  checkValue('stability', 'components', o.components, is.integer(1, N));
  const ari = await bootstrapAris(space, N, D, o, 0);
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const result: StabilityResult = { ari, meanAri: mean(ari) };
  if (o.null === 'gaussian') {
    const { means: { data: mu }, covariances: { data: cov } } = populationStatistics(space, new Int32Array(N));
    const L = await covarianceFactor(cov, D);
    const rng = new Random(streamSeed(o.seed, STREAMS.populationNull));
    const z = new Float64Array(D), nul = new Float64Array(N * D);
    for (let i = 0; i < N; i++) {
      rng.fillNormal(z);
      for (let a = 0; a < D; a++) {
        let val = mu[a];
        for (let c = 0; c < D; c++) val += L[a * D + c] * z[c];
        nul[i * D + a] = val;
      }
    }
    const nullAri = await bootstrapAris({ data: nul, shape: [N, D] }, N, D, o, 1);
    const nm = mean(nullAri);
    const sd = Math.sqrt(nullAri.reduce((s2, val) => s2 + (val - nm) ** 2, 0) / nullAri.length);
    Object.assign(result, { nullAri, nullMeanAri: nm, zScore: sd > 0 ? (result.meanAri - nm) / sd : Number.NaN });
  }
  return result;
}
