// One function per figure: plain data in, a Vega-Lite spec out (render it with `svg` or `png`). The functions that
// read result files and models are in ./results.ts; these know nothing about files.
import { checkValue, is } from '../core/validate.js';
import type { Tensor } from '../core/tensor.js';
import type { Spec } from './render.js';
import { PANEL, figure, stabilityColour, value } from './spec.js';
import { populationName } from '../populations/names.js';

type Row = Record<string, number | string | null>;

/** One epoch of a training run, as `train` reports it (EpochReport). */
export interface EpochPoint {
  /** The epoch, from 1. */
  epoch: number;
  /** Mean minibatch loss. */
  loss: number;
  /** Loss on the held-out trials. */
  validationLoss?: number;
  /** Task accuracy on the held-out trials. */
  validationAccuracy?: number;
  /** Learning rate of the epoch. */
  lr: number;
}

/** Training curves: loss and validation loss (log scale), validation accuracy and the learning rate, per epoch. */
export function trainingCurves(epochs: readonly EpochPoint[], title = 'Training'): Spec {
  checkValue('trainingCurves', 'epochs', epochs, is.list(), 'argument');
  const losses: Row[] = [];
  const other: Row[] = [];
  for (const e of epochs) {
    losses.push({ epoch: e.epoch, series: 'training loss', value: value(e.loss) });
    if (e.validationLoss !== undefined) losses.push({ epoch: e.epoch, series: 'validation loss', value: value(e.validationLoss) });
    other.push({ epoch: e.epoch, accuracy: value(e.validationAccuracy), lr: value(e.lr) });
  }
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch' };
  const panel = (y: Record<string, unknown>, data: Row[], extra: Record<string, unknown> = {}) => ({
    width: PANEL.width,
    height: 160,
    data: { values: data },
    mark: { type: 'line', point: true },
    encoding: { x, y, ...extra },
  });
  const panels = [
    panel({ field: 'value', type: 'quantitative', title: 'loss (masked MSE)', scale: { type: 'log' } }, losses, { color: { field: 'series', type: 'nominal', title: null } }),
    panel({ field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log' } }, other),
  ];
  if (epochs.some((e) => e.validationAccuracy !== undefined)) {
    panels.splice(1, 0, panel({ field: 'accuracy', type: 'quantitative', title: 'validation accuracy (fraction)', scale: { domain: [0, 1] } }, other));
  }
  return figure(title, { vconcat: panels, resolve: { scale: { color: 'independent' } } });
}

/** Trials of a task: inputs, and outputs against targets, batch-major tensors. */
export interface TrialsData {
  /** Inputs [B, T, K]. */
  inputs: Tensor;
  /** The network's outputs [B, T, O]. */
  outputs: Tensor;
  /** Targets [B, T, O] (NaN where undefined). */
  targets: Tensor;
  /** The loss mask [B, T, O]: targets are drawn only where it is non-zero. */
  mask?: Tensor;
  /** Time step in ms (default: the axis counts steps). */
  dt?: number;
  /** Trials shown, from the first (default 3). */
  count?: number;
}

/** Task trials: per trial, the inputs, and the outputs (solid) against the targets (dashed). */
export function trialsFigure(d: TrialsData, title = 'Trials'): Spec {
  checkValue('trialsFigure', 'd', d, is.object(), 'argument');
  const [B, T, K] = d.inputs.shape;
  const O = d.outputs.shape[2];
  const time = (t: number) => (d.dt ? t * d.dt : t);
  const timeTitle = d.dt ? 'time (ms)' : 'time (steps)';
  const rows: Spec[] = [];
  for (let b = 0; b < Math.min(B, d.count ?? 3); b++) {
    const inputs: Row[] = [];
    const outputs: Row[] = [];
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) inputs.push({ time: time(t), channel: `input ${k + 1}`, value: value(d.inputs.data[(b * T + t) * K + k]) });
      for (let o = 0; o < O; o++) {
        const i = (b * T + t) * O + o;
        outputs.push({ time: time(t), channel: `output ${o + 1}`, series: 'network', value: value(d.outputs.data[i]) });
        const masked = d.mask && d.mask.data[i] === 0;
        outputs.push({ time: time(t), channel: `output ${o + 1}`, series: 'target', value: masked ? null : value(d.targets.data[i]) });
      }
    }
    const x = { field: 'time', type: 'quantitative', title: timeTitle };
    const panels: Record<string, unknown>[] = [
      { title: `trial ${b + 1}: inputs`, width: 260, height: 120, data: { values: inputs }, mark: 'line', encoding: { x, y: { field: 'value', type: 'quantitative', title: 'input (a.u.)' }, color: { field: 'channel', type: 'nominal', title: 'input' } } },
    ];
    // a network without readout (a LINT fit to rates) has only its inputs to show
    if (O > 0) {
      panels.push({
        title: `trial ${b + 1}: output and target`,
        width: 260,
        height: 120,
        data: { values: outputs },
        mark: 'line',
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'output (a.u.)' },
          color: { field: 'channel', type: 'nominal', title: 'output' },
          strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain: ['network', 'target'], range: [[1, 0], [4, 3]] } },
          detail: { field: 'series', type: 'nominal' },
        },
      });
    }
    rows.push({ hconcat: panels, resolve: { scale: { color: 'independent' } } } as unknown as Spec);
  }
  return figure(title, { vconcat: rows });
}

