// Training: train() (the recipe, train.ts), trainEnsemble() (many models of one shape side by side, ensemble.ts),
// its options and defaults (options.ts), the trials it trains on
// (trials.ts), learning-rate schedules (schedule.ts), keep-best bookkeeping (progress.ts) and checkpoints
// (checkpoint.ts).
export { train } from './train.js';
export { trainEnsemble, type EnsembleMemberOptions, type EnsembleMemberResult, type TrainEnsembleOptions } from './ensemble.js';
export {
  TRAIN_DEFAULTS,
  type CheckpointOptions,
  type LrSchedule,
  type Monitor,
  type TrainOptions,
  type WeightDecay,
} from './options.js';
export type { EpochReport, TrainResult } from './progress.js';
export type { Dataset, TrainableTask } from './trials.js';
