// Inactivation of groups of neurons, the three variants of the reference code:
//   'delete'  (LINT inactivate_pop) a smaller net without the neurons. Its 1/N' (of m n^T / N' and of the low-rank
//             readout) is larger than the 1/N of the original, so the remaining effective weights grow by N / N';
//             `rescale: true` multiplies m and wo by N' / N to keep them. A full-rank net keeps its weights (no 1/N).
//             Unlike the reference, h0 and b are kept.
//   'zero'    (populations code, inactivating_pop_matrices) zero the m, n and wo rows (a full-rank net: wrec row and
//             column, wo row); the neurons still receive their input but no longer act on the others or the readout.
//   'silence' (LINT monkey analysis) zero the wi columns and the m and n rows (full-rank: wi column, wrec row and
//             column): the neurons get no input at all and relax to 0.
import { checkModel } from '../model/check.js';
import { Random, STREAMS, streamSeed } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../model/index.js';
import { CdmTask } from '../tasks/cdm.js';
import type { Task } from '../tasks/index.js';
import { taskAccuracy, checkLabels } from './resample.js';
import { populationName } from './names.js';

/** How neurons are inactivated (see the module notes): delete them, zero m, n and readout rows, or silence them. */
export type InactivationMode = 'delete' | 'zero' | 'silence';
/** The inactivation variants. */
export const INACTIVATION_MODES: readonly InactivationMode[] = Object.freeze(['delete', 'zero', 'silence']);

/** Options of {@link inactivate}. */
export interface InactivateOptions {
  /** The variant (default 'zero', the populations code's). */
  mode?: InactivationMode;
  /** 'delete' only: multiply m and wo by N' / N so that the remaining effective weights are unchanged (default false). */
  rescale?: boolean;
}

const INACTIVATE_RULES: Rules<InactivateOptions> = { mode: is.oneOf(INACTIVATION_MODES), rescale: is.boolean() };

