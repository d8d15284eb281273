// From result files (and models) to figures: each figure kind names what it reads, checks that the file holds it and
// says which command writes it when it does not. The specs themselves are built in ./figures.ts.
import { toFloatTensor, toStringScalar, type NpyArray } from '../io/index.js';
import type { Tensor } from '../core/tensor.js';
import { checkValue, checkOptions, is, type Rules } from '../core/validate.js';
import { loadResult, type LoadedResult } from '../results/format.js';
import { loadModel } from '../model/files.js';
import type { AnyModel } from '../model/index.js';
import { tasks } from '../tasks/index.js';
import type { Task, TaskBatch } from '../tasks/types.js';
import { psychometricCurve } from '../tasks/psychometric.js';
import { pca } from '../analysis/measures.js';
import { projectOnLatent } from '../analysis/latent-projection.js';
import { minimalRank } from '../experiments/rank-sweep.js';
import type { Spec } from './render.js';
import * as fig from './figures.js';
import { combine } from './spec.js';

/** The figures `lowrank plot` draws, by name. */
export const FIGURE_KINDS = [
  'training',
  'trials',
  'psychometric',
  'trajectories',
  'latent-trajectories',
  'flow',
  'meanfield',
  'spectrum',
  'pca',
  'connectivity',
  'rank-sweep',
  'subsampling',
  'inactivation',
  'gains',
  'topology',
] as const;

/** The name of a figure. */
export type FigureKind = (typeof FIGURE_KINDS)[number];

/** Options of {@link figureFromFile}: for the figures drawn from a model, the task and trials it is run on. */
export interface FigureOptions {
  /** The task (default: the one in the model file's meta, which `lowrank train` records). */
  task?: string;
  /** The task's preset ('lint' or 'populations'), when the task is given. */
  preset?: string;
  /** Trials simulated (default 64). */
  trials?: number;
  /** Seed of the trials and of the noise (default 0). */
  seed?: number;
  /** The condition of a psychometric curve (default: coherence, or the first condition with several values). */
  condition?: string;
  /** A fixed-point file whose points place the nodes of a topology graph (default: a circle). */
  points?: string;
  /** Connectivity and gains: neurons drawn at most, every k-th ({@link neuronSubset}; default 2000, 0 = all). */
  maxPoints?: number;
}

/** The defaults of figureFromFile. */
export const FIGURE_DEFAULTS = Object.freeze({ trials: 64, seed: 0, maxPoints: 2000 });

const FIGURE_RULES: Rules<FigureOptions> = {
  task: is.string(),
  preset: is.string(),
  trials: is.integer(1, 100000),
  seed: is.seed(),
  condition: is.string(),
  points: is.string(),
  maxPoints: is.integer(0),
};

/** What each figure reads, for error messages: the result and the command that writes it. */
const SOURCES: Record<FigureKind, string> = {
  training: "a model file written by 'lowrank train' (its meta keeps the epochs) or a training checkpoint",
  trials: "a model file ('lowrank train', 'lowrank fit') and a task",
  psychometric: "a model file ('lowrank train', 'lowrank fit') and a task",
  trajectories: "a model file ('lowrank train', 'lowrank fit') and a task",
  'latent-trajectories': "a low-rank model file ('lowrank train', 'lowrank fit') and a task",
  flow: "a latent flow ('lowrank analyze latent-flow')",
  meanfield: "a mean-field comparison ('lowrank analyze meanfield')",
  spectrum: "eigenvalues: 'lowrank analyze linearize', 'lowrank analyze fixed-points', or arrays eigenvalues [n, 2] (and teacher_eigenvalues [n, 2])",
  pca: "measures ('lowrank analyze measures')",
  connectivity: 'a populations cluster result (arrays space, labels, weights, means, covariances, columns)',
  'rank-sweep': "a rank-sweep table ('lowrank fit --ranks ... --out', 'lowrank demo' results.npz)",
  subsampling: 'a subsampling table (columns fraction and r2, optionally full_r2)',
  inactivation: 'an inactivation result (arrays accuracy [G, C], groups, contexts, optionally baseline [C])',
  gains: 'a gains result (arrays gains [N, C], labels [N], contexts, optionally population_gains [K, C])',
  topology: "a topology graph ('lowrank analyze fixed-points --topology')",
};

