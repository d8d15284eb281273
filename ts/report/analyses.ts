// The analyses that `lowrank analyze latent-flow | linearize | meanfield | measures` write and `lowrank report` runs
// on a model given alone: each computes through ts/analysis and returns the result object and its `meta`, which
// saveAnalysis writes as a result of kind 'analysis' with meta.analysis naming it. The plot figures read them.
import { checkTensor } from '../core/tensor.js';
import { checkModel } from '../model/check.js';
import type { Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, type Rules } from '../core/validate.js';
import type { AnyModel } from '../model/index.js';
import { FullRankRNN, LowRankRNN } from '../model/index.js';
import { latentFixedPoints, latentFlowField, type GridOptions } from '../analysis/latent.js';
import { classify, linearize } from '../analysis/linear.js';
import { compareMeanField } from '../analysis/meanfield.js';
import { eigenvectorCentrality, nonNormality, pca, readoutAngles, weightChange } from '../analysis/measures.js';
import { saveAnalysis } from '../results/format.js';
import { tasks } from '../tasks/index.js';
import type { TaskBatch } from '../tasks/types.js';

/** The analyses with a result file of their own, by the name stored in meta.analysis. */
export const ANALYSES = ['latent-flow', 'linearize', 'meanfield', 'measures'] as const;

/** The name of an analysis. */
export type AnalysisName = (typeof ANALYSES)[number];

/** An analysis ready to save: the arrays (nested, flattened on save) and the facts for `meta`. */
export interface AnalysisResult {
  /** Which analysis this is (meta.analysis). */
  analysis: AnalysisName;
  /** The result object, as saveAnalysis flattens it. */
  result: Record<string, unknown>;
  /** Facts stored in `meta` beside the analysis name. */
  meta: Record<string, unknown>;
}

/** Writes an analysis result to `path` (kind 'analysis', meta.analysis = its name). */
export async function saveAnalysisResult(path: string, r: AnalysisResult): Promise<void> {
  checkValue('saveAnalysisResult', 'path', path, is.string(), 'argument');
  checkValue('saveAnalysisResult', 'r', r, is.object('an analysis result'), 'argument');
  await saveAnalysis(path, r.result, { meta: { analysis: r.analysis, ...r.meta } });
}

function requireLowRank(model: AnyModel, what: string): LowRankRNN {
  if (!(model instanceof LowRankRNN)) throw new RangeError(`${what} needs a low-rank model (m, n); this one is full-rank`);
  return model;
}

/** Options of {@link latentFlowAnalysis}: the grid of the flow and the constant input. */
export interface LatentFlowOptions extends GridOptions {
  /** Constant input u (default zeros). */
  inputs?: number[];
}

/** The latent flow on a grid (rank 1: a line; rank 2: the plane; rank >= 3: a slice) and the latent fixed points. */
export async function latentFlowAnalysis(model: AnyModel, o: LatentFlowOptions = {}): Promise<AnalysisResult> {
  const lowRank = requireLowRank(model, 'the latent flow');
  const flow = await latentFlowField(lowRank, o);
  const fps = await latentFixedPoints(lowRank, { inputs: o.inputs });
  const R = lowRank.rank;
  return {
    analysis: 'latent-flow',
    result: {
      dims: Float64Array.from(flow.dims),
      axes: flow.axes,
      velocity: flow.velocity,
      speed: flow.speed,
      fixedPoints: { points: fps.points, speed: fps.speed, jacobians: fps.jacobians, eigenvalues: fps.eigenvalues, unstableModes: fps.unstableModes, stability: fps.stability },
    },
    meta: { rank: R, inputs: o.inputs ?? null, at: o.at ? Array.from(o.at) : Array(R).fill(0), resolution: o.resolution ?? null, coordinates: 'coefficients' },
  };
}

/** Options of {@link linearizeAnalysis}. */
export interface LinearizeAnalysisOptions {
  /** Constant input per state [S, K] or one for all (default zeros). */
  inputs?: number[] | Tensor;
}

/** The Jacobian's eigenvalues at states [S, N] (continuous time, 1/tau), with each state's stability. */
export async function linearizeAnalysis(model: AnyModel, states: Tensor, o: LinearizeAnalysisOptions = {}): Promise<AnalysisResult> {
  checkModel('linearizeAnalysis', 'model', model);
  checkTensor(states, 'linearizeAnalysis: states', undefined, { finite: false });
  const S = states.shape.length === 1 ? 1 : states.shape[0];
  const decompositions = await linearize(model, states, { inputs: o.inputs as number[] | undefined });
  const n = decompositions[0]?.re.length ?? 0;
  const re = new Float64Array(S * n), im = new Float64Array(S * n);
  const types: string[] = [];
  const unstable = new Int32Array(S);
  decompositions.forEach((d, s) => {
    re.set(d.re, s * n);
    im.set(d.im, s * n);
    const c = classify(d, { convention: 'continuous' });
    types.push(c.type);
    unstable[s] = c.unstable;
  });
  return {
    analysis: 'linearize',
    result: { states, eigenvalues: { re: { data: re, shape: [S, n] }, im: { data: im, shape: [S, n] } }, stability: { type: types, unstable } },
    meta: { convention: 'continuous', states: S, reduced: n < model.size ? { trivialEigenvalue: -1, multiplicity: model.size - n } : null },
  };
}