/** One psychometric curve: the fraction of positive decisions per value of a condition. */
export interface PsychometricData {
  /** The curve's name (e.g. the context), shown in the legend. */
  label: string;
  /** Values of the condition. */
  values: readonly number[];
  /** Fraction of trials with a positive decision, per value. */
  fractionPositive: readonly number[];
}

/** Psychometric curves: fraction of positive decisions against the condition, one line per curve. */
export function psychometricFigure(curves: readonly PsychometricData[], condition: string, title = 'Psychometric curves'): Spec {
  checkValue('psychometricFigure', 'curves', curves, is.list(), 'argument');
  const rows: Row[] = curves.flatMap((c) => c.values.map((v, i) => ({ curve: c.label, x: value(v), y: value(c.fractionPositive[i]) })));
  return figure(title, {
    width: PANEL.width,
    height: PANEL.height,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: condition },
      y: { field: 'y', type: 'quantitative', title: 'positive decisions (fraction)', scale: { domain: [0, 1] } },
      color: { field: 'curve', type: 'nominal', title: null },
    },
  });
}

/** Trajectories in two coordinates, with the condition of each trial. */
export interface TrajectoryData {
  /** Coordinates [B, T, D] (D >= 2; the first two are drawn). */
  coords: Tensor;
  /** The condition of each trial (B labels): trials of one condition are averaged into one line. */
  conditions: readonly string[];
  /** The titles of the two axes. */
  axes: [string, string];
}

/** Condition-averaged trajectories in two coordinates: one line per condition, a circle at its start. */
export function trajectoriesFigure(d: TrajectoryData, title = 'Trajectories'): Spec {
  checkValue('trajectoriesFigure', 'd', d, is.object(), 'argument');
  const [B, T, D] = d.coords.shape;
  if (d.conditions.length !== B) throw new RangeError(`conditions must hold one label per trial (${B}); got ${d.conditions.length}`);
  const sums = new Map<string, { n: number; xy: Float64Array }>();
  for (let b = 0; b < B; b++) {
    const entry = sums.get(d.conditions[b]) ?? { n: 0, xy: new Float64Array(T * 2) };
    entry.n++;
    for (let t = 0; t < T; t++) for (let c = 0; c < 2; c++) entry.xy[t * 2 + c] += d.coords.data[(b * T + t) * D + c];
    sums.set(d.conditions[b], entry);
  }
  const rows: Row[] = [];
  for (const [condition, { n, xy }] of sums) {
    for (let t = 0; t < T; t++) rows.push({ condition, step: t, x: value(xy[t * 2] / n), y: value(xy[t * 2 + 1] / n) });
  }
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: d.axes[0] },
    y: { field: 'y', type: 'quantitative', title: d.axes[1] },
    color: { field: 'condition', type: 'nominal', title: 'condition' },
  };
  return figure(title, {
    width: PANEL.width,
    height: PANEL.height,
    data: { values: rows },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...encoding, order: { field: 'step', type: 'quantitative' } } },
      { transform: [{ filter: 'datum.step === 0' }], mark: { type: 'circle', size: 40, opacity: 1 }, encoding },
    ],
  });
}

