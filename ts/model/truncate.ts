// The one SVD truncation of recurrent weights: W cut to rank R, or the change W - W_0 cut to rank R (and W_0 added
// back), as used by the LINT baselines, the full-rank priming of low-rank nets and the weight-change measures.
import { svd } from '../core/linalg.js';
import { checkValue, is } from '../core/validate.js';

/** A rank-R truncation [W - base]_R = U S V^T of an N x N matrix; U and V are [N, R] row-major, S descending. */
export interface Truncation {
  size: number;
  rank: number;
  u: Float64Array;
  s: Float64Array;
  v: Float64Array;
  /** W_0 when the change W - W_0 was truncated. */
  base?: Float64Array;
}

/** The rank-`rank` SVD truncation of `w` (N x N, row-major), or of `w - relativeTo` when given. */
export async function truncateWeights(
  w: ArrayLike<number>,
  size: number,
  rank: number,
  opts: { relativeTo?: ArrayLike<number>; where?: string } = {},
): Promise<Truncation> {
  const where = opts.where ?? 'truncateWeights';
  checkValue(where, 'rank', rank, is.integer(1, size));
  if (w.length !== size * size) throw new RangeError(`${where}: the weights must be ${size} x ${size}; got ${w.length} values`);
  const base = opts.relativeTo === undefined ? undefined : Float64Array.from(opts.relativeTo);
  if (base && base.length !== size * size) {
    throw new RangeError(`${where}: the initial weights must be ${size} x ${size}; got ${base.length} values`);
  }
  const a = Float64Array.from(w);
  if (base) for (let i = 0; i < a.length; i++) a[i] -= base[i];
  const { u, s, v } = await svd(a, size, size, rank);
  return { size, rank, u, s, v, base };
}

/** base + U S V^T (or U S V^T) as an N x N row-major matrix. */
export function truncatedMatrix(t: Truncation): Float64Array {
  const { size: N, rank: R, u, s, v } = t;
  const out = t.base ? Float64Array.from(t.base) : new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < R; r++) {
      const us = u[i * R + r] * s[r];
      if (us === 0) continue;
      for (let j = 0; j < N; j++) out[i * N + j] += us * v[j * R + r];
    }
  return out;
}

/**
 * The low-rank factors of a truncation (of W itself) in the reference's convention m n^T / N = U S V^T:
 * m = U S sqrt(N), n = V sqrt(N), each [N, R].
 */
export function lowRankFactors(t: Truncation): { m: Float64Array; n: Float64Array } {
  if (t.base) throw new RangeError('lowRankFactors: a truncation of W - W_0 is not a low-rank matrix; truncate W itself');
  const { size: N, rank: R, u, s, v } = t;
  const sqrtN = Math.sqrt(N);
  const m = new Float64Array(N * R);
  const n = new Float64Array(N * R);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < R; r++) {
      m[i * R + r] = u[i * R + r] * s[r] * sqrtN;
      n[i * R + r] = v[i * R + r] * sqrtN;
    }
  return { m, n };
}
