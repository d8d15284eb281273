// LINT results on disk, through the one results format (ts/results): a fit is the student's model file (its
// parameter arrays and `config`, so loadModel reads it back as a model) plus its per-neuron scores and trial indices,
// with what was fitted and the scores in `meta`; a table is one float64 array per column, its settings in `meta`.
import type { NpyValue } from '../io/index.js';
import { modelArrays } from '../model/files.js';
import { checkObject, show } from '../core/validate.js';
import { saveResult } from '../results/format.js';
import type { AnyModel } from '../model/index.js';
import type { LintFit } from './fit.js';
import type { TrajectoryR2 } from './metrics.js';
import type { TeacherFit } from './teacher.js';

function r2Summary(r: TrajectoryR2) {
  return { global: r.global, perNeuronMean: r.perNeuronMean, perNeuronMedian: r.perNeuronMedian };
}

function isTeacherFit(r: LintFit | TeacherFit): r is TeacherFit {
  return 'fit' in r;
}

/** The `meta` of a fit file: what was fitted, the scores and the training summary. */
function fitMeta(lint: LintFit, teacher?: TeacherFit) {
  const t = lint.training;
  return {
    on: lint.on,
    rank: lint.rank,
    fitted: r2Summary(lint.r2),
    heldOut: lint.heldOut ? r2Summary(lint.heldOut.r2) : undefined,
    training: { epochs: t.epochs.length, bestLoss: t.bestLoss, bestEpoch: t.bestEpoch, seconds: t.seconds },
    teacher: teacher
      ? { r2: r2Summary(teacher.r2), accuracy: teacher.accuracy, teacherAccuracy: teacher.teacherAccuracy, cc: teacher.cc, ecc: teacher.ecc }
      : undefined,
  };
}

/** The arrays of a fit file beside the model's: per-neuron R² and trial indices, named by their dotted paths. */
function fitArrays(lint: LintFit, teacher: TeacherFit | undefined, neurons: number[] | undefined) {
  return {
    r2: { perNeuron: lint.r2.perNeuron },
    fittedTrials: Int32Array.from(lint.fitted),
    heldOut: lint.heldOut ? { trials: Int32Array.from(lint.heldOut.trials), r2: { perNeuron: lint.heldOut.r2.perNeuron } } : undefined,
    teacher: teacher ? { r2: { perNeuron: teacher.r2.perNeuron } } : undefined,
    neurons: neurons ? Int32Array.from(neurons) : undefined,
  };
}

/**
 * Writes a fit to `path` (atomic), a result of kind 'fit' that is also a model file: the student's parameter arrays
 * and `config`; `r2.perNeuron`, `fittedTrials` and, when present, `heldOut.trials`, `heldOut.r2.perNeuron`,
 * `teacher.r2.perNeuron`, `neurons`; and `meta` (JSON: on, rank, the scores, the training summary, the teacher
 * scores). json.loads(str(np.load(path)['meta'])) reads it.
 */
export async function saveFit(path: string, result: LintFit | TeacherFit, extra: { neurons?: number[] } = {}): Promise<void> {
  const teacher = isTeacherFit(result) ? result : undefined;
  const lint = teacher ? teacher.fit : (result as LintFit);
  const model: AnyModel = lint.model;
  const arrays: Record<string, NpyValue> = modelArrays(model);
  await saveResult(path, 'fit', fitArrays(lint, teacher, extra.neurons), { meta: fitMeta(lint, teacher), arrays });
}

/**
 * Writes a table (atomic), a result of kind 'table': one float64 array per column (NaN for missing entries) and
 * `meta`, the table's settings (JSON). E.g. saveTable('sweep.npz', { rank: [1, 2], fit_r2: [0.91, 0.93] }, { task: 'cdm' }).
 */
export async function saveTable(path: string, columns: Record<string, (number | undefined)[]>, meta: object = {}): Promise<void> {
  const table: Record<string, Float64Array> = {};
  if (columns === undefined) throw new TypeError(`saveTable: argument 'columns' must be an object of equal-length arrays; got undefined`);
  checkObject('saveTable', columns, "argument 'columns'");
  const lengths = new Set(Object.values(columns).map((values) => (Array.isArray(values) ? values.length : -1)));
  if (lengths.has(-1) || lengths.size > 1) {
    throw new RangeError(`saveTable: columns must be arrays of one length (one value per row); got lengths ${Object.entries(columns).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.length : show(v)}`).join(', ')}`);
  }
  for (const [name, values] of Object.entries(columns)) table[name] = Float64Array.from(values, (v) => v ?? NaN);
  await saveResult(path, 'table', table, { meta });
}
