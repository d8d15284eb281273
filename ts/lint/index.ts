/**
 * LINT, Low-rank Inference from Neural Trajectories (Valente, Pillow & Ostojic 2022): fit low-rank RNNs to neural
 * trajectories, score the fits, compare them with SVD truncations, sweep ranks, subsample neurons, and prepare
 * recorded spikes for fitting. See docs/lint.md.
 * @module
 */
export {
  fit,
  fitMany,
  trajectories,
  LINT_DEFAULTS,
  TRAJECTORY_DEFAULTS,
  type ActivityKind,
  type LintFit,
  type LintFitRestart,
  type LintFitOutcome,
  type LintFitOptions,
  type StudentTraining,
  type TrajectoryOptions,
} from './fit.js';
export {
  connectivityCorrelation,
  effectiveConnectivity,
  effectiveConnectivityCorrelation,
  trajectoryR2,
  type R2Options,
  type TrajectoryR2,
} from './metrics.js';
export {
  compareNetworks,
  fitTeacher,
  COMPARE_DEFAULTS,
  FIT_TEACHER_DEFAULTS,
  TEACHER_TRIALS_DEFAULTS,
  taskAccuracy,
  teacherTrials,
  withTeacherReadout,
  type CompareOptions,
  type FitTeacherOptions,
  type TeacherFit,
  type TeacherTrials,
  type TeacherTrialsOptions,
} from './teacher.js';
export {
  svdTruncation,
  truncationBaseline,
  SVD_TRUNCATION_DEFAULTS,
  TRUNCATION_BASELINE_DEFAULTS,
  type TruncationBaselineOptions,
  type TruncationOptions,
  type TruncationScore,
} from './baselines.js';
export {
  minimalRank,
  rankSweep,
  teacherRankSweep,
  RANK_SWEEP_DEFAULTS,
  type RankSweep,
  type RankSweepFitOptions,
  type RankSweepOptions,
  type RankSweepProgress,
  type RankSweepRow,
  type TeacherRankSweepOptions,
} from '../experiments/rank-sweep.js';
export {
  subsampling,
  SUBSAMPLING_DEFAULTS,
  type SubsamplingOptions,
  type SubsamplingProgress,
  type SubsamplingRow,
  type SubsamplingScore,
} from '../experiments/subsampling.js';
export { latentAxes, projectTrajectories, type LatentAxes } from './axes.js';
export {
  averageCounts,
  binSpikes,
  conditionAverages,
  pcaDenoise,
  recordingTargets,
  removeConditionIndependent,
  smoothTime,
  type BinningOptions,
  type ConditionAverages,
  type NeuronTrial,
  type PcaDenoised,
} from './recordings.js';
export { saveFit, saveTable } from './files.js';
export { cdmDemo, DEMO_DEFAULTS, type DemoOptions, type DemoProgress, type DemoResult, type DemoRow } from '../experiments/demo.js';
/** The median of some numbers (the mean of the middle two for an even count; NaN for none). */
export { median } from '../core/linalg.js';
