// LINT: fit low-rank RNNs to neural trajectories, score the fits, compare with SVD truncations, sweep ranks,
// subsample neurons, and prepare recorded spikes for fitting. See docs/lint.md.
export { fit, trajectories, LINT_DEFAULTS, type ActivityKind, type LintFit, type LintFitOptions } from './fit.js';
export {
  connectivityCorrelation,
  effectiveConnectivity,
  effectiveConnectivityCorrelation,
  median,
  trajectoryR2,
  type R2Options,
  type TrajectoryR2,
} from './metrics.js';
export {
  compareNetworks,
  fitTeacher,
  taskAccuracy,
  teacherTrials,
  withTeacherReadout,
  type CompareOptions,
  type FitTeacherOptions,
  type TeacherFit,
  type TeacherTrials,
} from './teacher.js';
export { svdTruncation, truncationBaseline, type TruncationOptions, type TruncationScore } from './baselines.js';
export {
  minimalRank,
  rankSweep,
  subsampling,
  teacherRankSweep,
  SUBSAMPLING_DEFAULTS,
  type RankSweep,
  type RankSweepOptions,
  type RankSweepRow,
  type SubsamplingOptions,
  type SubsamplingRow,
  type SubsamplingScore,
} from '../experiments/rank-sweep.js';
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
export { cdmDemo, DEMO_DEFAULTS, type DemoOptions, type DemoResult, type DemoRow } from '../experiments/demo.js';
