// The measures of seed 001 (trained against untrained networks): PCA of trajectories, principal angles between
// subspaces and with the readout, eigenvector centrality, non-normality through the Schur form, and the statistics
// of the weight change Delta W = W_trained - W_initial with the loss against its truncation rank.
import { crossProduct, factorInner, schur, svd } from '../core/linalg.js';
import { FullRankRNN, LowRankRNN, type AnyModel, type LossBatch, type LossOptions } from '../model/index.js';
import { lowRankFactors, truncatedMatrix, truncateWeights, type Truncation } from '../model/truncate.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';

/** Yields to the event loop (long loops in this file call it every few million operations). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function matrixArg(value: Tensor, name: string, square = false): { rows: number; cols: number; data: Float64Array } {
  checkTensor(value, name);
  if (value.shape.length !== 2 || (square && value.shape[0] !== value.shape[1])) {
    throw new RangeError(`${name} must be a ${square ? 'square ' : ''}matrix [${square ? 'N, N' : 'rows, cols'}]; got ${formatShape(value.shape)}`);
  }
  if (value.shape[0] < 1 || value.shape[1] < 1) throw new RangeError(`${name} must not be empty; got ${formatShape(value.shape)}`);
  return { rows: value.shape[0], cols: value.shape[1], data: Float64Array.from(value.data) };
}

// ---- PCA ----------------------------------------------------------------------------------------------------------

/** What {@link pca} returns: the mean, k principal axes with their variances, and the samples' scores. */
export interface Pca {
  /** The mean state [N]. */
  mean: Float64Array;
  /** Principal axes as columns [N, k], by decreasing variance; each sign makes its largest-magnitude entry positive. */
  components: Tensor<Float64Array>;
  /** Variance along each axis (sample variance, divided by samples - 1) [k]. */
  variance: Float64Array;
  /** variance / total variance [k]. */
  varianceRatio: Float64Array;
  /** Sum of the variances of all N coordinates. */
  totalVariance: number;
  /** The centred samples in the component basis, shaped like the input with N replaced by k. */
  scores: Tensor<Float64Array>;
}

/** PCA of samples [..., N] (e.g. simulate().states [B, T+1, N], all trials and steps pooled), through the SVD. */
export async function pca(data: Tensor, opts: { components?: number } = {}): Promise<Pca> {
  checkOptions<{ components?: number }>('pca', { components: is.integer(1) }, opts);
  checkTensor(data, 'data');
  if (data.shape.length < 2) throw new RangeError(`data must have shape [..., N] with at least one sample axis; got ${formatShape(data.shape)}`);
  const N = data.shape[data.shape.length - 1];
  const S = data.data.length / N;
  if (S < 2 || N < 1) throw new RangeError(`data needs at least 2 samples of at least 1 feature; got ${formatShape(data.shape)}`);
  const full = Math.min(S, N);
  const k = checkOptions<{ components?: number }>('pca', { components: is.integer(1, full) }, opts, { components: full }).components!;
  const mean = new Float64Array(N);
  for (let s = 0; s < S; s++) for (let i = 0; i < N; i++) mean[i] += data.data[s * N + i] / S;
  const centred = new Float64Array(S * N);
  let total = 0;
  for (let s = 0; s < S; s++)
    for (let i = 0; i < N; i++) {
      const c = data.data[s * N + i] - mean[i];
      centred[s * N + i] = c;
      total += (c * c) / (S - 1);
    }
  const { u, s: sv, v } = await svd(centred, S, N, k);
  const components = new Float64Array(N * k);
  const scores = new Float64Array(S * k);
  const variance = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let big = 0;
    for (let i = 0; i < N; i++) if (Math.abs(v[i * k + j]) > Math.abs(big)) big = v[i * k + j];
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < N; i++) components[i * k + j] = sign * v[i * k + j];
    for (let t = 0; t < S; t++) scores[t * k + j] = sign * u[t * k + j] * sv[j];
    variance[j] = (sv[j] * sv[j]) / (S - 1);
  }
  return {
    mean,
    components: { data: components, shape: [N, k] },
    variance,
    varianceRatio: variance.map((x) => (total > 0 ? x / total : 0)),
    totalVariance: total,
    scores: { data: scores, shape: [...data.shape.slice(0, -1), k] },
  };
}

// ---- principal angles -----------------------------------------------------------------------------------------------