function checkNeurons(neurons: ArrayLike<number>, N: number): Set<number> {
  checkValue('inactivate', 'neurons', neurons, is.custom('an array of neuron indices', (v) => v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number', (v) => v !== null && typeof v === 'object'));
  const set = new Set<number>();
  for (let i = 0; i < neurons.length; i++) {
    const j = neurons[i];
    if (!Number.isInteger(j) || j < 0 || j >= N) throw new RangeError(`inactivate: neurons[${i}] must be an integer in [0, ${N - 1}]; got ${j}`);
    set.add(j);
  }
  if (set.size === N) throw new RangeError(`inactivate: neurons must leave at least one of the ${N} neurons active; got all of them`);
  return set;
}

/** A copy of `model` with `neurons` inactivated by `mode` (the original is unchanged). */
export function inactivate<M extends AnyModel>(model: M, neurons: ArrayLike<number>, opts: InactivateOptions = {}): M {
  const o = checkOptions('inactivate', INACTIVATE_RULES, opts, { mode: 'zero', rescale: false });
  if (!(model instanceof LowRankRNN || model instanceof FullRankRNN)) throw new TypeError(`inactivate: model must be a LowRankRNN or a FullRankRNN; got ${(model as object)?.constructor?.name ?? typeof model}`);
  const N = model.size;
  const off = checkNeurons(neurons, N);
  if (o.rescale && o.mode !== 'delete') throw new RangeError(`inactivate: option 'rescale' applies to mode 'delete' only; got mode '${o.mode}'`);
  const p = model.params();
  const K = model.inputSize, O = model.outputSize;
  if (o.mode === 'delete') return deleted(model, p, off, o.rescale!) as M;
  const wi = Float64Array.from(p.wi.data), wo = Float64Array.from(p.wo.data);
  const rows = (a: Float64Array, width: number, i: number) => a.fill(0, i * width, (i + 1) * width);
  const values: Record<string, Float64Array> = { wi, wo };
  if (model instanceof LowRankRNN) {
    const R = model.rank;
    values.m = Float64Array.from(p.m.data);
    values.n = Float64Array.from(p.n.data);
    for (const i of off) (rows(values.m, R, i), rows(values.n, R, i));
  } else {
    const w = (values.wrec = Float64Array.from(p.wrec.data));
    for (const i of off) {
      rows(w, N, i);
      for (let j = 0; j < N; j++) w[j * N + i] = 0;
    }
  }
  for (const i of off) {
    if (o.mode === 'zero') rows(wo, O, i);
    else for (let k = 0; k < K; k++) wi[k * N + i] = 0;
  }
  if (o.mode === 'silence') delete values.wo;
  else delete values.wi;
  const copy = model.with() as M;
  copy.setParams(values);
  return copy;
}

function deleted(model: AnyModel, p: Record<string, Tensor>, off: Set<number>, rescale: boolean): AnyModel {
  const N = model.size, K = model.inputSize, O = model.outputSize;
  const keep = Array.from({ length: N }, (_, i) => i).filter((i) => !off.has(i));
  const Nk = keep.length;
  const scale = rescale ? Nk / N : 1;
  const pick = (t: Tensor, width: number, factor = 1) => {
    const out = new Float64Array(Nk * width);
    keep.forEach((i, r) => {
      for (let c = 0; c < width; c++) out[r * width + c] = factor * t.data[i * width + c];
    });
    return out;
  };
  const wi = new Float64Array(K * Nk);
  for (let k = 0; k < K; k++) keep.forEach((i, r) => (wi[k * Nk + r] = p.wi.data[k * N + i]));
  const shared = { wi, si: p.si.data, so: p.so.data, h0: pick(p.h0, 1), b: pick(p.b, 1) };
  if (model instanceof LowRankRNN) {
    const R = model.rank;
    const init = { ...shared, m: pick(p.m, R, scale), n: pick(p.n, R), wo: pick(p.wo, O, scale) };
    return new LowRankRNN({ ...model.options(), size: Nk, seed: 0, init });
  }
  const wrec = new Float64Array(Nk * Nk);
  keep.forEach((i, r) => keep.forEach((j, c) => (wrec[r * Nk + c] = p.wrec.data[i * N + j])));
  const { mask, dale, ...options } = (model as FullRankRNN).options();
  const sub = <A extends ArrayLike<number>>(a: A | undefined, square: boolean) =>
    a === undefined ? undefined : square ? Uint8Array.from(keep.flatMap((i) => keep.map((j) => (a as ArrayLike<number>)[i * N + j]))) : Int8Array.from(keep.map((i) => a[i]));
  const maskData = mask === undefined ? undefined : mask instanceof Uint8Array ? mask : (mask as Tensor).data;
  const daleSigns = Array.isArray(dale) || dale instanceof Int8Array ? dale : undefined;
  return new FullRankRNN({
    ...options,
    size: Nk,
    seed: 0,
    init: { ...shared, wrec, wo: pick(p.wo, O) },
    ...(maskData ? { mask: sub(maskData, true) as Uint8Array } : {}),
    ...(daleSigns ? { dale: sub(daleSigns as ArrayLike<number>, false) as Int8Array } : {}),
  });
}

/** A named group of neurons that an inactivation draws from. */
export interface NeuronGroup {
  name: string;
  neurons: number[];
}

/**
 * The groups of labelled populations ('population 0', ...), plus 'random' (every neuron, the control) when `random`
 * (default true). `names` renames the populations.
 */
export function populationGroups(labels: ArrayLike<number>, opts: { random?: boolean; names?: string[] } = {}): NeuronGroup[] {
  checkValue('populationGroups', 'labels', labels, is.numbers(), 'argument');
  const K = checkLabels(labels, labels.length);
  const groups: NeuronGroup[] = Array.from({ length: K }, (_, k) => ({ name: opts.names?.[k] ?? populationName(k), neurons: [] as number[] }));
  for (let i = 0; i < labels.length; i++) groups[labels[i]].neurons.push(i);
  if (opts.random ?? true) groups.push({ name: 'random', neurons: Array.from({ length: labels.length }, (_, i) => i) });
  return groups;
}

/**
 * Selectivity populations (the LINT CDM analysis): the `top` neurons of largest |si_k wi_k| for each listed input k
 * are population 1, 2, ... in that order (a later input overwrites an earlier one, as the reference), the rest are
 * population 0.
 */
export function selectivityPopulations(model: AnyModel, inputs: number[], top: number): Int32Array {
  checkModel('selectivityPopulations', 'model', model);
  const N = model.size, K = model.inputSize;
  checkValue('selectivityPopulations', 'inputs', inputs, is.arrayOf(is.integer(0, K - 1)), 'argument');
  checkValue('selectivityPopulations', 'top', top, is.integer(1, N), 'argument');
  const wi = model.param('wi').data, si = model.param('si').data;
  const labels = new Int32Array(N);
  inputs.forEach((k, q) => {
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => Math.abs(si[k] * wi[k * N + b]) - Math.abs(si[k] * wi[k * N + a]) || a - b);
    for (const i of order.slice(0, top)) labels[i] = q + 1;
  });
  return labels;
}

/** Options of {@link inactivationAccuracy}; defaults in {@link INACTIVATION_DEFAULTS}. */
export interface InactivationOptions extends InactivateOptions {
  /** The fraction of each group inactivated (default 1: the whole group). */
  fraction?: number;
  /** Random draws of the fraction (default 10 when fraction < 1, as the reference; 1 when the whole group goes). */
  draws?: number;
  /** Seed of the drawn neurons and of the trials (default 0). */
  seed?: number;
  /** CDM: noisy trials per cell of the 6 x 6 coherence grid (default 10, the reference's). */
  trialsPerCell?: number;
  /** Other tasks: trials scored (default 400). */
  trials?: number;
  /** Stops between draws. */
  signal?: AbortSignal;
  /** After each group: the result of the groups finished so far (what a Ctrl-C keeps). */
  onProgress?: (p: { group: number; groups: number; finished: InactivationResult }) => void;
}

/** The defaults of {@link inactivationAccuracy} (draws: 10 when fraction < 1, else 1). */
export const INACTIVATION_DEFAULTS = Object.freeze({ mode: 'zero' as InactivationMode, rescale: false, fraction: 1, seed: 0, trialsPerCell: 10, trials: 400 });
const INACTIVATION_RULES: Rules<InactivationOptions> = {
  ...INACTIVATE_RULES,
  fraction: is.number(0, 1, { minOpen: true }),
  draws: is.integer(1),
  seed: is.seed(),
  trialsPerCell: is.integer(1),
  trials: is.integer(1),
  signal: is.signal(),
  onProgress: is.function(),
};

/** What {@link inactivationAccuracy} returns (the arrays of a populations inactivation result). */
export interface InactivationResult {
  /** G group names. */
  groups: string[];
  /** C context names: 'A', 'B' for CDM (context 1 and 2), 'all' for other tasks. */
  contexts: string[];
  /** [G, C] mean over draws. CDM: accuracy on the incongruent cells of the coherence grid (the reference's score). */
  accuracy: Tensor<Float64Array>;
  /** [G, S, C] per draw. */
  accuracy_draws: Tensor<Float64Array>;
  /** CDM only: [G, C] accuracy on the congruent cells. */
  congruent?: Tensor<Float64Array>;
  /** [C] the intact net's accuracy (CDM: incongruent). */
  baseline: Float64Array;
  /** CDM only: [C] the intact net's congruent accuracy. */
  baseline_congruent?: Float64Array;
  /** [G] neurons inactivated per draw. */
  inactivated: Float64Array;
}

/** Per-context accuracy of a net: CDM on the coherence grid (incongruent, congruent), other tasks on random trials. */
async function contextAccuracy(model: AnyModel, task: Task, o: InactivationOptions): Promise<{ incongruent: number[]; congruent?: number[] }> {
  const seed = streamSeed(o.seed!, STREAMS.populationTrials);
  if (!(task instanceof CdmTask)) return { incongruent: [await taskAccuracy(model, task, o.trials!, seed)] };
  const run = async (inputs: Tensor) => (await model.simulate(inputs, { states: false, outputs: true, seed })).outputs!;
  const psy = await task.psychometric(run, { seed, trialsPerCell: o.trialsPerCell });
  const n = psy.coherences.length;
  const sign = (c: number) => (c > 0 ? 1 : -1);
  const congruent = psy.accuracy.map((grid) => {
    let sum = 0, cells = 0;
    for (let r = 0; r < n; r++)
      for (let i = 0; i < n; i++)
        if (sign(psy.coherences[i]) === sign(psy.coherences[n - 1 - r])) (sum += grid[r][i], cells++);
    return sum / cells;
  });
  return { incongruent: [...psy.incongruentAccuracy], congruent };
}

/**
 * The per-context task accuracy of `model` with each group (or a random `fraction` of it, over `draws` draws)
 * inactivated by `mode`. For CDM, the reference's score on the incongruent cells of the 6 x 6 coherence grid per
 * context, and the congruent cells' accuracy beside it.
 */
export async function inactivationAccuracy(model: AnyModel, task: Task, groups: NeuronGroup[], opts: InactivationOptions = {}): Promise<InactivationResult> {
  const o = checkOptions('inactivationAccuracy', INACTIVATION_RULES, opts, INACTIVATION_DEFAULTS);
  checkValue('inactivationAccuracy', 'groups', groups, is.custom('a non-empty array of { name, neurons }', (g) => Array.isArray(g) && g.length > 0 && g.every((x) => typeof x?.name === 'string' && Array.isArray(x?.neurons) && x.neurons.length > 0)), 'argument');
  const S = o.draws ?? (o.fraction! < 1 ? 10 : 1);
  const base = await contextAccuracy(model, task, o);
  const C = base.incongruent.length;
  const G = groups.length;
  const draws = new Float64Array(G * S * C), congruentDraws = new Float64Array(G * S * C);
  const inactivated = new Float64Array(G);
  // the result of the first `done` groups
  const cdm = base.congruent !== undefined;
  const result = (done: number): InactivationResult => {
    const mean = (a: Float64Array) => {
      const out = new Float64Array(done * C);
      for (let g = 0; g < done; g++) for (let s = 0; s < S; s++) for (let c = 0; c < C; c++) out[g * C + c] += a[(g * S + s) * C + c] / S;
      return { data: out, shape: [done, C] };
    };
    return {
      groups: groups.slice(0, done).map((g) => g.name),
      contexts: cdm ? ['A', 'B'] : ['all'],
      accuracy: mean(draws),
      accuracy_draws: { data: draws.slice(0, done * S * C), shape: [done, S, C] },
      ...(cdm ? { congruent: mean(congruentDraws), baseline_congruent: Float64Array.from(base.congruent!) } : {}),
      baseline: Float64Array.from(base.incongruent),
      inactivated: inactivated.slice(0, done),
    };
  };
  for (let g = 0; g < G; g++) {
    const pool = groups[g].neurons;
    const count = Math.max(1, Math.round(o.fraction! * pool.length));
    inactivated[g] = count;
    for (let s = 0; s < S; s++) {
      o.signal?.throwIfAborted();
      const chosen = count === pool.length ? pool : new Random(streamSeed(o.seed!, STREAMS.inactivatedNeurons, g, s)).sampleIndices(pool.length, count).map((i) => pool[i]);
      const net = inactivate(model, chosen, { mode: o.mode, rescale: o.rescale });
      try {
        const acc = await contextAccuracy(net, task, o);
        for (let c = 0; c < C; c++) {
          draws[(g * S + s) * C + c] = acc.incongruent[c];
          if (acc.congruent) congruentDraws[(g * S + s) * C + c] = acc.congruent[c];
        }
      } finally {
        net.dispose();
      }
    }
    o.onProgress?.({ group: g + 1, groups: G, finished: result(g + 1) });
  }
  return result(G);
}
