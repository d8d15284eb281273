// SVD re-parametrisations of low-rank nets (reference `svd_reparametrization`) and low-rank nets initialised from the
// SVD of a full-rank connectivity (the reference's full-rank priming recipe).
import { FullRankRNN, LowRankRNN, type LowRankOptions } from './models.js';
import { matmul, svd, thinQr } from '../core/linalg.js';

/**
 * Re-orthogonalises a low-rank net in place without changing m n^T: with m n^T = U S V^T, sets m = U sqrt(S) and
 * n = V sqrt(S), so the columns of m (and of n) are orthogonal and ||m_r|| = ||n_r|| = sqrt(s_r), sorted by s_r.
 * Computed from thin QRs of m and n and the SVD of an R x R core, in O(N R^2); the N x N product is never formed.
 */
export async function svdReparametrize(model: LowRankRNN): Promise<void> {
  const N = model.size;
  const R = model.rank;
  const m = Float64Array.from(model.param('m').data);
  const n = Float64Array.from(model.param('n').data);
  const qm = thinQr(m, N, R);
  const qn = thinQr(n, N, R);
  // m n^T = Qm (Rm Rn^T) Qn^T
  const rnT = new Float64Array(R * R);
  for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) rnT[i * R + j] = qn.r[j * R + i];
  const core = await svd(matmul(qm.r, rnT, R, R, R), R, R, R);
  const u = matmul(qm.q, core.u, N, R, R);
  const v = matmul(qn.q, core.v, N, R, R);
  for (let p = 0; p < N; p++)
    for (let r = 0; r < R; r++) {
      const root = Math.sqrt(core.s[r]);
      u[p * R + r] *= root;
      v[p * R + r] *= root;
    }
  model.setParams({ m: u, n: v });
}

/**
 * A rank-R net whose connectivity is the rank-R truncation of a full-rank net's wrec (reference recipe): with
 * wrec = U S V^T, m = U_R S_R sqrt(N), n = V_R sqrt(N), so m n^T / N = U_R S_R V_R^T; wo = wo_full-rank N (the
 * low-rank readout divides by N); wi, si, so, h0, b and the options are copied. `opts` overrides options (e.g. noise).
 */
export async function lowRankFromFullRank(
  full: FullRankRNN,
  rank: number,
  opts: Partial<Omit<LowRankOptions, 'size' | 'rank' | 'init'>> = {},
): Promise<LowRankRNN> {
  const N = full.size;
  if (!Number.isInteger(rank) || rank < 1 || rank > N) throw new RangeError(`rank must be an integer in [1, ${N}]; got ${rank}`);
  const p = full.params();
  const { u, s, v } = await svd(Float64Array.from(p.wrec.data), N, N, rank);
  const sqrtN = Math.sqrt(N);
  const m = new Float64Array(N * rank);
  const n = new Float64Array(N * rank);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < rank; r++) {
      m[i * rank + r] = u[i * rank + r] * s[r] * sqrtN;
      n[i * rank + r] = v[i * rank + r] * sqrtN;
    }
  const c = full.config;
  const { kind: _kind, formatVersion: _v, rank: _r, rho: _rho, daleSigns: _d, hasMask: _m, train, ...shared } = c;
  return new LowRankRNN({
    ...shared,
    rank,
    dtype: full.dtype,
    train: { wi: train.wi, wo: train.wo, h0: train.h0, b: train.b },
    ...opts,
    init: { m, n, wi: p.wi, si: p.si, wo: { data: p.wo.data.map((x) => x * N), shape: p.wo.shape }, so: p.so, h0: p.h0, b: p.b },
  });
}