/** An orthonormal basis (N x rank, row-major) of the span of a's columns; throws when they are dependent. */
async function orthonormalBasis(a: { rows: number; cols: number; data: Float64Array }, name: string): Promise<Float64Array> {
  if (a.cols > a.rows) throw new RangeError(`${name} has more columns (${a.cols}) than rows (${a.rows}); its columns cannot be independent`);
  const { u, s } = await svd(a.data, a.rows, a.cols, a.cols);
  if (!(s[a.cols - 1] > 1e-12 * s[0])) {
    throw new RangeError(`${name}'s columns are linearly dependent (smallest singular value ${s[a.cols - 1].toExponential(2)} of ${s[0].toExponential(2)})`);
  }
  return u;
}

/**
 * Principal angles (radians, ascending) between the column spans of a [N, p] and b [N, q]: min(p, q) values. Cosines
 * from the SVD of Qa^T Qb, and for angles below 45 degrees sines from the SVD of the part of one basis outside the
 * other's span (accurate for tiny angles; the method of scipy.linalg.subspace_angles, which lists them descending).
 */
export async function principalAngles(a: Tensor, b: Tensor): Promise<Float64Array> {
  const A = matrixArg(a, 'a'), B = matrixArg(b, 'b');
  if (A.rows !== B.rows) throw new RangeError(`a and b must have the same number of rows (the dimension); got ${A.rows} and ${B.rows}`);
  const N = A.rows;
  const [big, small] = A.cols >= B.cols ? [A, B] : [B, A];
  const qBig = await orthonormalBasis(big, big === A ? 'a' : 'b');
  const qSmall = await orthonormalBasis(small, small === A ? 'a' : 'b');
  const p = big.cols, q = small.cols;
  const cross = crossProduct(qBig, qSmall, N, p, q); // p x q
  const cosines = (await svd(cross, p, q, q)).s; // descending
  const outside = new Float64Array(N * q); // qSmall - qBig cross
  for (let i = 0; i < N; i++)
    for (let c = 0; c < q; c++) {
      let x = qSmall[i * q + c];
      for (let r = 0; r < p; r++) x -= qBig[i * p + r] * cross[r * q + c];
      outside[i * q + c] = x;
    }
  const sines = (await svd(outside, N, q, q)).s; // descending: sines[q - 1 - j] pairs with cosines[j]
  return Float64Array.from({ length: q }, (_, j) =>
    cosines[j] ** 2 >= 0.5 ? Math.asin(Math.min(1, sines[q - 1 - j])) : Math.acos(Math.min(1, cosines[j])),
  );
}

/** What {@link readoutAngles} returns, in radians. */
export interface ReadoutAngles {
  /** The angle between each readout vector (a column of wo diag(so)) and the subspace [O]. */
  perOutput: Float64Array;
  /** Principal angles between the span of the readout vectors and the subspace (ascending) [min(O, p)]. */
  principal: Float64Array;
}

/** Angles between a model's readout and a subspace [N, p] (e.g. pca(states).components). */
export async function readoutAngles(model: AnyModel, subspace: Tensor): Promise<ReadoutAngles> {
  const S = matrixArg(subspace, 'subspace');
  const N = model.size, O = model.outputSize;
  if (S.rows !== N) throw new RangeError(`subspace must have ${N} rows (the model's size); got ${formatShape(subspace.shape)}`);
  if (O < 1) throw new RangeError('model has no outputs, so no readout');
  const wo = model.param('wo').data, so = model.param('so').data;
  const readout = Float64Array.from({ length: N * O }, (_, i) => wo[i] * so[i % O]);
  const q = await orthonormalBasis(S, 'subspace');
  const p = S.cols;
  const perOutput = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    const proj = new Float64Array(p);
    for (let i = 0; i < N; i++) for (let r = 0; r < p; r++) proj[r] += q[i * p + r] * readout[i * O + o];
    let inside2 = 0, outside2 = 0;
    for (let r = 0; r < p; r++) inside2 += proj[r] ** 2;
    for (let i = 0; i < N; i++) {
      let x = readout[i * O + o];
      for (let r = 0; r < p; r++) x -= q[i * p + r] * proj[r];
      outside2 += x * x;
    }
    if (inside2 + outside2 === 0) throw new RangeError(`readout vector ${o} is zero`);
    perOutput[o] = Math.atan2(Math.sqrt(outside2), Math.sqrt(inside2));
  }
  return { perOutput, principal: await principalAngles({ data: readout, shape: [N, O] }, subspace) };
}

