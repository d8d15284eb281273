// SVD re-parametrisations of low-rank nets (reference `svd_reparametrization`) and low-rank nets initialised from the
// SVD of a full-rank connectivity (the reference's full-rank priming recipe).
import { matmul, svd, thinQr } from '../core/linalg.js';
import { checkOptions, checkValue, is, type NotApplicable, type Rules } from '../core/validate.js';
import { checkModel } from './check.js';
import type { FullRankRNN } from './fullrank.js';
import { LowRankRNN } from './lowrank.js';
import { LOWRANK_NOT_APPLICABLE, lowRankRules, type LowRankOptions, type ParamName } from './options.js';
import { lowRankFactors, truncateWeights } from './truncate.js';

/**
 * Re-orthogonalises a low-rank net in place without changing m n^T: with m n^T = U S V^T, sets m = U sqrt(S) and
 * n = V sqrt(S), so the columns of m (and of n) are orthogonal and ||m_r|| = ||n_r|| = sqrt(s_r), sorted by s_r.
 * Computed from thin QRs of m and n and the SVD of an R x R core, in O(N R^2); the N x N product is never formed.
 */
export async function svdReparametrize(model: LowRankRNN): Promise<void> {
  checkModel('svdReparametrize', 'model', model, 'lowrank');
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

/** lowRankFromFullRank's options: any low-rank option but the size, the rank (an argument) and the parameters. */
export type LowRankFromFullRankOptions = Partial<Omit<LowRankOptions, 'size' | 'rank' | 'init'>>;

const FROM_FULL_RANK_NOT_APPLICABLE: NotApplicable = {
  ...LOWRANK_NOT_APPLICABLE,
  size: "the size is the full-rank net's",
  rank: 'the rank is the second argument',
  init: 'the parameters come from the full-rank net',
};

/** The full-rank net's train flags for its low-rank version: m and n train as wrec did, the others as they were. */
function lowRankTrainFlags(train: Partial<Record<ParamName, boolean>> = {}): Partial<Record<ParamName, boolean>> {
  const { wrec, m: _m, n: _n, ...rest } = train;
  return { ...rest, m: wrec, n: wrec, wrec: false };
}

/**
 * A rank-R net whose connectivity is the rank-R truncation of a full-rank net's wrec (reference recipe): with
 * wrec = U S V^T, m = U_R S_R sqrt(N), n = V_R sqrt(N), so m n^T / N = U_R S_R V_R^T; wo = wo_full-rank N (the
 * low-rank readout divides by N); wi, si, so, h0, b are copied, and so is every option that applies to a low-rank
 * net (train flags, with m and n trained as wrec was; noAutapse, noise, dtype, device, threads...). Dale's law and
 * masks do not carry over. `opts` overrides options (e.g. noise).
 */
export async function lowRankFromFullRank(full: FullRankRNN, rank: number, opts: LowRankFromFullRankOptions = {}): Promise<LowRankRNN> {
  const where = 'lowRankFromFullRank';
  checkModel(where, 'full', full, 'fullrank');
  checkValue(where, 'rank', rank, is.integer(1, full.size), 'argument');
  const { size: _size, rank: _rank, init: _init, ...rules } = lowRankRules(full.size);
  const overrideRules = rules as Rules<LowRankFromFullRankOptions>;
  const overrides = checkOptions(where, overrideRules, opts, {}, FROM_FULL_RANK_NOT_APPLICABLE);
  const N = full.size;
  await full.ready(); // a net just made may still be drawing its weights on a worker thread
  const p = full.params();
  const { m, n } = lowRankFactors(await truncateWeights(p.wrec.data, N, rank, { where }));
  const { rho: _rho, dale: _dale, mask: _mask, train, ...shared } = full.options();
  const wo = { data: p.wo.data.map((x) => x * N), shape: p.wo.shape };
  return new LowRankRNN({
    ...shared,
    rank,
    train: lowRankTrainFlags(train),
    ...overrides,
    init: { m, n, wi: p.wi, si: p.si, wo, so: p.so, h0: p.h0, b: p.b },
  });
}