/** A fixed point of a latent flow, in the plotted coordinates. */
export interface FlowFixedPoint {
  /** Coordinates on the plotted axes (one for rank 1, two otherwise). */
  at: number[];
  /** Its stability label (stable, saddle, unstable, marginal). */
  stability: string;
  /** For a saddle: its unstable direction in the plotted coordinates (drawn as a line through the point). */
  direction?: number[];
}

/** A latent flow on a grid, as `analysis.latentFlowField` computes it, restricted to the plotted axes. */
export interface FlowData {
  /** Cell-centre coordinates of each plotted axis (one axis for rank 1, two otherwise). */
  axes: ArrayLike<number>[];
  /** Velocity along the plotted axes: [res] for rank 1, [res_y, res_x, 2] otherwise. */
  velocity: ArrayLike<number>;
  /** Speed |kappa'| (all components): [res] or [res_y, res_x]. */
  speed: ArrayLike<number>;
  /** Names of the plotted axes (default kappa_1, kappa_2). */
  names?: string[];
  /** Fixed points to mark. */
  fixedPoints?: readonly FlowFixedPoint[];
  /** Subtitle, e.g. the slice of a rank-3 flow. */
  note?: string;
}

function fixedPointLayer(points: readonly FlowFixedPoint[], rank1: boolean) {
  const rows: Row[] = points.map((p) => ({ x: value(p.at[0]), y: rank1 ? 0 : value(p.at[1]), stability: p.stability }));
  return {
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 90, stroke: 'black', strokeWidth: 0.8, shape: 'circle' },
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: stabilityColour() },
  };
}

/** A phase portrait: kappa' against kappa for rank 1; arrows coloured by speed for rank 2 (or a slice of rank 3). */
export function flowFigure(d: FlowData, title = 'Latent flow'): Spec {
  checkValue('flowFigure', 'd', d, is.object(), 'argument');
  const names = d.names ?? d.axes.map((_, i) => `κ${i + 1}`);
  const points = d.fixedPoints ?? [];
  if (d.axes.length === 1) {
    const rows: Row[] = Array.from(d.axes[0], (k, i) => ({ x: value(k), v: value(d.velocity[i]) }));
    return figure(title, {
      width: PANEL.width,
      height: PANEL.height,
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
        { data: { values: rows }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative', title: names[0] }, y: { field: 'v', type: 'quantitative', title: `d${names[0]}/dt (1/τ)` } } },
        fixedPointLayer(points, true),
      ],
    });
  }
  return figure(d.note ? `${title} (${d.note})` : title, { width: 320, height: 320, layer: [...arrowLayers(d, names), ...saddleLayers(d), fixedPointLayer(points, false)] });
}

/** Arrows on a sub-grid of about 20 x 20: a line of fixed length along the flow and a triangle at its head. */
function arrowLayers(d: FlowData, names: string[]) {
  const [xs, ys] = d.axes;
  const nx = xs.length, ny = ys.length;
  const step = Math.max(1, Math.round(Math.max(nx, ny) / 20));
  const span = (a: ArrayLike<number>) => Math.abs(a[a.length - 1] - a[0]) || 1;
  const length = 0.4 * step * Math.min(span(xs) / Math.max(1, nx - 1), span(ys) / Math.max(1, ny - 1));
  const rows: Row[] = [];
  for (let j = Math.floor(step / 2); j < ny; j += step) {
    for (let i = Math.floor(step / 2); i < nx; i += step) {
      const p = j * nx + i;
      const vx = d.velocity[p * 2], vy = d.velocity[p * 2 + 1];
      const norm = Math.hypot(vx, vy);
      if (!(norm > 0)) {
        rows.push({ x: xs[i], y: ys[j], x2: xs[i], y2: ys[j], angle: 0, speed: value(d.speed[p]) });
        continue;
      }
      const dx = (length * vx) / norm, dy = (length * vy) / norm;
      const angle = (Math.atan2(dx / span(xs), dy / span(ys)) * 180) / Math.PI;
      rows.push({ x: xs[i] - dx, y: ys[j] - dy, x2: xs[i] + dx, y2: ys[j] + dy, angle: (angle + 360) % 360, speed: value(d.speed[p]) });
    }
  }
  const colour = { field: 'speed', type: 'quantitative', title: '|dκ/dt| (1/τ)', scale: { scheme: 'viridis' } };
  const x = { field: 'x', type: 'quantitative', title: names[0], scale: { domain: [xs[0], xs[nx - 1]], nice: false } };
  const y = { field: 'y', type: 'quantitative', title: names[1], scale: { domain: [ys[0], ys[ny - 1]], nice: false } };
  return [
    { data: { values: rows }, mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, y, x2: { field: 'x2' }, y2: { field: 'y2' }, color: colour } },
    {
      data: { values: rows },
      mark: { type: 'point', shape: 'triangle', filled: true, size: 18 },
      encoding: { x: { field: 'x2', type: 'quantitative' }, y: { field: 'y2', type: 'quantitative' }, angle: { field: 'angle', type: 'quantitative', scale: { domain: [0, 360], range: [0, 360] } }, color: colour },
    },
  ];
}