// ---- eigenvector centrality -----------------------------------------------------------------------------------------

/** Options of {@link eigenvectorCentrality}; defaults in {@link CENTRALITY_DEFAULTS}. */
export interface CentralityOptions {
  /**
   * 'in' (default): c_i proportional to sum_j A_ij c_j, with A_ij the weight from unit j to unit i (this package's
   * wrec rows are postsynaptic), so a unit is central when central units project onto it. 'out': c = A^T c.
   * networkx.eigenvector_centrality(networkx.from_numpy_array(W, create_using=DiGraph)) equals 'out' here,
   * because networkx reads W[i, j] as an edge i -> j.
   */
  direction?: 'in' | 'out';
  /** 'absolute' (default): A = |W|. 'as-is': W itself, which must be non-negative. */
  weights?: 'absolute' | 'as-is';
  /** Stop when max_i |c_new - c| < tolerance (default 1e-12). */
  tolerance?: number;
  /** Power iterations at most (default 100000). */
  maxIterations?: number;
}

/** The defaults of eigenvectorCentrality. */
export const CENTRALITY_DEFAULTS = Object.freeze({ direction: 'in' as const, weights: 'absolute' as const, tolerance: 1e-12, maxIterations: 100000 });

const CENTRALITY_RULES: Rules<CentralityOptions> = {
  direction: is.oneOf(['in', 'out']),
  weights: is.oneOf(['absolute', 'as-is']),
  tolerance: is.positive(),
  maxIterations: is.integer(1),
};

/** What {@link eigenvectorCentrality} returns. */
export interface Centrality {
  /** The Perron vector: non-negative, unit Euclidean norm (networkx's normalisation) [N]. */
  centrality: Float64Array;
  /** Its eigenvalue (the spectral radius of A). */
  eigenvalue: number;
  /** Power iterations taken. */
  iterations: number;
}

/** a[i * N + j]: the weight c_j contributes to c_i (|W| or W, rows or columns by direction). */
function adjacency(data: Float64Array, N: number, direction: 'in' | 'out', weights: 'absolute' | 'as-is'): Float64Array {
  const a = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const w = direction === 'in' ? data[i * N + j] : data[j * N + i];
      if (weights === 'as-is' && w < 0) throw new RangeError(`matrix must be non-negative with weights 'as-is'; entry [${direction === 'in' ? i : j}, ${direction === 'in' ? j : i}] is ${w} (use weights 'absolute')`);
      a[i * N + j] = Math.abs(w);
    }
  return a;
}

/**
 * Eigenvector centrality of a weighted directed graph with a non-negative adjacency A (N x N): the Perron vector,
 * by power iteration on A + I (networkx's shift, which converges also for periodic graphs).
 */
export async function eigenvectorCentrality(matrix: Tensor, opts: CentralityOptions = {}): Promise<Centrality> {
  const { direction, weights, tolerance, maxIterations } = checkOptions<CentralityOptions>('eigenvectorCentrality', CENTRALITY_RULES, opts, CENTRALITY_DEFAULTS) as Required<CentralityOptions>;
  const { rows: N, data } = matrixArg(matrix, 'matrix', true);
  const a = adjacency(data, N, direction, weights);
  let c = new Float64Array(N).fill(1 / Math.sqrt(N));
  let next = new Float64Array(N);
  const perYield = Math.max(1, Math.floor(4e6 / (N * N)));
  for (let it = 1; it <= maxIterations; it++) {
    let norm = 0;
    for (let i = 0; i < N; i++) {
      let s = c[i];
      for (let j = 0; j < N; j++) s += a[i * N + j] * c[j];
      next[i] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    let change = 0;
    for (let i = 0; i < N; i++) {
      next[i] /= norm;
      change = Math.max(change, Math.abs(next[i] - c[i]));
    }
    [c, next] = [next, c];
    if (change < tolerance) {
      let rayleigh = 0;
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += a[i * N + j] * c[j];
        rayleigh += c[i] * s;
      }
      return { centrality: c, eigenvalue: rayleigh, iterations: it };
    }
    if (it % perYield === 0) await yieldToEventLoop();
  }
  throw new RangeError(`eigenvectorCentrality: power iteration did not converge in ${maxIterations} iterations (tolerance ${tolerance}); raise maxIterations or tolerance`);
}

// ---- non-normality ------------------------------------------------------------------------------------------------

