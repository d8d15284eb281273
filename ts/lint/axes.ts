// The axes a LINT fit gives for dimensionality reduction: the connectivity vectors m_r and the input vectors
// I_k = si_k wi_k, and the coordinates of trajectories on them. The latent variables kappa(t) themselves (the
// least-squares coefficients of x on [m | I]) are analysis.projectOnLatent.
import { latentBasis, lowRankVectors } from '../analysis/latent.js';
import { thinQr } from '../core/linalg.js';
import { LowRankRNN } from '../model/index.js';
import { checkValue, is } from '../core/validate.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';

/** What {@link latentAxes} returns: the axes of a low-rank net, raw and orthonormalised. */
export interface LatentAxes {
  /** Shape [N, R + K]: columns m_1..m_R, then I_1..I_K. */
  vectors: Tensor<Float64Array>;
  /** Shape [N, R + K]: an orthonormal basis of the same span, by Gram-Schmidt in that order. */
  orthonormal: Tensor<Float64Array>;
  /** Rank R: the first R columns are the m axes. */
  rank: number;
  /** Input channels K: the last K columns are the input axes. */
  inputs: number;
}

/** The m and input axes of a low-rank net. */
export function latentAxes(model: LowRankRNN): LatentAxes {
  checkValue('lint.latentAxes', 'model', model, is.custom('a LowRankRNN', (v) => v instanceof LowRankRNN));
  const vectors = lowRankVectors(model);
  const { size: N, rank: R, inputs: K } = vectors;
  const D = R + K;
  const v = latentBasis(vectors);
  return { vectors: { data: v, shape: [N, D] }, orthonormal: { data: thinQr(v, N, D).q, shape: [N, D] }, rank: R, inputs: K };
}

/** Coordinates x · basis_d of trajectories [B, T, N] on the columns of `basis` [N, D], as a tensor [B, T, D]. */
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