/** Reads a result's arrays by name, with messages that say which figure needed what. */
class Arrays {
  constructor(
    readonly path: string,
    readonly kind: FigureKind,
    readonly result: LoadedResult,
  ) {}
  has(name: string): boolean {
    return name in this.result.arrays;
  }
  fail(what: string): never {
    const holds = this.result.meta ? `a ${this.result.meta.kind}${this.result.meta.analysis ? ` (${String(this.result.meta.analysis)})` : ''} result` : 'arrays without meta';
    throw new RangeError(`${this.path}: the '${this.kind}' figure needs ${what}; the file holds ${holds}. It reads ${SOURCES[this.kind]}`);
  }
  raw(name: string): NpyArray {
    return this.result.arrays[name] ?? this.fail(`an array '${name}'`);
  }
  float(name: string, dims?: number): Tensor<Float64Array> {
    const t = toFloatTensor(this.raw(name), `${this.path}, array '${name}'`, 'float64') as Tensor<Float64Array>;
    if (dims !== undefined && t.shape.length !== dims) this.fail(`'${name}' with ${dims} dimension${dims === 1 ? '' : 's'} (it has shape [${t.shape.join(', ')}])`);
    return t;
  }
  /** A list of names: a 0-d string holding a JSON list, or a string array. */
  names(name: string): string[] {
    const a = this.raw(name);
    if (a.dtype === 'unicode' && a.shape.length === 1) return [...(a.data as string[])];
    let list: unknown;
    try {
      list = JSON.parse(toStringScalar(a, `${this.path}, array '${name}'`));
    } catch (err) {
      this.fail(`'${name}' as a JSON list of names (${(err as Error).message})`);
    }
    if (!Array.isArray(list)) this.fail(`'${name}' as a JSON list of names`);
    return (list as unknown[]).map(String);
  }
  strings(name: string): string[] | undefined {
    const a = this.result.arrays[name];
    return a && a.dtype === 'unicode' ? [...(a.data as string[])] : undefined;
  }
  meta(key: string): unknown {
    return this.result.meta?.[key];
  }
}