/** A line along the unstable direction of each saddle. */
function saddleLayers(d: FlowData) {
  const saddles = (d.fixedPoints ?? []).filter((p) => p.direction && p.direction.length >= 2);
  if (saddles.length === 0) return [];
  const [xs, ys] = d.axes;
  const reach = 0.2 * Math.min(Math.abs(xs[xs.length - 1] - xs[0]), Math.abs(ys[ys.length - 1] - ys[0]));
  const rows: Row[] = saddles.map((p) => {
    const [u, v] = p.direction!;
    const n = Math.hypot(u, v) || 1;
    return { x: p.at[0] - (reach * u) / n, y: p.at[1] - (reach * v) / n, x2: p.at[0] + (reach * u) / n, y2: p.at[1] + (reach * v) / n };
  });
  return [{ data: { values: rows }, mark: { type: 'rule', color: '#e08214', strokeWidth: 2.5, strokeDash: [5, 3] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' } } }];
}

/** One set of eigenvalues in the complex plane. */
export interface SpectrumSet {
  /** Shown in the legend (e.g. student, teacher, or a fixed point). */
  label: string;
  /** Real parts. */
  re: ArrayLike<number>;
  /** Imaginary parts. */
  im: ArrayLike<number>;
}

/**
 * Eigenvalue spectra in the complex plane, with the stability boundary: the line Re = 0 for Jacobians in continuous
 * time (units 1/τ), the unit circle for discrete-time maps.
 */
export function spectrumFigure(sets: readonly SpectrumSet[], convention: 'continuous' | 'discrete', title = 'Eigenvalue spectrum'): Spec {
  checkValue('spectrumFigure', 'sets', sets, is.list(), 'argument');
  const rows: Row[] = sets.flatMap((s) => Array.from(s.re, (re, i) => ({ set: s.label, re: value(re), im: value(s.im[i]) })));
  const unit = convention === 'continuous' ? ' (1/τ)' : '';
  const x = { field: 're', type: 'quantitative', title: `Re λ${unit}` };
  const y = { field: 'im', type: 'quantitative', title: `Im λ${unit}` };
  const boundary =
    convention === 'continuous'
      ? { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { field: 'zero', type: 'quantitative' } } }
      : {
          data: { values: Array.from({ length: 121 }, (_, i) => ({ i, re: Math.cos((i * Math.PI) / 60), im: Math.sin((i * Math.PI) / 60) })) },
          mark: { type: 'line', color: '#888', strokeDash: [4, 3] },
          encoding: { x: { field: 're', type: 'quantitative' }, y: { field: 'im', type: 'quantitative' }, order: { field: 'i', type: 'quantitative' } },
        };
  return figure(title, {
    width: 300,
    height: 300,
    layer: [
      boundary,
      { data: { values: rows }, mark: { type: 'point', filled: true, size: 30, opacity: 0.7 }, encoding: { x, y, color: { field: 'set', type: 'nominal', title: null }, shape: { field: 'set', type: 'nominal', title: null } } },
    ],
  });
}

/** A fitted Gaussian mixture in connectivity space, as the populations cluster result stores it. */
export interface ConnectivityData {
  /** The connectivity space [N, D], one row per neuron. */
  space: Tensor;
  /** The population of each neuron [N]. */
  labels: ArrayLike<number>;
  /** Mixture weights [K]. */
  weights: ArrayLike<number>;
  /** Means [K, D]. */
  means: Tensor;
  /** Covariances [K, D, D]. */
  covariances: Tensor;
  /** Names of the D columns (e.g. m1, n1, I1, w1). */
  columns: readonly string[];
  /** Columns drawn at most (default 6, the first ones). */
  maxColumns?: number;
  /** Neurons drawn at most (default 2000; see {@link neuronSubset}; the ellipses use the full fit). 0 draws all. */
  maxPoints?: number;
}

/**
 * The neurons a per-neuron figure draws when it may draw at most `maxPoints` of N (0 or undefined limit: all):
 * every k-th neuron, k = ceil(N / maxPoints), from neuron 0. Deterministic (the same file always draws the same
 * figure) and proportional to each population's size whatever the order of the neurons (a resampled net stores its
 * populations as contiguous blocks). `note` says it for the title: "one neuron in k of N", or '' when all are drawn.
 */
export function neuronSubset(N: number, maxPoints: number | undefined): { neurons: number[]; note: string } {
  checkValue('neuronSubset', 'N', N, is.integer(0), 'argument');
  if (maxPoints !== undefined) checkValue('neuronSubset', 'maxPoints', maxPoints, is.integer(0), 'argument');
  const stride = maxPoints && maxPoints > 0 ? Math.max(1, Math.ceil(N / maxPoints)) : 1;
  return { neurons: Array.from({ length: Math.ceil(N / stride) }, (_, j) => j * stride), note: stride > 1 ? `one neuron in ${stride} of ${N}` : '' };
}

/** The 2-sigma ellipse of a 2 x 2 covariance around a mean, as 61 points. */
function ellipse(mx: number, my: number, a: number, b: number, c: number): { x: number; y: number }[] {
  const half = (a + c) / 2, root = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  const l1 = Math.max(0, half + root), l2 = Math.max(0, half - root);
  const theta = Math.abs(b) > 1e-300 ? Math.atan2(l1 - a, b) : a >= c ? 0 : Math.PI / 2;
  const [ct, st] = [Math.cos(theta), Math.sin(theta)];
  return Array.from({ length: 61 }, (_, i) => {
    const t = (i * 2 * Math.PI) / 60;
    const u = 2 * Math.sqrt(l1) * Math.cos(t), v = 2 * Math.sqrt(l2) * Math.sin(t);
    return { x: mx + u * ct - v * st, y: my + u * st + v * ct };
  });
}

/** A scatter matrix of connectivity space, neurons coloured by population, with each Gaussian's 2-sigma ellipse. */
export function connectivityFigure(d: ConnectivityData, title = 'Connectivity space'): Spec {
  checkValue('connectivityFigure', 'd', d, is.object(), 'argument');
  const [N, D] = d.space.shape;
  const K = d.means.shape[0];
  const shown = Math.min(D, d.maxColumns ?? 6);
  const population = populationName;
  const colour = { field: 'population', type: 'nominal', title: 'population', scale: { domain: Array.from({ length: K }, (_, k) => population(k)) } };
  const size = shown > 3 ? 130 : 180;
  const { neurons: drawn, note } = neuronSubset(N, d.maxPoints ?? 2000);
  const rows: Spec[] = [];
  for (let r = 0; r < shown; r++) {
    const cells: Record<string, unknown>[] = [];
    for (let c = 0; c < shown; c++) {
      const x = { field: 'x', type: 'quantitative', title: d.columns[c] };
      if (r === c) {
        const values = drawn.map((i) => ({ x: value(d.space.data[i * D + c]), population: population(d.labels[i]) }));
        cells.push({ width: size, height: size, data: { values }, mark: { type: 'bar', opacity: 0.6 }, encoding: { x: { ...x, bin: { maxbins: 30 } }, y: { aggregate: 'count', type: 'quantitative', title: 'neurons', stack: null }, color: colour } });
        continue;
      }
      const points = drawn.map((i) => ({ x: value(d.space.data[i * D + c]), y: value(d.space.data[i * D + r]), population: population(d.labels[i]) }));
      const ellipses: Row[] = [];
      for (let k = 0; k < K; k++) {
        const cov = (i: number, j: number) => d.covariances.data[(k * D + i) * D + j];
        ellipse(d.means.data[k * D + c], d.means.data[k * D + r], cov(c, c), cov(c, r), cov(r, r)).forEach((p, i) => ellipses.push({ ...p, i, population: population(k) }));
      }
      const y = { field: 'y', type: 'quantitative', title: d.columns[r] };
      cells.push({
        width: size,
        height: size,
        layer: [
          { data: { values: points }, mark: { type: 'circle', size: 10, opacity: 0.5, aria: false }, encoding: { x, y, color: colour } },
          { data: { values: ellipses }, mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, order: { field: 'i', type: 'quantitative' }, detail: { field: 'population', type: 'nominal' }, color: colour } },
        ],
      });
    }
    rows.push({ hconcat: cells } as unknown as Spec);
  }
  const weights = Array.from(d.weights, (w) => Number(w).toFixed(2)).join(', ');
  const subset = [shown < D ? `first ${shown} of ${D} columns` : '', note].filter(Boolean).join('; ');
  return figure(`${title} (weights ${weights}${subset ? `; ${subset}` : ''})`, { vconcat: rows });
}

/** The R² of fits and of truncations, per rank. */
export interface RankSweepData {
  /** Ranks. */
  rank: ArrayLike<number>;
  /** R² of the fit of each rank. */
  fit: ArrayLike<number>;
  /** R² of the SVD truncation of each rank (optional). */
  truncation?: ArrayLike<number>;
  /** The minimal rank, marked with a vertical rule. */
  minimalRank?: number;
}

/** R² against rank: fits against truncations, the minimal rank marked. */
export function rankSweepFigure(d: RankSweepData, title = 'R² against rank'): Spec {
  checkValue('rankSweepFigure', 'd', d, is.object(), 'argument');
  const rows: Row[] = [];
  Array.from(d.rank).forEach((rank, i) => {
    rows.push({ rank, method: 'LINT fit', r2: value(d.fit[i]) });
    if (d.truncation) rows.push({ rank, method: 'SVD truncation', r2: value(d.truncation[i]) });
  });
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rank', type: 'quantitative', title: 'rank', axis: { tickMinStep: 1 } },
        y: { field: 'r2', type: 'quantitative', title: 'R² (fraction of variance)' },
        color: { field: 'method', type: 'nominal', title: null },
      },
    },
  ];
  if (d.minimalRank !== undefined) {
    const marker = { values: [{ rank: d.minimalRank, label: `minimal rank ${d.minimalRank}` }] };
    layers.push({ data: marker, mark: { type: 'rule', strokeDash: [4, 3], color: '#444' }, encoding: { x: { field: 'rank', type: 'quantitative' }, tooltip: { field: 'label' } } });
    layers.push({ data: marker, mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, y: 4, color: '#444' }, encoding: { x: { field: 'rank', type: 'quantitative' }, text: { field: 'label' } } });
  }
  return figure(title, { width: PANEL.width, height: PANEL.height, layer: layers });
}

