// Teacher-student LINT: trajectories of a known network as targets, a fit to them, and the evaluation of the fit
// against the teacher (R² on held-out trials with each network drawing its own noise, task accuracy through the
// teacher's readout, CC and ECC), as in the reference validation notebook (lint_reference.md §5, §8).
import { FullRankRNN, LowRankRNN, checkSeed, type AnyModel } from '../model/models.js';
import { checkTensor, takeColumns, takeRows, type Tensor } from '../core/tensor.js';
import type { Task, TaskBatch } from '../tasks/types.js';
import { selectTrials } from '../tasks/batch.js';
import { checkActivityKind, fit, trajectories, type ActivityKind, type LintFit, type LintFitOptions } from './fit.js';
import {
  connectivityCorrelation,
  effectiveConnectivityCorrelation,
  trajectoryR2,
  type TrajectoryR2,
} from './metrics.js';

export interface CompareOptions {
  on?: ActivityKind;
  /** Each network draws its own per-step noise (default true, as the reference evaluates). */
  noise?: boolean;
  seed?: number;
  /** Include x_0 (default true, as the reference's R²). */
  includeInitial?: boolean;
  /** Neurons of `reference` that the other network's units stand for (a subsampled fit); default all, in order. */
  neurons?: number[];
}

/** R² of `other`'s activity against `reference`'s on the same inputs [B, T, K] (reference first, as sklearn). */
export async function compareNetworks(reference: AnyModel, other: AnyModel, inputs: Tensor, opts: CompareOptions = {}): Promise<TrajectoryR2> {
  const on = checkActivityKind(opts.on);
  const seed = checkSeed(opts.seed);
  const run = { on, noise: opts.noise ?? true, includeInitial: opts.includeInitial ?? true };
  let ref = await trajectories(reference, inputs, { ...run, seed });
  if (opts.neurons) ref = takeColumns(ref, opts.neurons, 'neurons');
  const got = await trajectories(other, inputs, { ...run, seed: seed + 1 });
  if (ref.shape[2] !== got.shape[2]) {
    throw new RangeError(`the networks have ${ref.shape[2]} and ${got.shape[2]} units; pass neurons (the reference units the other one models)`);
  }
  return trajectoryR2(ref, got);
}

/**
 * A copy of `student` that reads out with the teacher's readout (lint_reference.md §5): wo = the teacher's wo·diag(so),
 * restricted to `neurons` when the student models a subset, rescaled for the student's 1/N (low-rank students), and
 * the teacher's output nonlinearity. Plug it into a task's accuracy to score the fitted network on the task.
 */
export function withTeacherReadout(student: AnyModel, teacher: AnyModel, neurons?: number[]): AnyModel {
  const sel = neurons ?? [...Array(teacher.size).keys()];
  if (sel.length !== student.size) {
    throw new RangeError(`the student has ${student.size} units but ${sel.length} teacher neurons were given; pass the neurons the student models`);
  }
  const O = teacher.outputSize;
  if (O < 1) throw new RangeError('the teacher has no readout (0 outputs)');
  const tw = takeRows(teacher.param('wo'), sel, 'neurons').data;
  const tso = teacher.param('so').data;
  // Output of the teacher: sum_i wo_full_i phi(x_i), divided by N_teacher when it is low-rank.
  const teacherScale = teacher instanceof LowRankRNN ? 1 / teacher.size : 1;
  const studentScale = student instanceof LowRankRNN ? student.size : 1;
  const wo = new Float64Array(sel.length * O);
  for (let i = 0; i < sel.length; i++) for (let o = 0; o < O; o++) wo[i * O + o] = tw[i * O + o] * tso[o] * teacherScale * studentScale;
  const p = student.params();
  const c = student.config;
  const common = {
    size: student.size,
    inputs: student.inputSize,
    outputs: O,
    formulation: c.formulation,
    activation: c.activation,
    slope: c.slope,
    outputActivation: teacher.config.outputActivation,
    alpha: c.alpha,
    noise: c.noise,
    noAutapse: c.noAutapse,
    dtype: student.dtype,
    device: student.device,
  };
  const init = { wi: p.wi, si: p.si, h0: p.h0, b: p.b, wo: { data: wo, shape: [sel.length, O] } };
  if (student instanceof LowRankRNN) return new LowRankRNN({ ...common, rank: student.rank, init: { ...init, m: p.m, n: p.n } });
  return new FullRankRNN({ ...common, init: { ...init, wrec: p.wrec } });
}

/** A task's accuracy of `model` (with outputs) on `batch`, noise on as in the reference `test_<task>`. */
export async function taskAccuracy(model: AnyModel, task: Task, batch: TaskBatch, seed = 0): Promise<number> {
  const sim = await model.simulate(batch.inputs, { seed, states: false });
  return task.accuracy(sim.outputs!, batch);
}

