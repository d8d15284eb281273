// The connectivity space of a low-rank net (populations paper; seed 000 "the connectivity space"): one row per neuron,
// the columns [m_1..m_R, n_1..n_R, I_1..I_K, w_1..w_O] with the input vectors I_k = si_k wi_k and the readout vectors
// w_o = so_o wo_o that the network really uses. The reference (make_vecs) clusters the raw wi and wo and so loses
// the trained scales si and so; `scaled: false` reproduces that.
import type { LintFit } from '../lint/index.js';
import { LowRankRNN, svdReparametrize, type AnyModel } from '../model/index.js';
import type { Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, type Rules } from '../core/validate.js';

/** A low-rank net's connectivity space: the matrix, its column names and the scales it was built with. */
export interface ConnectivitySpace {
  /** [N, D] float64, D = 2R + K + O, one row per neuron. */
  space: Tensor<Float64Array>;
  /** D column names: m1..mR, n1..nR, wi1..wiK, wo1..woO. */
  columns: string[];
  rank: number;
  inputs: number;
  outputs: number;
  /** Whether the wi / wo columns are si_k wi_k and so_o wo_o (true) or the raw wi / wo (false, the reference). */
  scaled: boolean;
  /** Whether m and n were SVD re-parametrised first. */
  svd: boolean;
}

/** Options of {@link connectivitySpace}; defaults in {@link SPACE_DEFAULTS}. */
export interface SpaceOptions {
  /** SVD re-parametrise m and n first (m n^T kept, orthogonal columns; the reference's svd_reparametrization). */
  svd?: boolean;
  /** Scale the input and readout columns by si and so (default true); false clusters the raw wi, wo as the reference. */
  scaled?: boolean;
}

/** The defaults of {@link connectivitySpace}. */
export const SPACE_DEFAULTS: Readonly<Required<SpaceOptions>> = Object.freeze({ svd: false, scaled: true });
const SPACE_RULES: Rules<SpaceOptions> = { svd: is.boolean(), scaled: is.boolean() };

/** The column names of a connectivity space of rank R with K inputs and O outputs. */
export function spaceColumns(rank: number, inputs: number, outputs: number): string[] {
  checkValue('spaceColumns', 'rank', rank, is.integer(1), 'argument');
  checkValue('spaceColumns', 'inputs', inputs, is.integer(0), 'argument');
  checkValue('spaceColumns', 'outputs', outputs, is.integer(0), 'argument');
  const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  return [...names('m', rank), ...names('n', rank), ...names('wi', inputs), ...names('wo', outputs)];
}

/** The low-rank net of a model or of a LINT fit (`fit.model`), with a clear error for anything else. */
export function lowRankOf(source: AnyModel | LintFit, name = 'model'): LowRankRNN {
  const model = source !== null && typeof source === 'object' && 'training' in source && 'model' in source ? source.model : source;
  if (model instanceof LowRankRNN) {
    const bad = model.flatParams().findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new RangeError(`${name} has a non-finite parameter (${model.flatParams()[bad]}); a connectivity space needs finite values`);
    return model;
  }
  const what = (model as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof model;
  throw new TypeError(`${name} must be a low-rank net (LowRankRNN, or a LINT fit of finite rank); got ${what === 'FullRankRNN' ? 'a FullRankRNN (full rank: fit it at a finite rank with lint.fitTeacher, or truncate it)' : what}`);
}

/**
 * The connectivity space of a low-rank net (or of a LINT fit's student): rows are neurons, columns m, n, the input
 * vectors si_k wi_k and the readout vectors so_o wo_o (raw wi, wo with `scaled: false`), after an SVD
 * re-parametrisation of m and n with `svd: true`.
 */
export async function connectivitySpace(source: AnyModel | LintFit, opts: SpaceOptions = {}): Promise<ConnectivitySpace> {
  const o = checkOptions('connectivitySpace', SPACE_RULES, opts, SPACE_DEFAULTS) as Required<SpaceOptions>;
  let model = lowRankOf(source);
  if (o.svd) {
    model = model.with();
    await svdReparametrize(model);
  }
  const { size: N, rank: R, inputSize: K, outputSize: O } = model;
  const p = model.params();
  if (o.svd) model.dispose();
  const D = 2 * R + K + O;
  const data = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    const row = i * D;
    for (let r = 0; r < R; r++) {
      data[row + r] = p.m.data[i * R + r];
      data[row + R + r] = p.n.data[i * R + r];
    }
    for (let k = 0; k < K; k++) data[row + 2 * R + k] = (o.scaled ? p.si.data[k] : 1) * p.wi.data[k * N + i];
    for (let q = 0; q < O; q++) data[row + 2 * R + K + q] = (o.scaled ? p.so.data[q] : 1) * p.wo.data[i * O + q];
  }
  return { space: { data, shape: [N, D] }, columns: spaceColumns(R, K, O), rank: R, inputs: K, outputs: O, scaled: o.scaled, svd: o.svd };
}
