// The SVD-truncation baselines of LINT (lint_reference.md §5): the teacher's own connectivity cut to rank R, either
// W itself (the reference fit scripts) or the change Delta W = W - W_init added back to W_init ([P] rdm_fr_fig1).
// Scored on the same quantity as the fits (the reference scores truncations on x and fits on phi(x); we do not).
import { FullRankRNN, type AnyModel } from '../model/models.js';
import { svd } from '../core/linalg.js';
import { lowRankFromFullRank } from '../model/reparametrize.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import type { Task } from '../tasks/types.js';
import { checkActivityKind, type ActivityKind } from './fit.js';
import { compareNetworks, taskAccuracy, teacherTrials } from './teacher.js';
import type { TrajectoryR2 } from './metrics.js';

export interface TruncationOptions {
  /** 'weights' truncates W (default); 'change' truncates W - initial and adds initial back. */
  of?: 'weights' | 'change';
  /** W_init for of: 'change': the untrained teacher, or its wrec [N, N]. */
  initial?: FullRankRNN | Tensor;
  /** Noise sigma of the truncated net (default 0, as the reference baselines). */
  noise?: number;
}

/**
 * The teacher with its recurrent weights replaced by a rank-R SVD truncation. For of: 'weights' the result is a
 * LowRankRNN (m = U S sqrt(N), n = V sqrt(N), the same dynamics as the truncated full-rank net, at O(N R) per step);
 * for of: 'change' a FullRankRNN with wrec = W_init + [W - W_init]_R. Inputs, readout (si and so included) are the
 * teacher's.
 */
export async function svdTruncation(teacher: FullRankRNN, rank: number, opts: TruncationOptions = {}): Promise<AnyModel> {
  if (!(teacher instanceof FullRankRNN)) throw new TypeError('svdTruncation needs a FullRankRNN teacher');
  const noise = opts.noise ?? 0;
  const of = opts.of ?? 'weights';
  if (of === 'weights') return lowRankFromFullRank(teacher, rank, { noise });
  if (of !== 'change') throw new TypeError(`of must be 'weights' or 'change'; got ${JSON.stringify(of)}`);
  const N = teacher.size;
  if (!Number.isInteger(rank) || rank < 1 || rank > N) throw new RangeError(`rank must be an integer in [1, ${N}]; got ${rank}`);
  if (!opts.initial) throw new TypeError("of: 'change' needs initial: the untrained teacher or its wrec [N, N]");
  const w0 = opts.initial instanceof FullRankRNN ? opts.initial.param('wrec') : checkTensor(opts.initial, 'initial', [N, N]);
  if (w0.data.length !== N * N) throw new RangeError(`initial must be a net of size ${N} or a [${N}, ${N}] matrix`);
  const p = teacher.params();
  const delta = new Float64Array(N * N);
  for (let i = 0; i < N * N; i++) delta[i] = p.wrec.data[i] - w0.data[i];
  const { u, s, v } = await svd(delta, N, N, rank);
  const wrec = Float64Array.from(w0.data);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < rank; r++) {
      const us = u[i * rank + r] * s[r];
      for (let j = 0; j < N; j++) wrec[i * N + j] += us * v[j * rank + r];
    }
  const c = teacher.config;
  return new FullRankRNN({
    size: N,
    inputs: c.inputs,
    outputs: c.outputs,
    formulation: c.formulation,
    activation: c.activation,
    slope: c.slope,
    outputActivation: c.outputActivation,
    alpha: c.alpha,
    noise,
    noAutapse: c.noAutapse,
    dtype: teacher.dtype,
    device: teacher.device,
    init: { wrec, wi: p.wi, si: p.si, wo: p.wo, so: p.so, h0: p.h0, b: p.b },
  });
}

export interface TruncationScore {
  rank: number;
  r2: TrajectoryR2;
  accuracy?: number;
}

/** Truncations at each rank, scored against the teacher on the validation trials of `task` (or of `inputs`). */
export async function truncationBaseline(
  teacher: FullRankRNN,
  opts: TruncationOptions & { ranks: number[]; task?: Task; inputs?: Tensor; trials?: number; on?: ActivityKind; seed?: number },
): Promise<TruncationScore[]> {
  const source = opts.task ?? opts.inputs;
  if (!source) throw new TypeError('truncationBaseline needs a task or inputs [B, T, K]');
  const on = checkActivityKind(opts.on);
  const seed = opts.seed ?? 0;
  const { validation } = teacherTrials(source, { trials: opts.trials, seed });
  const rows: TruncationScore[] = [];
  for (const rank of opts.ranks) {
    const cut = await svdTruncation(teacher, rank, opts);
    const row: TruncationScore = { rank, r2: await compareNetworks(teacher, cut, validation.inputs, { on, seed: seed + 13 }) };
    if (opts.task) row.accuracy = await taskAccuracy(cut, opts.task, validation.batch!, seed + 17);
    cut.dispose();
    rows.push(row);
  }
  return rows;
}