export interface TeacherTrials {
  /** Trials the student is fitted on (the first 80 % of `trials` by default, as the reference generators). */
  fit: { inputs: Tensor; batch?: TaskBatch };
  /** Held-out trials for R² and accuracy. */
  validation: { inputs: Tensor; batch?: TaskBatch };
}

/** Splits a task's trials (or given inputs) into fitted and validation trials: the last `validation` fraction. */
export function teacherTrials(source: Task | Tensor, opts: { trials?: number; validation?: number; seed?: number } = {}): TeacherTrials {
  const split = opts.validation ?? 0.2;
  if (!(split > 0 && split < 1)) throw new RangeError(`validation must be a fraction in (0, 1); got ${split}`);
  const batch = typeof (source as Task).sample === 'function' ? (source as Task).sample(opts.trials ?? 1000, { seed: checkSeed(opts.seed) }) : undefined;
  const inputs = batch ? batch.inputs : checkTensor(source as Tensor, 'inputs');
  const B = inputs.shape[0];
  const kept = B - Math.max(1, Math.floor(B * split));
  if (kept < 1) throw new RangeError(`there are ${B} trials; at least 2 are needed to hold some out`);
  const fitted = [...Array(kept).keys()];
  const held = [...Array(B - kept).keys()].map((i) => i + kept);
  if (!batch) return { fit: { inputs: takeRows(inputs, fitted) }, validation: { inputs: takeRows(inputs, held) } };
  const fitBatch = selectTrials(batch, fitted);
  const valBatch = selectTrials(batch, held);
  return { fit: { inputs: fitBatch.inputs, batch: fitBatch }, validation: { inputs: valBatch.inputs, batch: valBatch } };
}

export interface FitTeacherOptions extends LintFitOptions {
  /** A task (its trials are generated, seeded) or inputs [B, T, K]. */
  task?: Task;
  inputs?: Tensor;
  /** Trials generated from the task (default 1000; 20 % held out). */
  trials?: number;
  validation?: number;
  /** Fit only these teacher neurons (the subsampling experiment); default all. */
  neurons?: number[];
}

export interface TeacherFit {
  fit: LintFit;
  /** R² (on `fit.on`) of student against teacher on the validation trials, each with its own noise, x_0 included. */
  r2: TrajectoryR2;
  /** Task accuracy of the student with the teacher's readout, and of the teacher itself, on the validation trials. */
  accuracy?: number;
  teacherAccuracy?: number;
  /** Connectivity correlations with the teacher (full networks only; ECC needs a low-rank teacher). */
  cc?: number;
  ecc?: number;
}

/**
 * The LINT validation pipeline: targets from one noisy rollout of `teacher` on the fitted trials (its own noise),
 * a fit (the student's noise defaults to the teacher's, as in the reference scripts), then R² on held-out trials,
 * task accuracy through the teacher's readout, and CC / ECC when the student models every teacher neuron.
 */
export async function fitTeacher(teacher: AnyModel, opts: FitTeacherOptions): Promise<TeacherFit> {
  const source = opts.task ?? opts.inputs;
  if (!source) throw new TypeError('fitTeacher needs a task (opts.task) or inputs [B, T, K] (opts.inputs)');
  const on = checkActivityKind(opts.on);
  const seed = checkSeed(opts.seed);
  const trials = teacherTrials(source, { trials: opts.trials, validation: opts.validation, seed });
  let targets = await trajectories(teacher, trials.fit.inputs, { on, seed: seed + 11 });
  if (opts.neurons) targets = takeColumns(targets, opts.neurons, 'neurons');
  const { task: _task, inputs: _inputs, trials: _trials, validation: _validation, neurons, ...fitOptions } = opts;
  const lint = await fit(targets, trials.fit.inputs, { ...fitOptions, noise: opts.noise ?? teacher.config.noise });
  const result: TeacherFit = {
    fit: lint,
    r2: await compareNetworks(teacher, lint.model, trials.validation.inputs, { on, neurons, seed: seed + 13 }),
  };
  if (opts.task && teacher.outputSize > 0) {
    const batch = trials.validation.batch!;
    const readout = withTeacherReadout(lint.model, teacher, neurons);
    result.accuracy = await taskAccuracy(readout, opts.task, batch, seed + 17);
    readout.dispose();
    result.teacherAccuracy = await taskAccuracy(teacher, opts.task, batch, seed + 19);
  }
  if (!neurons) {
    result.cc = connectivityCorrelation(teacher, lint.model);
    if (teacher instanceof LowRankRNN && lint.model instanceof LowRankRNN) result.ecc = effectiveConnectivityCorrelation(teacher, lint.model);
  }
  return result;
}
