// LINT metrics: R² between trajectories (global, as sklearn's r2_score on the raveled arrays, and per neuron) and
// the connectivity correlations CC and ECC of lint_reference.md §5, computed from the factors in O(N² R) at most
// (O(N R²) for two low-rank nets): the N x N matrices are never formed for low-rank nets.
import { crossProduct, factorInner, matmul, median, thinQr } from '../core/linalg.js';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../model/index.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';

/** Options of {@link trajectoryR2}. */
export interface R2Options {
  /** [B, T] (or [B, T, N]): only entries where the mask is non-zero count (e.g. to skip a free pre-period). */
  mask?: Tensor;
}

/** What {@link trajectoryR2} returns: R² over everything and per neuron. */
export interface TrajectoryR2 {
  /** 1 - SS_res / SS_tot over every trial, step and neuron (sklearn r2_score of the raveled arrays). */
  global: number;
  /** R² of each neuron over trials and steps (sklearn r2_score per column), length N. */
  perNeuron: Float64Array;
  /** The mean of `perNeuron`. */
  perNeuronMean: number;
  /** The median of `perNeuron`. */
  perNeuronMedian: number;
}

/** sklearn's convention for a constant reference: 1 when the prediction is exact, 0 otherwise (force_finite). */
function r2FromSums(ssRes: number, ssTot: number): number {
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

function maskWeights(mask: Tensor | undefined, shape: number[], name: string): ((flat: number) => boolean) | undefined {
  if (!mask) return undefined;
  const [B, T, N] = shape;
  if (mask.shape.length === 3) {
    checkTensor(mask, name, [B, T, N]);
    return (flat) => mask.data[flat] !== 0;
  }
  checkTensor(mask, name, [B, T]);
  return (flat) => mask.data[Math.floor(flat / N)] !== 0;
}

/**
 * R² of `predicted` against `reference` (both [B, T, N], or any equal shapes whose last axis is the neurons). The
 * global value is one number over everything, as the LINT code reports it; per-neuron values treat each neuron as
 * a column over trials and time (mean and median: the median is the robust summary, the mean is driven by outliers).
 */
export function trajectoryR2(reference: Tensor, predicted: Tensor, opts: R2Options = {}): TrajectoryR2 {
  checkTensor(reference, 'reference');
  checkTensor(predicted, 'predicted');
  if (reference.shape.length < 2 || reference.shape.join() !== predicted.shape.join()) {
    throw new RangeError(
      `reference and predicted must have the same shape [..., neurons]; got ${formatShape(reference.shape)} and ${formatShape(predicted.shape)}`,
    );
  }
  const N = reference.shape[reference.shape.length - 1];
  const shape3 = reference.shape.length === 3 ? reference.shape : [1, reference.data.length / N, N];
  const keep = maskWeights(opts.mask, shape3, 'mask');
  const y = reference.data;
  const p = predicted.data;
  const count = new Float64Array(N);
  const sum = new Float64Array(N);
  let total = 0;
  let grand = 0;
  for (let i = 0; i < y.length; i++) {
    if (keep && !keep(i)) continue;
    const j = i % N;
    count[j] += 1;
    sum[j] += y[i];
    total += 1;
    grand += y[i];
  }
  if (total === 0) throw new RangeError('mask selects no entries; R² needs at least one');
  const meanAll = grand / total;
  const mean = sum.map((s, j) => (count[j] > 0 ? s / count[j] : 0));
  const ssRes = new Float64Array(N);
  const ssTot = new Float64Array(N);
  let ssResAll = 0;
  let ssTotAll = 0;
  for (let i = 0; i < y.length; i++) {
    if (keep && !keep(i)) continue;
    const j = i % N;
    const e = y[i] - p[i];
    ssRes[j] += e * e;
    ssTot[j] += (y[i] - mean[j]) ** 2;
    ssResAll += e * e;
    ssTotAll += (y[i] - meanAll) ** 2;
  }
  const perNeuron = new Float64Array(N);
  for (let j = 0; j < N; j++) perNeuron[j] = r2FromSums(ssRes[j], ssTot[j]);
  return {
    global: r2FromSums(ssResAll, ssTotAll),
    perNeuron,
    perNeuronMean: perNeuron.reduce((a, b) => a + b, 0) / N,
    perNeuronMedian: median(perNeuron),
  };
}


/** A connectivity J as factors (J = m n^T, up to a positive scale) or as the dense N x N matrix. */
interface Factors {
  size: number;
  rank: number;
  m: Float64Array;
  n: Float64Array;
}
interface Dense {
  size: number;
  dense: Float64Array;
}
type Connectivity = Factors | Dense;

function connectivityOf(model: AnyModel, name: string): Connectivity {
  if (model instanceof LowRankRNN) {
    return { size: model.size, rank: model.rank, m: Float64Array.from(model.param('m').data), n: Float64Array.from(model.param('n').data) };
  }
  if (model instanceof FullRankRNN) return { size: model.size, dense: Float64Array.from(model.param('wrec').data) };
  throw new TypeError(`${name} must be a LowRankRNN or a FullRankRNN`);
}

/** <W, m n^T> = sum_r m_r^T W n_r */
function denseWithFactors(w: Float64Array, f: Factors): number {
  const N = f.size;
  const R = f.rank;
  let s = 0;
  for (let i = 0; i < N; i++)
    for (let r = 0; r < R; r++) {
      let wn = 0;
      for (let j = 0; j < N; j++) wn += w[i * N + j] * f.n[j * R + r];
      s += f.m[i * R + r] * wn;
    }
  return s;
}

/** The Frobenius inner product <A, B> of two connectivities of the same size. */
function frobenius(a: Connectivity, b: Connectivity): number {
  if ('dense' in a && 'dense' in b) {
    let s = 0;
    for (let i = 0; i < a.dense.length; i++) s += a.dense[i] * b.dense[i];
    return s;
  }
  if ('dense' in a) return denseWithFactors(a.dense, b as Factors);
  if ('dense' in b) return denseWithFactors(b.dense, a);
  return factorInner(a.m, a.n, b.m, b.n, a.size, a.rank, b.rank);
}

function cosine(a: Connectivity, b: Connectivity): number {
  if (a.size !== b.size) {
    throw new RangeError(`the two networks must have the same size to compare connectivities; got ${a.size} and ${b.size}`);
  }
  const ab = frobenius(a, b);
  const denom = Math.sqrt(frobenius(a, a) * frobenius(b, b));
  return denom > 0 ? ab / denom : NaN;
}

/**
 * CC: the cosine similarity (uncentred) between two connectivity matrices, flattened: m n^T for low-rank nets,
 * wrec for full-rank nets (the 1/N of the low-rank form does not change a cosine). Sizes must match.
 */
export function connectivityCorrelation(a: AnyModel, b: AnyModel): number {
  return cosine(connectivityOf(a, 'a'), connectivityOf(b, 'b'));
}

/**
 * The effective connectivity of a low-rank net: each n_r replaced by its orthogonal projection on
 * span{m_1..m_R, wi_1..wi_K} (the part of n that the latent dynamics depend on). Returns the factors m and n_eff
 * ([N, R] each), so J_eff = m n_eff^T / N.
 */
export function effectiveConnectivity(model: LowRankRNN): { m: Float64Array; nEff: Float64Array } {
  if (!(model instanceof LowRankRNN)) {
    throw new TypeError('effectiveConnectivity needs a LowRankRNN (for a full-rank net, take a low-rank fit or its SVD truncation first)');
  }
  const N = model.size;
  const R = model.rank;
  const K = model.inputSize;
  const m = Float64Array.from(model.param('m').data);
  const n = Float64Array.from(model.param('n').data);
  const wi = model.param('wi').data; // [K, N]
  const D = R + K;
  const span = new Float64Array(N * D); // columns: m_1..m_R, wi_1..wi_K (the Gram-Schmidt order of the reference)
  for (let i = 0; i < N; i++) {
    for (let r = 0; r < R; r++) span[i * D + r] = m[i * R + r];
    for (let k = 0; k < K; k++) span[i * D + R + k] = wi[k * N + i];
  }
  const { q } = thinQr(span, N, D);
  const coeff = crossProduct(q, n, N, D, R); // Q^T n, D x R
  return { m, nEff: matmul(q, coeff, N, D, R) };
}

/** ECC: the cosine similarity between the effective connectivities of two low-rank nets (correct for any rank). */
export function effectiveConnectivityCorrelation(a: LowRankRNN, b: LowRankRNN): number {
  const ea = effectiveConnectivity(a);
  const eb = effectiveConnectivity(b);
  return cosine({ size: a.size, rank: a.rank, m: ea.m, n: ea.nEff }, { size: b.size, rank: b.rank, m: eb.m, n: eb.nEff });
}