/** The R² of students fitted to random subsets of a teacher's neurons: one entry per draw. */
export interface SubsamplingData {
  /** The fraction of neurons of each draw. */
  fraction: ArrayLike<number>;
  /** The rank-R student's R² per draw. */
  lowRank: ArrayLike<number>;
  /** The unconstrained student's R² per draw (optional). */
  fullRank?: ArrayLike<number>;
  /** The rank of the constrained student (for the legend; default 1). */
  rank?: number;
}

/** Subsampling curves: mean R² per fraction of neurons (log scale) with error bars of one standard deviation. */
export function subsamplingFigure(d: SubsamplingData, title = 'Subsampling'): Spec {
  checkValue('subsamplingFigure', 'd', d, is.object(), 'argument');
  const rows: Row[] = [];
  Array.from(d.fraction).forEach((p, i) => {
    rows.push({ fraction: p, student: `rank ${d.rank ?? 1}`, r2: value(d.lowRank[i]) });
    if (d.fullRank) rows.push({ fraction: p, student: 'full rank', r2: value(d.fullRank[i]) });
  });
  const x = { field: 'fraction', type: 'quantitative', title: 'fraction of neurons observed', scale: { type: 'log' } };
  const colour = { field: 'student', type: 'nominal', title: null };
  return figure(title, {
    width: PANEL.width,
    height: PANEL.height,
    data: { values: rows },
    layer: [
      { mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { x, y: { field: 'r2', type: 'quantitative', title: 'R² against the teacher' }, color: colour } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'r2', aggregate: 'mean', type: 'quantitative' }, color: colour } },
    ],
  });
}

