// LINT results on disk, as .npz files numpy reads: a fit is the student's model file plus its scores (so loadModel
// reads it back as a model), and a table of results is one array per column plus a JSON summary.
import { saveNpz, type NpyValue } from '../io/index.js';
import type { AnyModel } from '../model/models.js';
import type { LintFit } from './fit.js';
import type { TrajectoryR2 } from './metrics.js';
import type { TeacherFit } from './teacher.js';

function r2Summary(r: TrajectoryR2) {
  return { global: r.global, perNeuronMean: r.perNeuronMean, perNeuronMedian: r.perNeuronMedian };
}

const int32 = (values: number[]): NpyValue => ({ dtype: 'int32', data: Int32Array.from(values), shape: [values.length] });
const float64 = (values: ArrayLike<number>): NpyValue => ({ data: Float64Array.from(values), shape: [values.length] });

function isTeacherFit(r: LintFit | TeacherFit): r is TeacherFit {
  return 'fit' in r;
}

/**
 * Writes a fit to `path` (atomic): the student's arrays and `config` (a model file), `lint` (JSON: what was fitted,
 * the scores, the training summary), `r2_per_neuron`, `fitted_trials` and, when present, `held_out_trials`,
 * `held_out_r2_per_neuron`, `neurons`. np.load(path)['lint'] holds the JSON string.
 */
export async function saveFit(path: string, result: LintFit | TeacherFit, extra: { neurons?: number[] } = {}): Promise<void> {
  const lint = isTeacherFit(result) ? result.fit : result;
  const model: AnyModel = lint.model;
  const summary: Record<string, unknown> = {
    on: lint.on,
    rank: lint.rank,
    fitted: r2Summary(lint.r2),
    heldOut: lint.heldOut ? r2Summary(lint.heldOut.r2) : undefined,
    training: { epochs: lint.training.epochs.length, bestLoss: lint.training.bestLoss, bestEpoch: lint.training.bestEpoch, seconds: lint.training.seconds },
  };
  const arrays: Record<string, NpyValue> = {
    ...model.params(),
    config: JSON.stringify(model.config),
    r2_per_neuron: float64(lint.r2.perNeuron),
    fitted_trials: int32(lint.fitted),
  };
  if (lint.heldOut) {
    arrays.held_out_trials = int32(lint.heldOut.trials);
    arrays.held_out_r2_per_neuron = float64(lint.heldOut.r2.perNeuron);
  }
  if (isTeacherFit(result)) {
    Object.assign(summary, { teacher: { r2: r2Summary(result.r2), accuracy: result.accuracy, teacherAccuracy: result.teacherAccuracy, cc: result.cc, ecc: result.ecc } });
    arrays.teacher_r2_per_neuron = float64(result.r2.perNeuron);
  }
  if (extra.neurons) arrays.neurons = int32(extra.neurons);
  arrays.lint = JSON.stringify(summary);
  await saveNpz(path, arrays);
}

/**
 * Writes a table (atomic): one float64 array per column (NaN for missing entries) and `summary`, a JSON string.
 * E.g. saveTable('sweep.npz', { rank: [1, 2], fit_r2: [0.91, 0.93] }, { task: 'cdm' }).
 */
export async function saveTable(path: string, columns: Record<string, (number | undefined)[]>, summary: object = {}): Promise<void> {
  const arrays: Record<string, NpyValue> = {};
  for (const [name, values] of Object.entries(columns)) arrays[name] = float64(values.map((v) => v ?? NaN));
  arrays.summary = JSON.stringify(summary);
  await saveNpz(path, arrays);
}
