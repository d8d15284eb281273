// One partial-observation experiment (teacher -> simulation -> observation -> students -> comparisons) and the sweep
// over observed fraction, noise and teacher kind, as seed 003 runs them. Configs are plain JSON (the CLI's `run`).
import { saveResult } from '../results/format.js';
import type { Tensor } from '../core/tensor.js';
import { checkValue, checkObject, checkOptions, is, optionError, type Rules } from '../core/validate.js';
import type { AnyModel } from '../model/index.js';
import { ESTIMATE_DEFAULTS, estimate, spectrum, stationaryLimit, type Estimate, type Spectrum } from './estimate.js';
import { simulateTeacher, teacherMatrix, type SimulateTeacherOptions } from './simulate.js';
import { TEACHER_KINDS, teacher, type Teacher, type TeacherKind, type TeacherOptions } from './teachers.js';
import { fitStudent, type StudentOptions } from './students.js';
import { limitCycle, portrait, type LimitCycle, type LimitCycleOptions, type Portrait, type PortraitOptions } from './compare.js';

/** A teacher in a config: a kind and its options, or a user's matrix / FullRankRNN / Teacher. */
export type TeacherSpec = ({ kind: TeacherKind } & TeacherOptions) | Teacher | Tensor | AnyModel;

/** The config of {@link runExperiment}. */
export interface ExperimentConfig {
  teacher: TeacherSpec;
  /** The teacher's simulation and observation (simulateTeacher's options). */
  simulation?: SimulateTeacherOptions;
  /** The ridge of the closed-form student (default 1e-3). */
  ridge?: number;
  /** BPTT students to fit besides the closed form (fitStudent's options; alpha and activation are the simulation's). */
  students?: Omit<StudentOptions, 'alpha' | 'activation' | 'signal' | 'onProgress'>[];
  /** The linear long-time limit (linear teachers only; default true for them). */
  limit?: boolean;
  /** The limit-cycle check of the closed-form student (default: on for tanh), or its options. */
  limitCycle?: boolean | LimitCycleOptions;
  /** Flow fields and fixed points on the top PCs of teacher and student (default false), or their options. */
  portraits?: boolean | PortraitOptions;
}

/** A student's summary in an experiment. */
export interface StudentSummary extends Spectrum {
  A: Tensor<Float64Array>;
  rank: number | 'full';
  finalLoss: number;
}

/** What {@link runExperiment} returns (and the CLI writes, under these names). */
export interface ExperimentResult {
  teacher: { kind: string; options: Record<string, unknown>; weights: Tensor<Float64Array> } & Spectrum;
  /** The observed units. */
  units: number[];
  /** The closed-form (MAP / ridge) student. */
  student: Estimate;
  /** Linear teachers: the long-time limit (B S)_oo (S_oo)^-1 and the distance of the student from it. */
  limit?: Estimate & { distance: number };
  students: StudentSummary[];
  limitCycle?: LimitCycle;
  portraits?: { teacher: Portrait; student: Portrait };
  settings: Record<string, unknown>;
}

const EXPERIMENT_RULES: Rules<ExperimentConfig> = {
  teacher: is.object('a teacher: { kind, size, ... }, a matrix [D, D] or a FullRankRNN'),
  simulation: is.object(),
  ridge: is.nonNegative(),
  students: is.custom('a list of student options', (v) => Array.isArray(v)),
  limit: is.boolean(),
  limitCycle: [is.boolean(), is.object()],
  portraits: [is.boolean(), is.object()],
};

/** The teacher of a config. */
export async function resolveTeacher(spec: TeacherSpec, where: string): Promise<Teacher> {
  if (spec !== null && typeof spec === 'object' && 'kind' in spec && typeof spec.kind === 'string' && (TEACHER_KINDS as readonly string[]).includes(spec.kind)) {
    const { kind, ...options } = spec as { kind: TeacherKind } & TeacherOptions;
    return teacher(kind, options);
  }
  if (spec !== null && typeof spec === 'object' && 'kind' in spec && spec.kind === 'user' && 'weights' in spec) return spec as Teacher;
  if (spec !== null && typeof spec === 'object' && 'kind' in spec && !('weights' in spec)) {
    throw optionError(where, 'teacher.kind', `one of ${TEACHER_KINDS.map((k) => `'${k}'`).join(', ')}`, (spec as { kind: unknown }).kind);
  }
  return { kind: 'user', weights: teacherMatrix(spec as Tensor | AnyModel, where), options: {} };
}