/** Task accuracy after inactivating groups of neurons, per context. */
export interface InactivationData {
  /** Accuracy [G, C]. */
  accuracy: Tensor;
  /** Names of the G groups inactivated (e.g. population 0, population 1, random). */
  groups: readonly string[];
  /** Names of the C contexts. */
  contexts: readonly string[];
  /** The intact network's accuracy per context [C], drawn first as the group 'intact' (optional). */
  baseline?: ArrayLike<number>;
}

/** Inactivation bars: accuracy per inactivated group, one bar per context; the intact network's accuracy first. */
export function inactivationFigure(d: InactivationData, title = 'Inactivation'): Spec {
  checkValue('inactivationFigure', 'd', d, is.object(), 'argument');
  const [, C] = d.accuracy.shape;
  const G = d.accuracy.shape[0] + (d.baseline ? 1 : 0);
  const rows: Row[] = [];
  if (d.baseline) for (let c = 0; c < C; c++) rows.push({ group: 'intact', context: d.contexts[c], accuracy: value(d.baseline[c]) });
  for (let g = 0; g < d.accuracy.shape[0]; g++) for (let c = 0; c < C; c++) rows.push({ group: d.groups[g], context: d.contexts[c], accuracy: value(d.accuracy.data[g * C + c]) });
  return figure(title, {
    width: Math.max(PANEL.width, 40 * G * Math.max(1, C / 2)),
    height: PANEL.height,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'group', type: 'nominal', title: 'neurons inactivated', sort: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'context', type: 'nominal', sort: null },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (fraction)', scale: { domain: [0, 1] } },
      color: { field: 'context', type: 'nominal', title: 'context', sort: null },
    },
  });
}

