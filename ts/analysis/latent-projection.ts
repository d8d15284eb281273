// Trajectories projected on the latent coordinates of a low-rank net (docs/analysis-latent.md): least squares on
// [m | I_1 .. I_K] ('coefficients') or the overlaps x . m_r / N ('overlaps').
import { svd } from '../core/linalg.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkOptions } from '../core/validate.js';
import type { AnyModel } from '../model/index.js';
import { LATENT_DEFAULTS, LATENT_RULES, latentBasis, lowRankVectors, requireOrthogonalColumns, type LatentCoordinates, type LowRankVectors } from './latent.js';

/** What {@link projectOnLatent} returns: the latent coordinates of states [..., N], with the leading axes kept. */
export interface LatentProjection {
  /** kappa of every state, shape [..., R]. */
  kappa: Tensor<Float64Array>;
  /** 'coefficients' only: the input coordinates v (x = m kappa + sum_k v_k I_k + residual), shape [..., K]. */
  inputs?: Tensor<Float64Array>;
  /** 'coefficients' only: |residual| / |x| per state (0 for noise-free trajectories from h0 in span(m, I)), shape [...]. */
  residual?: Tensor<Float64Array>;
}

/**
 * Projects states [..., N] (e.g. simulate().states [B, T+1, N]) on the latent coordinates. 'coefficients': least
 * squares on [m | I_1 .. I_K] (exact: a noise-free trajectory from h0 in that span has v = the leaky-filtered input
 * and residual 0). 'overlaps': kappa_r = x . m_r / N (reference plot_trajectories), with orthogonal m.
 */
export async function projectOnLatent(model: AnyModel, states: Tensor, opts: { coordinates?: LatentCoordinates } = {}): Promise<LatentProjection> {
  const { coordinates } = checkOptions<{ coordinates?: LatentCoordinates }>('projectOnLatent', { coordinates: LATENT_RULES.coordinates }, opts, LATENT_DEFAULTS);
  const v = lowRankVectors(model);
  checkTensor(states, 'states');
  if (states.shape.length < 1 || states.shape[states.shape.length - 1] !== v.size) {
    throw new RangeError(`states must have shape [..., ${v.size}] (the model's size); got ${formatShape(states.shape)}`);
  }
  const lead = states.shape.slice(0, -1);
  if (coordinates === 'overlaps') return { kappa: { data: overlapCoordinates(v, states.data), shape: [...lead, v.rank] } };
  const c = await coefficientCoordinates(v, states.data);
  return {
    kappa: { data: c.kappa, shape: [...lead, v.rank] },
    inputs: { data: c.inputs, shape: [...lead, v.inputs] },
    residual: { data: c.residual, shape: lead },
  };
}

/** kappa_r = x . m_r / N for each state (orthogonal m columns). */
function overlapCoordinates(v: LowRankVectors, x: ArrayLike<number>): Float64Array {
  const { size: N, rank: R } = v;
  requireOrthogonalColumns(v);
  const P = x.length / N;
  const kappa = new Float64Array(P * R);
  for (let p = 0; p < P; p++)
    for (let i = 0; i < N; i++) {
      const xi = x[p * N + i];
      for (let r = 0; r < R; r++) kappa[p * R + r] += (xi * v.m[i * R + r]) / N;
    }
  return kappa;
}

/** Least squares of each state on the basis [m | I^T] (N x D): coefficients V S^-1 U^T x from the basis' SVD. */
async function coefficientCoordinates(v: LowRankVectors, x: ArrayLike<number>) {
  const { size: N, rank: R, inputs: K } = v;
  const P = x.length / N;
  // Basis B = [m | I^T] (N x D); coefficients = V S^-1 U^T x from the SVD of B.
  const D = R + K;
  const basis = latentBasis(v);
  if (N < D) throw new RangeError(`projectOnLatent: rank + inputs (${D}) exceeds the size (${N}); use coordinates 'overlaps'`);
  const { u, s, v: w } = await svd(basis, N, D, D);
  if (!(s[D - 1] > 1e-10 * s[0])) {
    throw new RangeError(`projectOnLatent: the columns of m and the input vectors are linearly dependent (singular values ${Array.from(s, (z) => z.toExponential(2)).join(', ')}); use coordinates 'overlaps'`);
  }
  const kappa = new Float64Array(P * R);
  const inputs = new Float64Array(P * K);
  const residual = new Float64Array(P);
  const ux = new Float64Array(D);
  for (let p = 0; p < P; p++) {
    ux.fill(0);
    let norm2 = 0;
    for (let i = 0; i < N; i++) {
      const xi = x[p * N + i];
      norm2 += xi * xi;
      for (let d = 0; d < D; d++) ux[d] += u[i * D + d] * xi;
    }
    let rest2 = 0;
    for (let i = 0; i < N; i++) {
      let r = x[p * N + i];
      for (let d = 0; d < D; d++) r -= u[i * D + d] * ux[d];
      rest2 += r * r;
    }
    residual[p] = norm2 > 0 ? Math.sqrt(rest2 / norm2) : 0;
    for (let j = 0; j < D; j++) {
      let c = 0;
      for (let d = 0; d < D; d++) c += (w[j * D + d] * ux[d]) / s[d];
      if (j < R) kappa[p * R + j] = c;
      else inputs[p * K + j - R] = c;
    }
  }
  return { kappa, inputs, residual };
}