function checkKind(kind: unknown): asserts kind is FigureKind {
  if (!(FIGURE_KINDS as readonly string[]).includes(kind as string)) {
    throw new RangeError(`figure must be one of ${FIGURE_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
}

/** Loads a result file for a figure (any kind: each figure checks what it reads). */
async function loadForFigure(path: string): Promise<LoadedResult> {
  return loadResult(path);
}

/** The Vega-Lite spec of figure `kind` drawn from the result (or model) file at `path`. */
export async function figureFromFile(kind: FigureKind, path: string, options: FigureOptions = {}): Promise<Spec> {
  checkKind(kind);
  return figureFromResult(kind, path, await loadForFigure(path), options);
}

/** The spec of figure `kind` drawn from a result already read from `path` (figures of a model read the model again). */
export async function figureFromResult(kind: FigureKind, path: string, result: LoadedResult, options: FigureOptions = {}): Promise<Spec> {
  checkKind(kind);
  const o = checkOptions<FigureOptions>('plot.figureFromFile', FIGURE_RULES, options, FIGURE_DEFAULTS);
  const a = new Arrays(path, kind, result);
  if (MODEL_FIGURES.has(kind)) return modelFigure(kind, a, o);
  return DRAW[kind as Exclude<FigureKind, ModelFigure>](a, o);
}

type ModelFigure = 'trials' | 'psychometric' | 'trajectories' | 'latent-trajectories';
const MODEL_FIGURES = new Set<FigureKind>(['trials', 'psychometric', 'trajectories', 'latent-trajectories']);

const DRAW: Record<Exclude<FigureKind, ModelFigure>, (a: Arrays, o: FigureOptions) => Spec | Promise<Spec>> = {
  training: trainingFigure,
  flow: (a) => fig.flowFigure(flowData(a, '')),
  meanfield: (a) => combine('Latent flow: finite N against mean field', [fig.flowFigure(flowData(a, 'finite.'), 'finite N'), fig.flowFigure(flowData(a, 'meanField.'), 'mean field')]),
  spectrum: spectrum,
  pca: (a) => fig.pcaFigure(a.float('pca.varianceRatio', 1).data),
  connectivity: (a, o) =>
    fig.connectivityFigure({
      maxPoints: o.maxPoints,
      space: a.float('space', 2),
      labels: a.float('labels', 1).data,
      weights: a.float('weights', 1).data,
      means: a.float('means', 2),
      covariances: a.float('covariances', 3),
      columns: a.names('columns'),
    }),
  'rank-sweep': rankSweep,
  subsampling: (a) => fig.subsamplingFigure({ fraction: a.float('fraction', 1).data, lowRank: a.float('r2', 1).data, fullRank: a.has('full_r2') ? a.float('full_r2', 1).data : undefined, rank: Number(a.meta('rank') ?? 1) }),
  inactivation: (a) => fig.inactivationFigure({ accuracy: a.float('accuracy', 2), groups: a.names('groups'), contexts: a.names('contexts'), baseline: a.has('baseline') ? a.float('baseline', 1).data : undefined }),
  gains: (a, o) =>
    fig.gainsFigure({ maxPoints: o.maxPoints, gains: a.float('gains', 2), labels: a.float('labels', 1).data, contexts: a.names('contexts'), populationGains: a.has('population_gains') ? a.float('population_gains', 2) : undefined }),
  topology: topologyFigure,
};

function trainingFigure(a: Arrays): Spec {
  const training = a.meta('training') as { epochs?: unknown } | undefined;
  const epochs = (Array.isArray(training?.epochs) ? training.epochs : a.meta('reports')) as fig.EpochPoint[] | undefined;
  if (!Array.isArray(epochs) || epochs.length === 0) a.fail("the epochs of a training run in its meta ('training.epochs' or a checkpoint's 'reports')");
  return fig.trainingCurves(epochs);
}

/** The flow stored under `prefix` (axes.0, axes.1, velocity, speed, dims; fixedPoints.*), restricted to the plotted axes. */
function flowData(a: Arrays, prefix: string): fig.FlowData {
  const axes = [a.float(`${prefix}axes.0`, 1).data];
  if (a.has(`${prefix}axes.1`)) axes.push(a.float(`${prefix}axes.1`, 1).data);
  const velocity = a.float(`${prefix}velocity`);
  const R = velocity.shape[velocity.shape.length - 1];
  const dims = a.has(`${prefix}dims`) ? Array.from(a.float(`${prefix}dims`, 1).data) : axes.map((_, i) => i);
  const P = velocity.data.length / R;
  const plotted = new Float64Array(P * dims.length);
  for (let p = 0; p < P; p++) dims.forEach((d, j) => (plotted[p * dims.length + j] = velocity.data[p * R + d]));
  const names = dims.map((d) => `κ${d + 1}`);
  const at = a.meta('at') as number[] | undefined;
  const note = R > 2 && at ? `slice: ${at.map((v, i) => (dims.includes(i) ? null : `κ${i + 1} = ${v}`)).filter(Boolean).join(', ')}` : undefined;
  return { axes, velocity: plotted, speed: a.float(`${prefix}speed`).data, names, fixedPoints: prefix ? [] : latentFixedPoints(a, dims, R), note };
}

/** The latent fixed points of a flow result, on the plotted axes, with each saddle's unstable direction. */
function latentFixedPoints(a: Arrays, dims: number[], R: number): fig.FlowFixedPoint[] {
  if (!a.has('fixedPoints.points')) return [];
  const points = a.float('fixedPoints.points', 2);
  const labels = a.strings('fixedPoints.stability') ?? [];
  const jacobians = a.has('fixedPoints.jacobians') ? a.float('fixedPoints.jacobians', 3).data : undefined;
  return Array.from({ length: points.shape[0] }, (_, f) => {
    const at = dims.map((d) => points.data[f * R + d]);
    const stability = labels[f] ?? 'marginal';
    const direction = stability === 'saddle' && jacobians ? unstableDirection(jacobians.subarray(f * R * R, (f + 1) * R * R), R) : undefined;
    return { at, stability, direction: direction && dims.map((d) => direction[d]) };
  });
}

/**
 * The eigenvector of the largest real eigenvalue of a small real R x R matrix (R <= 3; the latent Jacobian), by the
 * null space of J - lambda I: for R = 2 from one row, for R = 3 as the cross product of two rows.
 */
export function unstableDirection(J: ArrayLike<number>, R: number): number[] | undefined {
  checkValue('unstableDirection', 'J', J, is.numbers(), 'argument');
  checkValue('unstableDirection', 'R', R, is.integer(1), 'argument');
  const lambda = largestRealEigenvalue(J, R);
  if (lambda === undefined) return undefined;
  const A = Array.from({ length: R }, (_, i) => Array.from({ length: R }, (_, j) => J[i * R + j] - (i === j ? lambda : 0)));
  if (R === 1) return [1];
  if (R === 2) {
    const [[a, b], [c, d]] = A;
    const v = Math.hypot(a, b) >= Math.hypot(c, d) ? [-b, a] : [-d, c];
    return Math.hypot(v[0], v[1]) > 0 ? v : [1, 0];
  }
  if (R === 3) {
    let best: number[] = [1, 0, 0], bestNorm = 0;
    for (const [i, j] of [[0, 1], [0, 2], [1, 2]]) {
      const [u, w] = [A[i], A[j]];
      const v = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
      const n = Math.hypot(...v);
      if (n > bestNorm) [best, bestNorm] = [v, n];
    }
    return best;
  }
  return undefined;
}

/** The largest real eigenvalue of a real R x R matrix, R <= 3 (closed forms), or undefined. */
function largestRealEigenvalue(J: ArrayLike<number>, R: number): number | undefined {
  if (R === 1) return J[0];
  if (R === 2) {
    const tr = J[0] + J[3], det = J[0] * J[3] - J[1] * J[2], disc = (tr * tr) / 4 - det;
    return disc >= 0 ? tr / 2 + Math.sqrt(disc) : undefined;
  }
  if (R !== 3) return undefined;
  // characteristic polynomial l^3 - c2 l^2 + c1 l - c0, its largest real root by Newton from an upper bound
  const c2 = J[0] + J[4] + J[8];
  const c1 = J[0] * J[4] - J[1] * J[3] + J[0] * J[8] - J[2] * J[6] + J[4] * J[8] - J[5] * J[7];
  const c0 = J[0] * (J[4] * J[8] - J[5] * J[7]) - J[1] * (J[3] * J[8] - J[5] * J[6]) + J[2] * (J[3] * J[7] - J[4] * J[6]);
  let l = 1 + Math.max(...Array.from({ length: 9 }, (_, i) => Math.abs(J[i]))) * 3;
  for (let k = 0; k < 200; k++) {
    const p = ((l - c2) * l + c1) * l - c0, dp = (3 * l - 2 * c2) * l + c1;
    if (dp === 0) break;
    const next = l - p / dp;
    if (Math.abs(next - l) <= 1e-14 * Math.max(1, Math.abs(l))) return next;
    l = next;
  }
  return l;
}

/** At most this many rows of a [P, N] set of spectra are drawn (one colour each). */
const MAX_SPECTRA = 8;

function spectrum(a: Arrays): Spec {
  const convention = (a.meta('convention') as 'continuous' | 'discrete' | undefined) ?? 'continuous';
  const sets: fig.SpectrumSet[] = [];
  const pairs = (name: string, label: string) => {
    const t = a.float(name, 2);
    if (t.shape[1] !== 2) a.fail(`'${name}' of shape [n, 2] (real, imaginary)`);
    const n = t.shape[0];
    sets.push({ label, re: Array.from({ length: n }, (_, i) => t.data[2 * i]), im: Array.from({ length: n }, (_, i) => t.data[2 * i + 1]) });
  };
  if (a.has('eigenvalues')) {
    pairs('eigenvalues', a.has('teacher_eigenvalues') ? 'student' : 'eigenvalues');
    if (a.has('teacher_eigenvalues')) pairs('teacher_eigenvalues', 'teacher');
  } else if (a.has('eigenvalues.re')) {
    const re = a.float('eigenvalues.re'), im = a.float('eigenvalues.im');
    const n = re.shape[re.shape.length - 1];
    const rows = re.data.length / n;
    for (let r = 0; r < Math.min(rows, MAX_SPECTRA); r++) sets.push({ label: rows === 1 ? 'eigenvalues' : `state ${r}`, re: re.data.subarray(r * n, (r + 1) * n), im: im.data.subarray(r * n, (r + 1) * n) });
  } else a.fail("arrays 'eigenvalues' [n, 2] or 'eigenvalues.re' and 'eigenvalues.im'");
  return fig.spectrumFigure(sets, convention);
}

function rankSweep(a: Arrays): Spec {
  const rank = a.float('rank', 1).data;
  const fitColumn = a.has('fit_r2') ? 'fit_r2' : 'r2';
  const fit = a.float(fitColumn, 1).data;
  const truncation = a.has('truncation_r2') ? a.float('truncation_r2', 1).data : undefined;
  const stored = a.meta('minimalRank');
  const rows = Array.from(rank, (r, i) => ({ rank: r, r2: fit[i] })).filter((r) => Number.isFinite(r.r2));
  const minimal = typeof stored === 'number' ? stored : rows.length ? minimalRank(rows, Number(a.meta('fraction') ?? 0.95)).rank : undefined;
  return fig.rankSweepFigure({ rank, fit, truncation, minimalRank: minimal });
}

async function topologyFigure(a: Arrays, o: FigureOptions): Promise<Spec> {
  const probabilities = a.float('probabilities', 2);
  if (!o.points) return fig.topologyFigure({ probabilities });
  const fp = new Arrays(o.points, 'topology', await loadResult(o.points, 'fixed-points'));
  const points = fp.float('points', 2);
  if (points.shape[0] !== probabilities.shape[0]) {
    throw new RangeError(`${o.points} has ${points.shape[0]} fixed points but the topology graph ${probabilities.shape[0]}; give the fixed-point file the graph was computed from`);
  }
  const positions = points.shape[0] >= 2 ? await pcaScores(points, 2) : undefined;
  return fig.topologyFigure({ probabilities, stability: fp.strings('stability.type'), positions });
}

/** The first `k` principal-component scores of rows [S, N] (zeros past the rank of the data), [S, k]. */
async function pcaScores(rows: Tensor, k: number): Promise<Tensor<Float64Array>> {
  const [S, N] = [rows.shape[0], rows.shape[rows.shape.length - 1]];
  const p = await pca({ data: rows.data, shape: [S, N] }, { components: Math.min(k, N, S) });
  const got = p.scores.shape[1];
  const out = new Float64Array(S * k);
  for (let s = 0; s < S; s++) for (let c = 0; c < got; c++) out[s * k + c] = p.scores.data[s * got + c];
  return { data: out, shape: [S, k] };
}

/** The task of a model figure: the option, or the task the model file's meta records. */
function modelTask(a: Arrays, o: FigureOptions): Task {
  const name = o.task ?? (a.meta('task') as string | undefined);
  if (!name) throw new RangeError(`${a.path}: the '${a.kind}' figure runs the model on a task; give one (--task: ${tasks.names.join(', ')}); the file does not record one`);
  const preset = o.preset ?? (o.task ? undefined : (a.meta('preset') as string | undefined));
  return tasks.byName(name, preset ? { preset } : {});
}

/** A label per trial for colouring: its context and choice where the task has them, else its first condition. */
export function conditionLabels(batch: TaskBatch): string[] {
  const keys = Object.keys(batch.conditions);
  const chosen = ['context', 'choice'].filter((k) => keys.includes(k));
  const use = chosen.length ? chosen : keys.slice(0, 1);
  const B = batch.inputs.shape[0];
  return Array.from({ length: B }, (_, b) => (use.length ? use.map((k) => `${k} ${batch.conditions[k][b]}`).join(', ') : 'all trials'));
}

async function modelFigure(kind: FigureKind, a: Arrays, o: FigureOptions): Promise<Spec> {
  const kinds = ['model', 'checkpoint', 'fit'];
  if (a.result.meta && !kinds.includes(a.result.meta.kind)) a.fail('a model');
  const task = modelTask(a, o);
  const model = await loadModel(a.path, { dtype: 'float64' });
  try {
    if (task.inputSize !== model.inputSize) throw new RangeError(`${a.path}: task ${task.name} has ${task.inputSize} inputs but the model takes ${model.inputSize}`);
    if (kind === 'psychometric') {
      if (model.outputSize === 0) throw new RangeError(`${a.path}: the 'psychometric' figure needs a model with a readout; this one has no outputs (a LINT fit to rates)`);
      return await psychometric(model, task, o);
    }
    const batch = task.sample(o.trials!, { seed: o.seed });
    // trials show the network as it runs (its noise drawn); trajectories are drawn noise-free, as condition averages
    const sim = await model.simulate(batch.inputs, { seed: o.seed, drawNoise: kind === 'trials', outputs: kind === 'trials', states: kind !== 'trials' });
    if (kind === 'trials') return fig.trialsFigure({ inputs: batch.inputs, outputs: sim.outputs!, targets: batch.targets, mask: batch.mask, dt: task.dt }, `Trials of ${task.name}`);
    const conditions = conditionLabels(batch);
    if (kind === 'trajectories') {
      const scores = await statePcs(sim.states!, 2);
      return fig.trajectoriesFigure({ coords: scores, conditions, axes: ['PC 1 (a.u.)', 'PC 2 (a.u.)'] }, `Trajectories on principal components (${task.name})`);
    }
    const { coords, axes } = await latentCoordinates(model, sim.states!);
    return fig.trajectoriesFigure({ coords, conditions, axes }, `Trajectories on the LINT axes (${task.name})`);
  } finally {
    model.dispose();
  }
}

/** PCA scores of states [B, T, N] on the first k components, [B, T, k]. */
export async function statePcs(states: Tensor, k: number): Promise<Tensor<Float64Array>> {
  const [B, T, N] = states.shape;
  const scores = await pcaScores({ data: states.data, shape: [B * T, N] }, k);
  return { data: scores.data, shape: [B, T, k] };
}

/** States on the LINT axes: kappa along each m_r, then the input coordinates v_k, [B, T, R + K], with their names. */
async function latentCoordinates(model: AnyModel, states: Tensor): Promise<{ coords: Tensor; axes: [string, string] }> {
  if (!('rank' in model)) throw new RangeError("the 'latent-trajectories' figure needs a low-rank model (m, n); this one is full-rank: draw 'trajectories' instead");
  const p = await projectOnLatent(model, states);
  const [B, T, R] = p.kappa.shape;
  const K = p.inputs ? p.inputs.shape[2] : 0;
  const D = R + K;
  const data = new Float64Array(B * T * D);
  for (let i = 0; i < B * T; i++) {
    data.set(p.kappa.data.subarray(i * R, (i + 1) * R), i * D);
    if (p.inputs) data.set(p.inputs.data.subarray(i * K, (i + 1) * K), i * D + R);
  }
  const names = [...Array.from({ length: R }, (_, r) => `κ${r + 1} (along m${r + 1})`), ...Array.from({ length: K }, (_, k) => `v${k + 1} (along input ${k + 1})`)];
  if (D < 2) throw new RangeError('the model has one latent coordinate and no input: draw the flow instead');
  return { coords: { data, shape: [B, T, D] }, axes: [names[0], names[1]] };
}

async function psychometric(model: AnyModel, task: Task, o: FigureOptions): Promise<Spec> {
  const sample = task.sample(200, { seed: o.seed });
  const keys = Object.keys(sample.conditions).filter((k) => new Set(sample.conditions[k]).size > 2);
  const key = o.condition ?? keys.find((k) => k.startsWith('coherence')) ?? keys[0];
  if (!key || !(key in sample.conditions)) throw new RangeError(`task ${task.name} has no condition ${o.condition ?? 'with several values'}; its conditions: ${Object.keys(sample.conditions).join(', ')}`);
  const values = [...new Set(sample.conditions[key])].sort((x, y) => x - y);
  const run = async (inputs: Tensor) => (await model.simulate(inputs, { seed: o.seed, states: false })).outputs!;
  const curve = await psychometricCurve(task, run, key, values, { repeats: 20, seed: o.seed });
  return fig.psychometricFigure([{ label: task.name, values: curve.values, fractionPositive: curve.fractionPositive }], key, `Psychometric curve (${task.name})`);
}