/** Gains of each neuron per context, with the populations they belong to. */
export interface GainsData {
  /** Gains [N, C]. */
  gains: Tensor;
  /** The population of each neuron [N]. */
  labels: ArrayLike<number>;
  /** Names of the C contexts. */
  contexts: readonly string[];
  /** Mean gain of each population per context [K, C] (drawn as a bar). */
  populationGains?: Tensor;
  /** Neurons drawn at most (default 2000; see {@link neuronSubset}; the bars use every neuron). 0 draws all. */
  maxPoints?: number;
}

/** Gains per population: one panel per context, a dot per neuron and a bar for each population's gain. */
export function gainsFigure(d: GainsData, title = 'Gains per population'): Spec {
  checkValue('gainsFigure', 'd', d, is.object(), 'argument');
  const [N, C] = d.gains.shape;
  const population = populationName;
  const { neurons: drawn, note } = neuronSubset(N, d.maxPoints ?? 2000);
  const panels = Array.from({ length: C }, (_, c) => {
    // a fixed jitter (golden-ratio sequence), so that the same result always draws the same figure
    const neurons = drawn.map((i) => ({ population: population(d.labels[i]), gain: value(d.gains.data[i * C + c]), jitter: (i * 0.6180339887) % 1 }));
    const layers: Record<string, unknown>[] = [];
    const x = { field: 'population', type: 'nominal', title: null, sort: 'ascending', axis: { labelAngle: 0 } };
    if (d.populationGains) {
      const K = d.populationGains.shape[0];
      const means = Array.from({ length: K }, (_, k) => ({ population: population(k), gain: value(d.populationGains!.data[k * C + c]) }));
      layers.push({ data: { values: means }, mark: { type: 'bar', opacity: 0.35 }, encoding: { x, y: { field: 'gain', type: 'quantitative' }, color: { field: 'population', type: 'nominal', legend: null } } });
    }
    layers.push({
      data: { values: neurons },
      mark: { type: 'circle', size: 14, opacity: 0.6, aria: false },
      encoding: { x, xOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [0, 1] } }, y: { field: 'gain', type: 'quantitative', title: 'gain (φ\u2032 slope)' }, color: { field: 'population', type: 'nominal', title: 'population' } },
    });
    return { title: d.contexts[c], width: 60 * (d.populationGains?.shape[0] ?? 3) + 60, height: PANEL.height, layer: layers };
  });
  return figure(note ? `${title} (${note})` : title, { hconcat: panels, resolve: { scale: { y: 'shared' } } });
}