/** Frobenius distance |X - Y| / |Y|. */
export function relativeDistance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkValue('partialObservation.relativeDistance', 'x', x, is.numbers(), 'argument');
  checkValue('partialObservation.relativeDistance', 'y', y, is.numbers(), 'argument');
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) {
    num += (x[i] - y[i]) ** 2;
    den += y[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/**
 * Runs one experiment: builds (or takes) the teacher, simulates and observes it, fits the closed-form student (and
 * the BPTT students asked for), and compares: spectra, the linear long-time limit, the limit-cycle check and, on
 * request, portraits on the top PCs. `signal` stops it between stages (and inside BPTT training).
 */
export async function runExperiment(config: ExperimentConfig, onProgress?: (stage: string) => void, signal?: AbortSignal): Promise<ExperimentResult> {
  const where = 'partialObservation.runExperiment';
  const c = checkOptions(where, EXPERIMENT_RULES, config, { ridge: ESTIMATE_DEFAULTS.ridge });
  if (c.teacher === undefined) throw optionError(where, 'teacher', 'given', undefined, TypeError);
  signal?.throwIfAborted();
  const t = await resolveTeacher(c.teacher, where);
  const teacherSpectrum = await spectrum(t.weights, t.eigenvalues);
  onProgress?.('simulate');
  const run = await simulateTeacher(t, { ...checkObject(where, c.simulation, "option 'simulation'"), keepStates: c.portraits !== undefined && c.portraits !== false });
  const s = run.options;
  onProgress?.('estimate');
  const student = await estimate(run.observed, { alpha: s.alpha, ridge: c.ridge, activation: s.activation });
  const result: ExperimentResult = {
    teacher: { kind: t.kind, options: t.options, weights: t.weights, ...teacherSpectrum },
    units: run.units,
    student,
    students: [],
    settings: { ...s, ridge: c.ridge },
  };
  if (s.activation === 'linear' && c.limit !== false && s.noise > 0) {
    const lim = await stationaryLimit(t.weights, { alpha: s.alpha, noise: s.noise, measurementNoise: s.measurementNoise, observed: run.units });
    result.limit = { A: lim.A, eigenvalues: lim.eigenvalues, timeConstants: lim.timeConstants, lineAttractorScore: lim.lineAttractorScore, distance: relativeDistance(student.A.data, lim.A.data) };
  }
  for (const [i, options] of (c.students ?? []).entries()) {
    signal?.throwIfAborted();
    onProgress?.(`student ${i + 1}`);
    const fit = await fitStudent(run.observed, { ...options, alpha: s.alpha, activation: s.activation, signal });
    const { model, training, ...rest } = fit;
    result.students.push({ ...rest, rank: options.rank ?? 'full', finalLoss: training.bestLoss });
    model.dispose();
  }
  const studentNet = { weights: student.A, activation: s.activation, alpha: s.alpha };
  signal?.throwIfAborted();
  if (c.limitCycle ?? s.activation === 'tanh') {
    onProgress?.('limit cycle');
    result.limitCycle = await limitCycle(studentNet, typeof c.limitCycle === 'object' ? c.limitCycle : {});
  }
  if (c.portraits) {
    signal?.throwIfAborted();
    onProgress?.('portraits');
    const po = typeof c.portraits === 'object' ? c.portraits : {};
    result.portraits = {
      teacher: await portrait({ weights: t.weights, activation: s.activation, alpha: s.alpha }, run.states!, po),
      student: await portrait(studentNet, run.observed, po),
    };
  }
  return result;
}

/** The arrays an experiment is written as: `eigenvalues` [d, 2] and `teacher_eigenvalues` [D, 2] at the top level
 * (what the figures read), `A`, `line_attractor_score`, and every other field by its dotted path. */
export function experimentArrays(r: ExperimentResult): Record<string, unknown> {
  checkValue('partialObservation.experimentArrays', 'r', r, is.object('an experiment result (from runExperiment)'), 'argument');
  return {
    A: r.student.A,
    eigenvalues: r.student.eigenvalues,
    line_attractor_score: r.student.lineAttractorScore,
    time_constants: r.student.timeConstants,
    teacher_eigenvalues: r.teacher.eigenvalues,
    teacher_line_attractor_score: r.teacher.lineAttractorScore,
    teacher_time_constants: r.teacher.timeConstants,
    teacher_weights: r.teacher.weights,
    units: Float64Array.from(r.units),
    limit: r.limit && { A: r.limit.A, eigenvalues: r.limit.eigenvalues, line_attractor_score: r.limit.lineAttractorScore, distance: r.limit.distance },
    students: r.students.map((s) => ({ A: s.A, eigenvalues: s.eigenvalues, line_attractor_score: s.lineAttractorScore, final_loss: s.finalLoss })),
    limit_cycle: r.limitCycle,
    portraits: r.portraits,
  };
}

/** Writes an experiment's result file (kind 'partial-observation'; see {@link experimentArrays}). */
export async function saveExperiment(path: string, r: ExperimentResult): Promise<void> {
  checkValue('partialObservation.saveExperiment', 'path', path, is.string(), 'argument');
  checkValue('partialObservation.saveExperiment', 'r', r, is.object('an experiment result (from runExperiment)'), 'argument');
  await saveResult(path, 'partial-observation', experimentArrays(r), {
    meta: { experiment: 'single', teacher: { kind: r.teacher.kind, ...r.teacher.options }, settings: r.settings, students: r.students.map((s) => s.rank) },
  });
}

/** The config of {@link sweep}: teachers x observed units x noise x measurement noise x seeds. */
export interface SweepConfig {
  /** Teachers as { kind, size, ... } (a size D each). */
  teachers: ({ kind: TeacherKind } & TeacherOptions)[];
  /** Observed units d (each <= every teacher's D), or `fractions` d / D. */
  units?: number[];
  fractions?: number[];
  /** Process noise values s (default the simulation's). */
  noise?: number[];
  /** Measurement noise values (default the simulation's). */
  measurementNoise?: number[];
  /** Seeds of the simulation (the teacher keeps its own seed; default [0]). */
  seeds?: number[];
  /** The base simulation (steps, alpha, activation, ...). */
  simulation?: SimulateTeacherOptions;
  ridge?: number;
}

/** One row of a sweep: the setting and what the closed-form student and the linear limit give. */
export interface SweepRow {
  teacher: string;
  D: number;
  d: number;
  fraction: number;
  noise: number;
  measurementNoise: number;
  seed: number;
  teacherScore: number;
  studentScore: number;
  /** The linear limit's score (NaN for tanh). */
  limitScore: number;
  teacherMaxRe: number;
  teacherMinRe: number;
  studentMaxRe: number;
  studentMinRe: number;
  /** Re of the student's second eigenvalue (the r leading ones approach 1 for a low-rank teacher). */
  studentSecondRe: number;
  /** |student - limit| / |limit| (NaN for tanh). */
  limitDistance: number;
}

const SWEEP_RULES: Rules<SweepConfig> = {
  teachers: is.custom('a non-empty list of { kind, size, ... }', (v) => Array.isArray(v) && v.length > 0),
  units: is.arrayOf(is.integer(1)),
  fractions: is.arrayOf(is.number(0, 1, { minOpen: true })),
  noise: is.arrayOf(is.positive()),
  measurementNoise: is.arrayOf(is.nonNegative()),
  seeds: is.arrayOf(is.seed()),
  simulation: is.object(),
  ridge: is.nonNegative(),
};

/** Runs the closed-form experiment over every setting of `config` and returns one row each; `signal` stops it
 * between settings (the promise rejects with the signal's reason). */
export async function sweep(config: SweepConfig, onProgress?: (row: SweepRow, done: number, total: number) => void, signal?: AbortSignal): Promise<SweepRow[]> {
  const where = 'partialObservation.sweep';
  const c = checkOptions(where, SWEEP_RULES, config, { seeds: [0], ridge: ESTIMATE_DEFAULTS.ridge });
  if (!c.units === !c.fractions) throw optionError(where, 'units', 'given, or fractions given instead (exactly one of the two)', c.units);
  const base = checkObject(where, c.simulation, "option 'simulation'") as SimulateTeacherOptions;
  const noises = c.noise ?? [base.noise ?? 0.2];
  const mnoises = c.measurementNoise ?? [base.measurementNoise ?? 0];
  const total = c.teachers.length * (c.units ?? c.fractions!).length * noises.length * mnoises.length * c.seeds!.length;
  const rows: SweepRow[] = [];
  for (const spec of c.teachers) {
    const t = await resolveTeacher(spec, where);
    const D = t.weights.shape[0];
    const ts = await spectrum(t.weights, t.eigenvalues);
    const tre = reParts(ts);
    for (const u of c.units ?? c.fractions!) {
      const d = c.units ? u : Math.max(1, Math.round(u * D));
      for (const noise of noises)
        for (const measurementNoise of mnoises)
          for (const seed of c.seeds!) {
            signal?.throwIfAborted();
            const run = await simulateTeacher(t, { ...base, units: d, noise, measurementNoise, seed });
            const s = run.options;
            const est = await estimate(run.observed, { alpha: s.alpha, ridge: c.ridge, activation: s.activation });
            const lim = s.activation === 'linear' ? await stationaryLimit(t.weights, { alpha: s.alpha, noise, measurementNoise, observed: run.units }) : undefined;
            const sre = reParts(est);
            const row: SweepRow = {
              teacher: t.kind, D, d, fraction: d / D, noise, measurementNoise, seed,
              teacherScore: ts.lineAttractorScore, studentScore: est.lineAttractorScore, limitScore: lim?.lineAttractorScore ?? NaN,
              teacherMaxRe: tre[0], teacherMinRe: tre[tre.length - 1], studentMaxRe: sre[0], studentMinRe: sre[sre.length - 1],
              studentSecondRe: sre.length > 1 ? sre[1] : NaN, limitDistance: lim ? relativeDistance(est.A.data, lim.A.data) : NaN,
            };
            rows.push(row);
            onProgress?.(row, rows.length, total);
          }
    }
  }
  return rows;
}

function reParts(s: Spectrum): number[] {
  const e = s.eigenvalues.data;
  return Array.from({ length: e.length / 2 }, (_, i) => e[2 * i]);
}

/** Writes a sweep's table (kind 'partial-observation'): one array per column under `table.`, the teacher as text. */
export async function saveSweep(path: string, rows: SweepRow[], settings: object = {}): Promise<void> {
  checkValue('partialObservation.saveSweep', 'path', path, is.string(), 'argument');
  checkValue('partialObservation.saveSweep', 'rows', rows, is.list(), 'argument');
  const table: Record<string, unknown> = {};
  for (const key of Object.keys(rows[0] ?? {}) as (keyof SweepRow)[]) {
    table[key] = key === 'teacher' ? rows.map((r) => r.teacher) : Float64Array.from(rows, (r) => r[key] as number);
  }
  await saveResult(path, 'partial-observation', { table }, { meta: { experiment: 'sweep', settings } });
}

/** The sweep's rows as a Markdown table (the one in docs/partial-observation.md); the last column is
 * |A_hat - limit| / |limit| (Frobenius). */
export function sweepMarkdown(rows: SweepRow[]): string {
  checkValue('partialObservation.sweepMarkdown', 'rows', rows, is.list(), 'argument');
  const f = (x: number) => (Number.isNaN(x) ? '-' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3));
  const head = '| teacher | D | d | noise | meas. noise | seed | teacher score | student score | limit score | teacher Re range | student Re range | student Re λ2 | distance to limit |';
  const lines = rows.map((r) => `| ${r.teacher} | ${r.D} | ${r.d} | ${r.noise} | ${r.measurementNoise} | ${r.seed} | ${f(r.teacherScore)} | ${f(r.studentScore)} | ${f(r.limitScore)} | [${f(r.teacherMinRe)}, ${f(r.teacherMaxRe)}] | [${f(r.studentMinRe)}, ${f(r.studentMaxRe)}] | ${f(r.studentSecondRe)} | ${f(r.limitDistance)} |`);
  return [head, `|${'---|'.repeat(13)}`, ...lines].join('\n');
}
