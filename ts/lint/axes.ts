// The axes a LINT fit gives for dimensionality reduction: the connectivity vectors m_r and the input vectors
// I_k = si_k wi_k, and the latent variables of the low-rank theory, x(t) = sum_r kappa_r(t) m_r + sum_k v_k(t) I_k
// (+ a residual orthogonal to both that decays with time constant tau), read off trajectories by least squares.
import { thinQr } from '../linalg.js';
import { LowRankRNN } from '../models.js';
import { checkTensor, formatShape, type Tensor } from '../tensor.js';

export interface LatentAxes {
  /** [N, R + K]: columns m_1..m_R, then I_1..I_K. */
  vectors: Tensor<Float64Array>;
  /** [N, R + K]: an orthonormal basis of the same span, by Gram-Schmidt in that order. */
  orthonormal: Tensor<Float64Array>;
  rank: number;
  inputs: number;
}

/** The m and input axes of a low-rank net. */
export function latentAxes(model: LowRankRNN): LatentAxes {
  if (!(model instanceof LowRankRNN)) throw new TypeError('latentAxes needs a LowRankRNN');
  const N = model.size;
  const R = model.rank;
  const K = model.inputSize;
  const m = model.param('m').data;
  const wi = model.param('wi').data;
  const si = model.param('si').data;
  const D = R + K;
  const v = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let r = 0; r < R; r++) v[i * D + r] = m[i * R + r];
    for (let k = 0; k < K; k++) v[i * D + R + k] = si[k] * wi[k * N + i];
  }
  return { vectors: { data: v, shape: [N, D] }, orthonormal: { data: thinQr(v, N, D).q, shape: [N, D] }, rank: R, inputs: K };
}

/** Coordinates of trajectories [B, T, N] on the columns of `basis` [N, D]: x · basis_d, shape [B, T, D]. */
export function projectTrajectories(trajectories: Tensor, basis: Tensor): Tensor<Float64Array> {
  checkTensor(trajectories, 'trajectories');
  checkTensor(basis, 'basis');
  const N = trajectories.shape[trajectories.shape.length - 1];
  if (basis.shape.length !== 2 || basis.shape[0] !== N) {
    throw new RangeError(`basis must have shape [${N}, D] for trajectories with ${N} units; got ${formatShape(basis.shape)}`);
  }
  const D = basis.shape[1];
  const rows = trajectories.data.length / N;
  const out = new Float64Array(rows * D);
  const x = trajectories.data;
  const w = basis.data;
  for (let p = 0; p < rows; p++)
    for (let i = 0; i < N; i++) {
      const xi = x[p * N + i];
      if (xi === 0) continue;
      for (let d = 0; d < D; d++) out[p * D + d] += xi * w[i * D + d];
    }
  return { data: out, shape: [...trajectories.shape.slice(0, -1), D] };
}

export interface Latents {
  /** [B, T, R] */
  kappa: Tensor<Float64Array>;
  /** [B, T, K]: the coordinates along the input vectors. */
  inputs: Tensor<Float64Array>;
  /** Fraction of the trajectories' squared norm outside span{m, I} (0 for a noise-free low-rank net from x_0 in it). */
  residual: number;
}

/**
 * The latent variables of states [B, T, N] of `model` (or of the network it was fitted to): least-squares
 * coefficients on [m_1..m_R, I_1..I_K], so x = m kappa + I v + residual exactly when the vectors are independent.
 */
export function latents(model: LowRankRNN, states: Tensor): Latents {
  const axes = latentAxes(model);
  const { rank: R, inputs: K } = axes;
  const [N, D] = axes.vectors.shape;
  checkTensor(states, 'states');
  if (states.shape[states.shape.length - 1] !== N) {
    throw new RangeError(`states must end with ${N} units (the model's size); got ${formatShape(states.shape)}`);
  }
  const { q, r } = thinQr(axes.vectors.data, N, D);
  for (let d = 0; d < D; d++) {
    if (!(Math.abs(r[d * D + d]) > 1e-10 * Math.abs(r[0]))) {
      throw new RangeError('the m and input vectors are linearly dependent; the latent coordinates are not unique');
    }
  }
  const coords = projectTrajectories(states, { data: q, shape: [N, D] }); // Q^T x per row
  const rows = coords.data.length / D;
  const kappa = new Float64Array(rows * R);
  const v = new Float64Array(rows * K);
  const c = new Float64Array(D);
  let inside = 0;
  let total = 0;
  for (let p = 0; p < rows; p++) {
    // solve r c = Q^T x by back-substitution
    for (let d = D - 1; d >= 0; d--) {
      let s = coords.data[p * D + d];
      for (let e = d + 1; e < D; e++) s -= r[d * D + e] * c[e];
      c[d] = s / r[d * D + d];
    }
    for (let d = 0; d < R; d++) kappa[p * R + d] = c[d];
    for (let k = 0; k < K; k++) v[p * K + k] = c[R + k];
    for (let d = 0; d < D; d++) inside += coords.data[p * D + d] ** 2;
  }
  for (let i = 0; i < states.data.length; i++) total += states.data[i] ** 2;
  const lead = states.shape.slice(0, -1);
  return {
    kappa: { data: kappa, shape: [...lead, R] },
    inputs: { data: v, shape: [...lead, K] },
    residual: total > 0 ? Math.max(0, 1 - inside / total) : 0,
  };
}