/** What {@link nonNormality} returns: measures of how far a square matrix A is from normal. */
export interface NonNormality {
  /** Henrici's departure from normality: |N|_F for A = U (D + N) U^H, the complex Schur form (= sqrt(|A|_F^2 - sum |lambda|^2)). */
  henrici: number;
  /** henrici / |A|_F (0 for normal matrices, at most 1). */
  relative: number;
  /** The seed's measure: the spectral norm of the strictly upper triangular part of the Schur factor T ('complex' or 'real' form). */
  strictUpperNorm2: number;
  /** |A|_F. */
  frobenius: number;
  /** The eigenvalues (diagonal of the complex Schur form) [N]. */
  eigenvalues: { re: Float64Array; im: Float64Array };
}

/** Spectral norm of the strictly upper triangular part of an n x n complex matrix, via its real 2n x 2n embedding. */
async function strictUpperSpectralNorm(re: Float64Array, im: Float64Array, n: number, complex: boolean): Promise<number> {
  if (n === 1) return 0;
  if (!complex) {
    const upper = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) upper[i * n + j] = re[i * n + j];
    return (await svd(upper, n, n, 1)).s[0];
  }
  // [[Re, -Im], [Im, Re]] has the singular values of Re + i Im, each twice.
  const m = 2 * n;
  const e = new Float64Array(m * m);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const r = re[i * n + j], c = im[i * n + j];
      e[i * m + j] = r;
      e[i * m + n + j] = -c;
      e[(n + i) * m + j] = c;
      e[(n + i) * m + n + j] = r;
    }
  return (await svd(e, m, m, 1)).s[0];
}

/**
 * How far a square matrix (e.g. wrec) is from normal, through its Schur decomposition. `form` picks the Schur form
 * of strictUpperNorm2: 'complex' (default) or 'real' (quasi-triangular, scipy.linalg.schur's default output).
 */
export async function nonNormality(matrix: Tensor, opts: { form?: 'complex' | 'real' } = {}): Promise<NonNormality> {
  const { form } = checkOptions<{ form?: 'complex' | 'real' }>('nonNormality', { form: is.oneOf(['complex', 'real']) }, opts, { form: 'complex' as const });
  const { rows: n, data } = matrixArg(matrix, 'matrix', true);
  const complex = await schur(data, n, 'complex');
  let strict2 = 0, frob2 = 0;
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    re[i] = complex.t.re[i * n + i];
    im[i] = complex.t.im[i * n + i];
    for (let j = i + 1; j < n; j++) strict2 += complex.t.re[i * n + j] ** 2 + complex.t.im[i * n + j] ** 2;
  }
  for (const x of data) frob2 += x * x;
  const t = form === 'complex' ? complex.t : (await schur(data, n, 'real')).t;
  const henrici = Math.sqrt(strict2);
  return {
    henrici,
    relative: frob2 > 0 ? henrici / Math.sqrt(frob2) : 0,
    strictUpperNorm2: await strictUpperSpectralNorm(t.re, t.im, n, form === 'complex'),
    frobenius: Math.sqrt(frob2),
    eigenvalues: { re, im },
  };
}

// ---- weight change ------------------------------------------------------------------------------------------------

/** Options of {@link weightChange}. */
export interface WeightChangeOptions {
  /** Evaluates the loss with the recurrent weights W_initial + (Delta W truncated to each rank). */
  batch?: LossBatch;
  /** Truncation ranks (default 0..min(10, rank of Delta W)). */
  ranks?: number[];
  /** Loss options; noise defaults to false here so that the losses are comparable. */
  loss?: LossOptions;
}

const WEIGHT_CHANGE_RULES: Rules<WeightChangeOptions> = {
  batch: is.object('a batch { inputs, targets, mask? }'),
  ranks: is.custom('an array of ranks', Array.isArray),
  loss: is.object(),
};

/**
 * What {@link weightChange} returns: the learning-induced change Delta W = W_trained - W_initial of the recurrent
 * weights (Delta J for low-rank nets), its spectrum and size, and with a batch the loss against its truncation rank.
 */
export interface WeightChange {
  /** Singular values of Delta W, descending (N for full-rank nets, 2R for rank-R nets, whose Delta J has rank <= 2R). */
  singularValues: Float64Array;
  /** |Delta W|_F and |Delta W|_F / |W_initial|_F. */
  frobenius: number;
  /** See `frobenius`. */
  relative: number;
  /** (sum s^2)^2 / sum s^4: the effective number of dimensions of Delta W. */
  participationRatio: number;
  /** Means of the entries of W_initial, W_trained and Delta W (seed 001, Fig. 4). */
  meanInitial: number;
  /** See `meanInitial`. */
  meanTrained: number;
  /** See `meanInitial`. */
  meanChange: number;
  /** With a batch: the loss of the trained net with W_initial + Delta W_k for each rank k, and of both nets. */
  truncation?: { ranks: Int32Array; loss: Float64Array; lossInitial: number; lossTrained: number };
}