/** A fixed-point topology graph: transition probabilities between points, and where the points lie. */
export interface TopologyData {
  /** Probabilities [P, P + 1]: from point i to point j; the last column, to none. */
  probabilities: Tensor;
  /** The stability label of each point (optional). */
  stability?: readonly string[];
  /** 2-D positions of the points [P, 2] (default: a circle). */
  positions?: Tensor;
}

/** The fixed-point topology graph: a node per point (coloured by stability), an edge per transition (width = probability). */
export function topologyFigure(d: TopologyData, title = 'Fixed-point topology'): Spec {
  checkValue('topologyFigure', 'd', d, is.object(), 'argument');
  const P = d.probabilities.shape[0];
  const at = (i: number) =>
    d.positions ? [d.positions.data[i * 2], d.positions.data[i * 2 + 1]] : [Math.cos((2 * Math.PI * i) / P), Math.sin((2 * Math.PI * i) / P)];
  const nodes: Row[] = Array.from({ length: P }, (_, i) => ({ x: at(i)[0], y: at(i)[1], point: `point ${i}`, stability: d.stability?.[i] ?? 'marginal', stay: value(d.probabilities.data[i * (P + 1) + i]) }));
  const edges: Row[] = [];
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < P; j++) {
      const p = d.probabilities.data[i * (P + 1) + j];
      if (i !== j && p > 0) edges.push({ x: at(i)[0], y: at(i)[1], x2: at(j)[0], y2: at(j)[1], probability: p });
    }
  }
  const axis = (name: string) => ({ field: name, type: 'quantitative', title: d.positions ? (name === 'x' ? 'PC 1' : 'PC 2') : null, axis: d.positions ? {} : null, scale: { zero: false, padding: 20 } });
  const colour = d.stability ? stabilityColour() : { value: '#555' };
  return figure(title, {
    width: 300,
    height: 300,
    layer: [
      { data: { values: edges }, mark: { type: 'rule', color: '#555', opacity: 0.6 }, encoding: { x: axis('x'), y: axis('y'), x2: { field: 'x2' }, y2: { field: 'y2' }, strokeWidth: { field: 'probability', type: 'quantitative', title: 'transition probability', scale: { domain: [0, 1], range: [0.5, 6] } } } },
      { data: { values: nodes }, mark: { type: 'point', filled: true, stroke: 'black', strokeWidth: 0.8, shape: 'circle' }, encoding: { x: axis('x'), y: axis('y'), color: colour, size: { field: 'stay', type: 'quantitative', title: 'probability of staying', scale: { domain: [0, 1], range: [60, 400] } }, tooltip: { field: 'point' } } },
      { data: { values: nodes }, mark: { type: 'text', dy: -16 }, encoding: { x: axis('x'), y: axis('y'), text: { field: 'point' } } },
    ],
  });
}

/** Variance explained by each principal component (bars) and cumulated (line), as fractions of the total. */
export function pcaFigure(varianceRatio: ArrayLike<number>, title = 'Principal components of the states'): Spec {
  const numbers = (v: unknown) => (Array.isArray(v) || ArrayBuffer.isView(v)) && Array.from(v as ArrayLike<unknown>).every((x) => typeof x === 'number');
  checkValue('pcaFigure', 'varianceRatio', varianceRatio, is.custom('an array of numbers (the variance ratio of each component)', numbers), 'argument');
  let total = 0;
  const rows: Row[] = Array.from(varianceRatio, (r, i) => ({ pc: i + 1, ratio: value(r), cumulative: value((total += r)) }));
  const x = { field: 'pc', type: 'ordinal', title: 'principal component' };
  return figure(title, {
    width: PANEL.width,
    height: PANEL.height,
    data: { values: rows },
    layer: [
      { mark: 'bar', encoding: { x, y: { field: 'ratio', type: 'quantitative', title: 'variance explained (fraction)', scale: { domain: [0, 1] } } } },
      { mark: { type: 'line', point: true, color: '#444' }, encoding: { x, y: { field: 'cumulative', type: 'quantitative' } } },
    ],
  });
}
