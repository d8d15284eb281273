// Teacher-student LINT: trajectories of a known network as targets, a fit to them, and the evaluation of the fit
// against the teacher (R² on held-out trials with each network drawing its own noise, task accuracy through the
// teacher's readout, CC and ECC), as in the reference validation notebook (lint_reference.md §5, §8).
import { checkModel } from '../model/check.js';
import { LowRankRNN, type AnyModel } from '../model/index.js';
import { STREAMS, streamSeed } from '../core/random.js';
import { checkTensor, takeColumns, takeRows, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import type { Task, TaskBatch } from '../tasks/types.js';
import { selectTrials } from '../tasks/batch.js';
import { fit, lintFitRules, trajectories, LINT_DEFAULTS, type LintFit, type LintFitOptions } from './fit.js';
import { rule, type ActivityKind } from './rules.js';
import {
  connectivityCorrelation,
  effectiveConnectivityCorrelation,
  trajectoryR2,
  type TrajectoryR2,
} from './metrics.js';

/** Options of {@link compareNetworks}; defaults in {@link COMPARE_DEFAULTS}. */
export interface CompareOptions {
  /** Compare rates (default) or states. */
  on?: ActivityKind;
  /** Each network draws its own per-step noise (default true, as the reference evaluates). */
  drawNoise?: boolean;
  /** The user's seed: the reference runs on stream teacherComparison, the other network on comparedNetwork. */
  seed?: number;
  /** Include x_0 (default true, as the reference's R²). */
  includeInitial?: boolean;
  /** Neurons of `reference` that the other network's units stand for (a subsampled fit); default all, in order. */
  neurons?: number[];
}

/** The defaults of `lint.compareNetworks` (the reference's evaluation): rates, each network's own noise, x_0 included. */
export const COMPARE_DEFAULTS = { on: 'rates', drawNoise: true, seed: 0, includeInitial: true } as const satisfies CompareOptions;

function compareRules(reference: AnyModel): Rules<CompareOptions> {
  return {
    on: rule.activity(),
    drawNoise: is.boolean(),
    seed: is.seed(),
    includeInitial: is.boolean(),
    neurons: rule.indices(reference.size, 'neuron'),
  };
}

/**
 * R² of `other`'s activity against `reference`'s on the same inputs [B, T, K] (reference first, as sklearn). The
 * reference runs on the seed stream `teacherComparison`, so that every network compared with one reference under
 * one seed (a fit and its SVD truncations) is scored against the same run of it.
 */
export async function compareNetworks(reference: AnyModel, other: AnyModel, inputs: Tensor, options: CompareOptions = {}): Promise<TrajectoryR2> {
  checkModel('lint.compareNetworks', 'reference', reference);
  checkModel('lint.compareNetworks', 'other', other);
  const o = checkOptions('lint.compareNetworks', compareRules(reference), options, COMPARE_DEFAULTS);
  const run = { on: o.on, drawNoise: o.drawNoise, includeInitial: o.includeInitial };
  let ref = await trajectories(reference, inputs, { ...run, seed: streamSeed(o.seed!, STREAMS.teacherComparison) });
  if (o.neurons) ref = takeColumns(ref, o.neurons, 'neurons');
  const got = await trajectories(other, inputs, { ...run, seed: streamSeed(o.seed!, STREAMS.comparedNetwork) });
  if (ref.shape[2] !== got.shape[2]) {
    throw new RangeError(`the networks have ${ref.shape[2]} and ${got.shape[2]} units; pass neurons (the reference units the other one models)`);
  }
  return trajectoryR2(ref, got);
}

/**
 * A copy of `student` that reads out with the teacher's readout (lint_reference.md §5): wo = the teacher's wo·diag(so),
 * restricted to `neurons` when the student models a subset, rescaled for the student's 1/N (low-rank students), and
 * the teacher's output nonlinearity; every other option and parameter is the student's (`model.with`).
 * Plug it into a task's accuracy to score the fitted network on the task.
 */
export function withTeacherReadout(student: AnyModel, teacher: AnyModel, neurons?: number[]): AnyModel {
  checkValue('lint.withTeacherReadout', 'student', student, rule.model(), 'argument');
  checkValue('lint.withTeacherReadout', 'teacher', teacher, rule.model(), 'argument');
  const sel = neurons === undefined ? [...Array(teacher.size).keys()] : checkValue<number[]>('lint.withTeacherReadout', 'neurons', neurons, rule.indices(teacher.size, 'neuron'));
  if (sel.length !== student.size) {
    throw new RangeError(`the student has ${student.size} units but ${sel.length} teacher neurons were given; pass the neurons the student models`);
  }
  const O = teacher.outputSize;
  if (O < 1) throw new RangeError('the teacher has no readout (0 outputs)');
  const tw = takeRows(teacher.param('wo'), sel, 'neurons').data;
  const tso = teacher.param('so').data;
  // Output of the teacher: sum_i wo_full_i phi(x_i), divided by N_teacher when it is low-rank.
  const scale = (teacher instanceof LowRankRNN ? 1 / teacher.size : 1) * (student instanceof LowRankRNN ? student.size : 1);
  const wo = new Float64Array(sel.length * O);
  for (let i = 0; i < sel.length; i++) for (let o = 0; o < O; o++) wo[i * O + o] = tw[i * O + o] * tso[o] * scale;
  const params = { wo: { data: wo, shape: [sel.length, O] }, so: { data: new Float64Array(O).fill(1), shape: [O] } };
  const changes = { outputs: O, outputActivation: teacher.config.outputActivation, params };
  return student.with(changes);
}

/** A task's accuracy of `model` (with outputs) on `batch`, its per-step noise drawn with `seed`, as the reference `test_<task>`. */
export async function taskAccuracy(model: AnyModel, task: Task, batch: TaskBatch, seed = 0): Promise<number> {
  checkModel('lint.taskAccuracy', 'model', model);
  checkValue('lint.taskAccuracy', 'task', task, is.task(), 'argument');
  checkValue('lint.taskAccuracy', 'seed', seed, is.seed());
  const sim = await model.simulate(batch.inputs, { seed, states: false });
  return task.accuracy(sim.outputs!, batch);
}

/** What {@link teacherTrials} returns: the fitted and held-out trials, with the task's batch when there is a task. */
export interface TeacherTrials {
  /** Trials the student is fitted on (the first 80 % of `trials` by default, as the reference generators). */
  fit: { inputs: Tensor; batch?: TaskBatch };
  /** Held-out trials for R² and accuracy (the last `heldOut` share). */
  heldOut: { inputs: Tensor; batch?: TaskBatch };
}

/** Options of {@link teacherTrials}; defaults in {@link TEACHER_TRIALS_DEFAULTS}. */
export interface TeacherTrialsOptions {
  /** Trials generated from a task (default 1000). */
  trials?: number;
  /** The share of trials held out, the last ones (default 0.2). */
  heldOut?: number;
  /** The seed of the task's trials (default 0). */
  seed?: number;
}

/** The defaults of `lint.teacherTrials` (the reference generators'): 1000 trials, the last 20 % held out, seed 0. */
export const TEACHER_TRIALS_DEFAULTS = { trials: 1000, heldOut: 0.2, seed: 0 } as const satisfies TeacherTrialsOptions;

const TEACHER_TRIALS_RULES: Rules<TeacherTrialsOptions> = { trials: is.integer(2), heldOut: rule.share(), seed: is.seed() };

/** Splits a task's trials (or given inputs [B, T, K]) into fitted and held-out trials: the last `heldOut` share. */
export function teacherTrials(source: Task | Tensor, options: TeacherTrialsOptions = {}): TeacherTrials {
  checkValue('lint.teacherTrials', 'source', source, [is.task(), is.tensor()], 'argument');
  const o = checkOptions('lint.teacherTrials', TEACHER_TRIALS_RULES, options, TEACHER_TRIALS_DEFAULTS);
  const batch = typeof (source as Task).sample === 'function' ? (source as Task).sample(o.trials!, { seed: o.seed }) : undefined;
  const inputs = batch ? batch.inputs : checkTensor(source as Tensor, 'inputs');
  const B = inputs.shape[0];
  const kept = B - Math.max(1, Math.floor(B * o.heldOut!));
  if (kept < 1) throw new RangeError(`there are ${B} trials; at least 2 are needed to hold some out`);
  const fitted = [...Array(kept).keys()];
  const held = [...Array(B - kept).keys()].map((i) => i + kept);
  if (!batch) return { fit: { inputs: takeRows(inputs, fitted) }, heldOut: { inputs: takeRows(inputs, held) } };
  const fitBatch = selectTrials(batch, fitted);
  const heldBatch = selectTrials(batch, held);
  return { fit: { inputs: fitBatch.inputs, batch: fitBatch }, heldOut: { inputs: heldBatch.inputs, batch: heldBatch } };
}

/**
 * Options of {@link fitTeacher}: those of `lint.fit` (but `heldOut`, here a share of the trials) and where the trials
 * come from; defaults in {@link FIT_TEACHER_DEFAULTS}. One of `task` and `inputs` is required.
 */
export interface FitTeacherOptions extends Omit<LintFitOptions, 'heldOut'> {
  /** A task (its trials are generated, seeded) or inputs [B, T, K]. */
  task?: Task;
  /** Inputs [B, T, K] to drive the teacher with, when there is no task (no accuracy is then scored). */
  inputs?: Tensor;
  /** Trials generated from the task (default 1000). */
  trials?: number;
  /** The share of the trials held out for scoring, the last ones (default 0.2). */
  heldOut?: number;
  /** Fit only these teacher neurons (the subsampling experiment); default all. */
  neurons?: number[];
}

/** The defaults of `lint.fitTeacher`: those of `lint.fit` (but the student's noise, which is the teacher's) and of the trials. */
export const FIT_TEACHER_DEFAULTS = {
  ...LINT_DEFAULTS,
  noise: undefined,
  trials: TEACHER_TRIALS_DEFAULTS.trials,
  heldOut: TEACHER_TRIALS_DEFAULTS.heldOut,
} as const satisfies FitTeacherOptions;

function fitTeacherRules(teacher: AnyModel, neurons: unknown): Rules<FitTeacherOptions> {
  const N = Array.isArray(neurons) ? neurons.length : teacher.size;
  return {
    ...lintFitRules(N, Infinity),
    task: rule.task(),
    inputs: is.tensor(),
    trials: TEACHER_TRIALS_RULES.trials,
    heldOut: rule.share(),
    neurons: rule.indices(teacher.size, 'neuron'),
  };
}

/** What {@link fitTeacher} returns: the fit and how well the student reproduces the teacher. */
export interface TeacherFit {
  /** The fit of the student to the teacher's trajectories on the fitted trials. */
  fit: LintFit;
  /** R² (on `fit.on`) of student against teacher on the held-out trials, each with its own noise, x_0 included. */
  r2: TrajectoryR2;
  /** Task accuracy of the student with the teacher's readout, and of the teacher itself, on the held-out trials. */
  accuracy?: number;
  /** See `accuracy`. */
  teacherAccuracy?: number;
  /** Connectivity correlations with the teacher (full networks only; ECC needs a low-rank teacher). */
  cc?: number;
  /** Effective connectivity correlation (low-rank teacher and student). */
  ecc?: number;
}

/**
 * The LINT validation pipeline: targets from one noisy rollout of `teacher` on the fitted trials (its own noise),
 * a fit (the student's noise defaults to the teacher's, as in the reference scripts), then R² on held-out trials,
 * task accuracy through the teacher's readout, and CC / ECC when the student models every teacher neuron.
 */
export async function fitTeacher(teacher: AnyModel, options: FitTeacherOptions): Promise<TeacherFit> {
  checkValue('lint.fitTeacher', 'teacher', teacher, rule.model(), 'argument');
  const o = checkOptions('lint.fitTeacher', fitTeacherRules(teacher, options?.neurons), options, FIT_TEACHER_DEFAULTS);
  const source = o.task ?? o.inputs;
  if (!source) throw new TypeError('lint.fitTeacher needs a task (option task) or inputs [B, T, K] (option inputs)');
  const trials = teacherTrials(source, { trials: o.trials, heldOut: o.heldOut, seed: o.seed });
  const lint = await fitToTeacher(teacher, trials.fit.inputs, o);
  const result: TeacherFit = {
    fit: lint,
    r2: await compareNetworks(teacher, lint.model, trials.heldOut.inputs, { on: o.on, neurons: o.neurons, seed: o.seed }),
  };
  if (o.task && teacher.outputSize > 0) Object.assign(result, await accuracies(teacher, lint.model, o.task, trials.heldOut.batch!, o));
  if (!o.neurons) {
    result.cc = connectivityCorrelation(teacher, lint.model);
    if (teacher instanceof LowRankRNN && lint.model instanceof LowRankRNN) result.ecc = effectiveConnectivityCorrelation(teacher, lint.model);
  }
  return result;
}

/** The fit to one noisy rollout of the teacher (stream teacherTargets) on the fitted trials, on `neurons` if given. */
async function fitToTeacher(teacher: AnyModel, inputs: Tensor, o: FitTeacherOptions): Promise<LintFit> {
  let targets = await trajectories(teacher, inputs, { on: o.on, seed: streamSeed(o.seed!, STREAMS.teacherTargets) });
  if (o.neurons) targets = takeColumns(targets, o.neurons, 'neurons');
  const { task: _task, inputs: _inputs, trials: _trials, heldOut: _heldOut, neurons: _neurons, ...fitOptions } = o;
  return fit(targets, inputs, { ...fitOptions, noise: o.noise ?? teacher.config.noise });
}

/** The student's accuracy with the teacher's readout (stream studentAccuracy) and the teacher's (teacherAccuracy). */
async function accuracies(teacher: AnyModel, student: AnyModel, task: Task, batch: TaskBatch, o: FitTeacherOptions) {
  const readout = withTeacherReadout(student, teacher, o.neurons);
  try {
    return {
      accuracy: await taskAccuracy(readout, task, batch, streamSeed(o.seed!, STREAMS.studentAccuracy)),
      teacherAccuracy: await taskAccuracy(teacher, task, batch, streamSeed(o.seed!, STREAMS.teacherAccuracy)),
    };
  } finally {
    readout.dispose();
  }
}