/** Delta W (or Delta J = (m1 n1^T - m0 n0^T) / N) as its SVD, with the facts about W_initial the measures need. */
interface RecurrentChange {
  /** Delta W = U S V^T of rank k (truncatedMatrix adds W_initial back for full-rank nets). */
  change: Truncation;
  frobInitial: number;
  means: [number, number];
}

function checkPair(initial: AnyModel, trained: AnyModel): void {
  const kind = (m: AnyModel) => (m instanceof LowRankRNN ? 'lowrank' : m instanceof FullRankRNN ? 'fullrank' : null);
  if (!kind(initial)) throw new TypeError('initial must be a LowRankRNN or FullRankRNN');
  if (!kind(trained)) throw new TypeError('trained must be a LowRankRNN or FullRankRNN');
  if (kind(initial) !== kind(trained) || initial.size !== trained.size) {
    throw new RangeError(`initial and trained must be the same kind and size; got a ${initial.config.kind} net of ${initial.size} and a ${trained.config.kind} net of ${trained.size}`);
  }
  if (initial instanceof LowRankRNN && trained instanceof LowRankRNN && initial.rank !== trained.rank) {
    throw new RangeError(`initial and trained must have the same rank; got ${initial.rank} and ${trained.rank}`);
  }
}

function meanOfLowRank(m: ArrayLike<number>, n: ArrayLike<number>, N: number, R: number): number {
  let s = 0;
  for (let r = 0; r < R; r++) {
    let sm = 0, sn = 0;
    for (let i = 0; i < N; i++) {
      sm += m[i * R + r];
      sn += n[i * R + r];
    }
    s += sm * sn;
  }
  return s / (N * N * N);
}

/** The leading k singular triplets of a truncation (its rank-k truncation). */
function leading(t: Truncation, k: number): Truncation {
  const { size: N, rank: R } = t;
  const columns = (a: Float64Array) => Float64Array.from({ length: N * k }, (_, x) => a[Math.floor(x / k) * R + (x % k)]);
  return { size: N, rank: k, u: columns(t.u), s: t.s.slice(0, k), v: columns(t.v), base: t.base };
}

async function fullRankChange(initial: FullRankRNN, trained: FullRankRNN): Promise<RecurrentChange> {
  const N = initial.size;
  const w0 = initial.param('wrec').data, w1 = trained.param('wrec').data;
  const change = await truncateWeights(w1, N, N, { relativeTo: w0, where: 'weightChange' });
  let sum0 = 0, sum1 = 0, frob2 = 0;
  for (let i = 0; i < N * N; i++) {
    sum0 += w0[i];
    sum1 += w1[i];
    frob2 += w0[i] * w0[i];
  }
  return { change, frobInitial: Math.sqrt(frob2), means: [sum0 / (N * N), sum1 / (N * N)] };
}

// Delta J = (m1 n1^T - m0 n0^T) / N = A B^T with A = [m1, -m0] / N and B = [n1, n0] (N x 2R); with A = U S V^T,
// Delta J = U (S V^T B^T) and the SVD of the 2R x N core gives the singular triplets in O(N R^2).
async function lowRankChange(initial: LowRankRNN, trained: LowRankRNN): Promise<RecurrentChange> {
  const N = initial.size, R = initial.rank, K = 2 * R;
  const m0 = initial.param('m').data, n0 = initial.param('n').data, m1 = trained.param('m').data, n1 = trained.param('n').data;
  const a = new Float64Array(N * K), b = new Float64Array(N * K);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < R; r++) {
      a[i * K + r] = m1[i * R + r] / N;
      a[i * K + R + r] = -m0[i * R + r] / N;
      b[i * K + r] = n1[i * R + r];
      b[i * K + R + r] = n0[i * R + r];
    }
  const k = Math.min(K, N);
  const A = await svd(a, N, K, k);
  const core = new Float64Array(k * N); // S V^T B^T
  for (let p = 0; p < k; p++)
    for (let i = 0; i < N; i++) {
      let x = 0;
      for (let c = 0; c < K; c++) x += A.v[c * k + p] * b[i * K + c];
      core[p * N + i] = A.s[p] * x;
    }
  const C = await svd(core, k, N, k);
  const u = new Float64Array(N * k);
  for (let i = 0; i < N; i++) for (let j = 0; j < k; j++) for (let p = 0; p < k; p++) u[i * k + j] += A.u[i * k + p] * C.u[p * k + j];
  return {
    change: { size: N, rank: k, u, s: C.s, v: C.v },
    frobInitial: Math.sqrt(factorInner(m0, n0, m0, n0, N, R, R)) / N, // |m0 n0^T / N|_F
    means: [meanOfLowRank(m0, n0, N, R), meanOfLowRank(m1, n1, N, R)],
  };
}