/** The finite-N latent flow next to the mean-field flow of the model's connectivity statistics. */
export async function meanFieldAnalysis(model: AnyModel, o: LatentFlowOptions = {}): Promise<AnalysisResult> {
  const c = await compareMeanField(requireLowRank(model, 'the mean-field comparison'), o);
  const flow = (f: typeof c.finite) => ({ dims: Float64Array.from(f.dims), axes: f.axes, velocity: f.velocity, speed: f.speed });
  return {
    analysis: 'meanfield',
    result: { finite: flow(c.finite), meanField: flow(c.meanField) },
    meta: { rank: c.statistics.rank, maxError: c.maxError, rmsError: c.rmsError, relativeError: c.relativeError, populations: c.statistics.populations.length, at: o.at ? Array.from(o.at) : null },
  };
}

/** Options of {@link measuresAnalysis}. */
export interface MeasuresOptions {
  /** States [..., N] for the PCA and the readout angles (e.g. a simulation's). */
  states?: Tensor;
  /** The model before training, for the weight change. */
  initial?: AnyModel;
  /** Principal components kept (default 10). */
  components?: number;
}

const MEASURES_RULES: Rules<MeasuresOptions> = { states: is.tensor(), initial: is.object('a model'), components: is.integer(1) };

/** The recurrent connectivity [N, N] of a model: wrec, or m n^T / N for a low-rank net (formed once, O(N^2 R)). */
function connectivity(model: AnyModel): Tensor<Float64Array> {
  const N = model.size;
  const p = model.params() as Record<string, Tensor>;
  if (model instanceof FullRankRNN) return { data: Float64Array.from(p.wrec.data), shape: [N, N] };
  const R = (model as LowRankRNN).rank;
  const J = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let r = 0; r < R; r++) {
      const mir = p.m.data[i * R + r] / N;
      for (let j = 0; j < N; j++) J[i * N + j] += mir * p.n.data[j * R + r];
    }
  return { data: J, shape: [N, N] };
}

/** The measures of seed 001: PCA of states and the readout's angles to it, non-normality and centrality of the connectivity, the weight change. */
export async function measuresAnalysis(model: AnyModel, opts: MeasuresOptions = {}): Promise<AnalysisResult> {
  checkModel('measuresAnalysis', 'model', model);
  const o = checkOptions<MeasuresOptions>('measuresAnalysis', MEASURES_RULES, opts, { components: 10 });
  const result: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  if (o.states) {
    const N = model.size;
    const rows = o.states.data.length / N;
    const p = await pca({ data: o.states.data, shape: [rows, N] }, { components: Math.min(o.components!, N, rows) });
    result.pca = { varianceRatio: p.varianceRatio, variance: p.variance, components: p.components, mean: p.mean };
    meta.totalVariance = p.totalVariance;
    if (model.outputSize > 0) result.readoutAngles = await readoutAngles(model, p.components);
  }
  const J = connectivity(model);
  const nn = await nonNormality(J);
  result.nonNormality = { eigenvalues: nn.eigenvalues };
  meta.nonNormality = { henrici: nn.henrici, relative: nn.relative, strictUpperNorm2: nn.strictUpperNorm2, frobenius: nn.frobenius };
  const c = await eigenvectorCentrality(J);
  result.centrality = c.centrality;
  meta.centrality = { eigenvalue: c.eigenvalue, iterations: c.iterations };
  if (o.initial) {
    const w = await weightChange(o.initial as AnyModel, model);
    result.weightChange = { singularValues: w.singularValues };
    meta.weightChange = { frobenius: w.frobenius, relative: w.relative, participationRatio: w.participationRatio, meanInitial: w.meanInitial, meanTrained: w.meanTrained, meanChange: w.meanChange };
  }
  return { analysis: 'measures', result, meta };
}

/** A task's trials and the model's noise-free states on them [B, T+1, N]. */
export async function taskStates(model: AnyModel, taskName: string, trials: number, seed: number, preset?: string): Promise<{ batch: TaskBatch; states: Tensor }> {
  const task = tasks.byName(taskName, preset ? { preset } : {});
  if (task.inputSize !== model.inputSize) throw new RangeError(`task ${taskName} has ${task.inputSize} inputs but the model takes ${model.inputSize}`);
  const batch = task.sample(trials, { seed });
  const sim = await model.simulate(batch.inputs, { drawNoise: false, outputs: false });
  return { batch, states: sim.states! };
}
