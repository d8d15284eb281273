/**
 * Partial observation (seed 003, Qian, Zavatone-Veth, Ruben & Pehlevan, "Partial observation can induce mechanistic
 * mismatches in data-constrained RNNs"): teacher-student experiments that show when RNNs fitted to a few of a
 * circuit's units invent slow modes, line attractors and limit cycles. Teachers, their simulation and partial
 * observation, the closed-form MAP / ridge student and BPTT students, the linear long-time limit from the stationary
 * covariance, comparisons (spectra, time constants, the line-attractor score, flow fields and fixed points on the top
 * PCs, limit cycles) and sweeps. See docs/partial-observation.md.
 * @module
 */
export { TEACHER_DEFAULTS, TEACHER_KINDS, teacher, userTeacher, type Teacher, type TeacherKind, type TeacherOptions } from './teachers.js';
export {
  ESTIMATE_DEFAULTS,
  PARTIAL_ACTIVATIONS,
  discreteLyapunov,
  estimate,
  observedShape,
  spectrum,
  stationaryLimit,
  type Estimate,
  type EstimateOptions,
  type LimitOptions,
  type PartialActivation,
  type Spectrum,
  type StationaryLimit,
} from './estimate.js';
export { SIMULATE_TEACHER_DEFAULTS, simulateTeacher, teacherMatrix, type ObservedRun, type SimulateTeacherOptions } from './simulate.js';
export { STUDENT_DEFAULTS, dynamicsMatrix, fitStudent, studentWindows, type Student, type StudentOptions } from './students.js';
export {
  LIMIT_CYCLE_DEFAULTS,
  PORTRAIT_DEFAULTS,
  limitCycle,
  networkModel,
  portrait,
  type LimitCycle,
  type LimitCycleOptions,
  type Network,
  type Portrait,
  type PortraitOptions,
} from './compare.js';
export {
  experimentArrays,
  relativeDistance,
  resolveTeacher,
  runExperiment,
  saveExperiment,
  saveSweep,
  sweep,
  sweepMarkdown,
  type ExperimentConfig,
  type ExperimentResult,
  type StudentSummary,
  type SweepConfig,
  type SweepRow,
  type TeacherSpec,
} from './experiment.js';