/**
 * The trained net with recurrent weights W_initial + Delta W truncated to rank k (its other parameters and options
 * kept, in double precision). No Dale signs, mask or autapse removal: the truncated matrix is evaluated as it is.
 */
function truncatedModel(initial: AnyModel, trained: AnyModel, c: RecurrentChange, k: number): AnyModel {
  if (initial instanceof FullRankRNN) {
    const wrec = k === 0 ? Float64Array.from(initial.param('wrec').data) : truncatedMatrix(leading(c.change, k));
    return (trained as FullRankRNN).with({ dale: undefined, mask: undefined, noAutapse: false, dtype: 'float64', params: { wrec } });
  }
  // m' n'^T / N = m0 n0^T / N + U_k S_k V_k^T with m' = [m0, U_k S_k sqrt(N)], n' = [n0, V_k sqrt(N)].
  const N = initial.size, R = (initial as LowRankRNN).rank, R2 = R + k;
  const extra = k > 0 ? lowRankFactors(leading(c.change, k)) : { m: new Float64Array(0), n: new Float64Array(0) };
  const join = (a: ArrayLike<number>, b: Float64Array) =>
    Float64Array.from({ length: N * R2 }, (_, x) => {
      const i = Math.floor(x / R2), r = x % R2;
      return r < R ? a[i * R + r] : b[i * k + r - R];
    });
  const m = join(initial.param('m').data, extra.m), n = join(initial.param('n').data, extra.n);
  return (trained as LowRankRNN).with({ rank: R2, noAutapse: false, dtype: 'float64', params: { m, n } });
}

/**
 * Statistics of the learning-induced change of the recurrent weights (Schuessler et al. 2020: low rank, small) and,
 * with a batch, the loss against the truncation rank of Delta W (the other parameters are the trained net's).
 */
export async function weightChange(initial: AnyModel, trained: AnyModel, opts: WeightChangeOptions = {}): Promise<WeightChange> {
  const o = checkOptions<WeightChangeOptions>('weightChange', WEIGHT_CHANGE_RULES, opts);
  checkPair(initial, trained);
  const change = initial instanceof FullRankRNN ? await fullRankChange(initial, trained as FullRankRNN) : await lowRankChange(initial as LowRankRNN, trained as LowRankRNN);
  const s = change.change.s;
  let s2 = 0, s4 = 0;
  for (const x of s) {
    s2 += x * x;
    s4 += x ** 4;
  }
  const frobenius = Math.sqrt(s2);
  const out: WeightChange = {
    singularValues: s,
    frobenius,
    relative: change.frobInitial > 0 ? frobenius / change.frobInitial : Infinity,
    participationRatio: s4 > 0 ? (s2 * s2) / s4 : 0,
    meanInitial: change.means[0],
    meanTrained: change.means[1],
    meanChange: change.means[1] - change.means[0],
  };
  if (!o.batch) return out;
  const K = change.change.rank;
  const ranks = o.ranks ?? Array.from({ length: Math.min(10, K) + 1 }, (_, i) => i);
  checkValue('weightChange', 'ranks', ranks, is.arrayOf(is.integer(0, K), `an array of integers in [0, ${K}]`));
  const lossOpts: LossOptions = { drawNoise: false, ...o.loss };
  const loss = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) {
    const model = truncatedModel(initial, trained, change, ranks[i]);
    try {
      loss[i] = await model.loss(o.batch, lossOpts);
    } finally {
      model.dispose();
    }
  }
  out.truncation = {
    ranks: Int32Array.from(ranks),
    loss,
    lossInitial: await initial.loss(o.batch, lossOpts),
    lossTrained: await trained.loss(o.batch, lossOpts),
  };
  return out;
}
