// Gain modulation (populations paper, fig. 4-5; LINT CDM analysis): per neuron and context, the slope of the
// transfer function where the neuron sits. Two summaries, as the two reference codes computed them:
//   gains      phi'(mean of x_i over the window, over trials)             (populations code, fig4-5_mante)
//   meanGains  mean over trials and window steps of phi'(x_i)            (LINT, 3_4_mante_fits)
// The window is in steps of the trajectory (0..T, state t+1 follows input t) and is checked against the trial length;
// the LINT code passed 350 (ms) as a step index and so averaged the whole 68-step trial.
import { ACTIVATIONS } from '../model/options.js';
import { checkTensor } from '../core/tensor.js';
import type { Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import type { Activation, AnyModel } from '../model/index.js';
import { CdmTask } from '../tasks/cdm.js';
import type { Task, TrialSpec } from '../tasks/index.js';
import { STREAMS, streamSeed } from '../core/random.js';
import { checkLabels } from './resample.js';

/** phi'(x) of the package's transfer functions (slope: leaky-relu's negative slope). */
export function transferSlope(activation: Activation, x: number, slope = 0.01): number {
  checkValue('transferSlope', 'activation', activation, is.oneOf(ACTIVATIONS), 'argument');
  checkValue('transferSlope', 'x', x, is.number(), 'argument');
  switch (activation) {
    case 'tanh': {
      const t = Math.tanh(x);
      return 1 - t * t;
    }
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'leaky-relu':
      return x > 0 ? 1 : slope;
    case 'softplus':
      return 1 / (1 + Math.exp(-x));
    default:
      return 1;
  }
}

/** A named context: the trial conditions that define it (e.g. CDM `{ context: 1, coherenceA: 0, coherenceB: 0 }`). */
export interface GainContext {
  name: string;
  spec: TrialSpec;
}

/** Options of {@link gains}; defaults in {@link GAIN_DEFAULTS}. */
export interface GainOptions {
  /** [start, end) in trajectory steps (0..T); default the task's stimulus epoch shifted by one (the states it drives), else the whole trial. */
  window?: [number, number];
  /** The contexts; default CDM's two contexts at zero coherence, one 'all' context (random trials) for other tasks. */
  contexts?: GainContext[];
  /** Trials per context (default 50, the LINT analysis's). */
  trials?: number;
  /** Draw the network's noise (default true: the reference runs with noise on). */
  drawNoise?: boolean;
  /** Seed of the trials and the noise (default 0). */
  seed?: number;
  /** Stops between contexts. */
  signal?: AbortSignal;
  /** After each context: the result of the contexts finished so far (what a Ctrl-C keeps). */
  onProgress?: (p: { context: number; contexts: number; finished: GainResult }) => void;
}

/** The defaults of {@link gains}. */
export const GAIN_DEFAULTS = Object.freeze({ trials: 50, drawNoise: true, seed: 0 });
const GAIN_RULES: Rules<GainOptions> = {
  window: is.custom('[start, end] integers with 0 <= start < end', (w) => Array.isArray(w) && w.length === 2 && w.every(Number.isInteger) && w[0] >= 0 && w[0] < w[1]),
  contexts: is.custom('a non-empty array of { name, spec }', (c) => Array.isArray(c) && c.length > 0 && c.every((x) => typeof x?.name === 'string' && x.spec !== null && typeof x.spec === 'object')),
  trials: is.integer(1),
  drawNoise: is.boolean(),
  seed: is.seed(),
  signal: is.signal(),
  onProgress: is.function(),
};

/** A populations gains result: per neuron and context, both gain summaries. */
export interface GainResult {
  /** [N, C] phi'(mean of x over the window and the trials). */
  gains: Tensor<Float64Array>;
  /** [N, C] mean of phi'(x) over the window and the trials. */
  meanGains: Tensor<Float64Array>;
  /** C context names. */
  contexts: string[];
  /** The window used, [start, end) in steps. */
  window: [number, number];
}

function defaultContexts(task: Task): GainContext[] {
  if (task instanceof CdmTask) return [1, 2].map((c, i) => ({ name: 'AB'[i], spec: { context: c, coherenceA: 0, coherenceB: 0 } }));
  return [{ name: 'all', spec: {} }];
}

/** The gains of every neuron of `model` per context of `task` (see the module notes). */
export async function gains(model: AnyModel, task: Task, opts: GainOptions = {}): Promise<GainResult> {
  checkValue('gains', 'task', task, is.task(), 'argument');
  const o = checkOptions('gains', GAIN_RULES, opts, GAIN_DEFAULTS) as GainOptions & typeof GAIN_DEFAULTS;
  const T = task.steps;
  const epochs = (task as { epochs?: Record<string, readonly [number, number]> }).epochs;
  const window = o.window ?? (epochs?.stimulus ? [epochs.stimulus[0] + 1, epochs.stimulus[1] + 1] : [1, T + 1]);
  if (window[1] > T + 1) throw new RangeError(`gains: option 'window' must lie within the ${T + 1} states of a ${T}-step trial ([start, end) with end <= ${T + 1}); got [${window.join(', ')}]`);
  const contexts = o.contexts ?? defaultContexts(task);
  const N = model.size, C = contexts.length;
  const { activation, slope } = model.config;
  const b = model.param('b').data;
  const g = new Float64Array(N * C), mg = new Float64Array(N * C);
  const L = window[1] - window[0];
  // the result of the first `done` contexts
  const result = (done: number): GainResult => {
    const first = (a: Float64Array) => ({ data: Float64Array.from({ length: N * done }, (_, k) => a[Math.floor(k / done) * C + (k % done)]), shape: [N, done] });
    return { gains: first(g), meanGains: first(mg), contexts: contexts.slice(0, done).map((c) => c.name), window: window as [number, number] };
  };
  for (let c = 0; c < C; c++) {
    o.signal?.throwIfAborted();
    const seed = streamSeed(o.seed, STREAMS.populationTrials, c);
    const batch = task.trials(contexts[c].spec, { repeats: o.trials, seed });
    const B = batch.inputs.shape[0];
    const sim = await model.simulate(batch.inputs, { states: true, outputs: false, seed, drawNoise: o.drawNoise });
    const x = sim.states!.data;
    const mean = new Float64Array(N);
    for (let t = 0; t < B; t++)
      for (let s = window[0]; s < window[1]; s++) {
        const off = (t * (T + 1) + s) * N;
        for (let i = 0; i < N; i++) {
          mean[i] += x[off + i];
          mg[i * C + c] += transferSlope(activation, x[off + i] + b[i], slope);
        }
      }
    for (let i = 0; i < N; i++) {
      g[i * C + c] = transferSlope(activation, mean[i] / (B * L) + b[i], slope);
      mg[i * C + c] /= B * L;
    }
    if (o.onProgress && c + 1 < C) o.onProgress({ context: c + 1, contexts: C, finished: result(c + 1) });
  }
  const all = { gains: { data: g, shape: [N, C] }, meanGains: { data: mg, shape: [N, C] }, contexts: contexts.map((c) => c.name), window: window as [number, number] };
  o.onProgress?.({ context: C, contexts: C, finished: all });
  return all;
}

/** The mean of per-neuron values [N, C] over each population: [K, C]. */
export function populationMeans(values: Tensor, labels: ArrayLike<number>): Tensor<Float64Array> {
  checkTensor(values, 'populationMeans: values', undefined, { finite: false });
  checkValue('populationMeans', 'labels', labels, is.numbers(), 'argument');
  const [N, C] = values.shape;
  const K = checkLabels(labels, N);
  const out = new Float64Array(K * C), counts = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    counts[labels[i]]++;
    for (let c = 0; c < C; c++) out[labels[i] * C + c] += values.data[i * C + c];
  }
  for (let k = 0; k < K; k++) for (let c = 0; c < C; c++) out[k * C + c] /= counts[k];
  return { data: out, shape: [K, C] };
}
