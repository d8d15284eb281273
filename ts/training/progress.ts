// What a run has seen so far: its epoch reports, the best monitored loss and parameters (keep-best), the learning
// rate and the plateau count; and how one epoch's report updates them.
import type { FloatArray } from '../core/tensor.js';
import type { Monitor, ResolvedSchedule } from './options.js';
import { nextLearningRate, plateauEpochsAfter } from './schedule.js';

/** What one epoch of {@link train} did: its losses, accuracy and learning rate (passed to `onProgress`). */
export interface EpochReport {
  /** The epoch, from 1. */
  epoch: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** Mean of this epoch's minibatch losses (the reference's keep-best and early-stop criterion). */
  loss: number;
  /** Loss of the held-out trials, with one fixed noise draw (the same every epoch). */
  validationLoss?: number;
  /** The task's accuracy on the held-out trials (a task with an accuracy, trials held out, loss on the outputs). */
  validationAccuracy?: number;
  /** Which loss keep-best, early stopping and the plateau schedule followed: `validationLoss` or `loss`. */
  monitor: Monitor;
  /** Wall-clock time of the epoch. */
  seconds: number;
  /** Whether this epoch's monitored loss is the best so far (its parameters are the ones kept). */
  best: boolean;
}

/** What {@link train} resolves with: every epoch's report and which epoch's parameters the model holds. */
export interface TrainResult {
  /** One report per epoch run (a resumed run's include those before the checkpoint). */
  epochs: EpochReport[];
  /** The loss `bestLoss` is. */
  monitor: Monitor;
  /** The lowest monitored loss (of the initial parameters when no epoch beat them). */
  bestLoss: number;
  /** 0 = the initial parameters were never beaten. */
  bestEpoch: number;
  /** True only in the result an aborted run's AbortError carries as `error.result`. */
  aborted: boolean;
  /** Wall-clock time of the run. */
  seconds: number;
}

/** The state a checkpoint saves and a resumed run restores. */
export interface RunState {
  reports: EpochReport[];
  bestLoss: number;
  bestEpoch: number;
  bestParams: FloatArray;
  lr: number;
  plateauEpochs: number;
  /** The epoch the run (re)starts at. */
  firstEpoch: number;
}

/** The loss of `report` that the run monitors. */
export function monitoredLoss(report: EpochReport): number {
  return report.monitor === 'validation' ? report.validationLoss! : report.loss;
}

/** Records an epoch: keep-best (`params()` gives the parameters to keep when the epoch is the best so far), the plateau
 * count and the next learning rate. The engine applies the same rules to the epochs it strings together
 * (native/core/epoch_rules.hpp): a change here is a change there. */
export function recordEpoch(state: RunState, report: EpochReport, params: () => FloatArray, schedule: ResolvedSchedule | undefined): void {
  const loss = monitoredLoss(report);
  const plateau = plateauEpochsAfter(schedule, loss, state.bestLoss, state.plateauEpochs);
  if (loss < state.bestLoss) {
    state.bestLoss = loss;
    state.bestEpoch = report.epoch;
    state.bestParams = params();
    report.best = true;
  }
  const next = nextLearningRate(schedule, state.lr, report.epoch, plateau);
  state.lr = next.lr;
  state.plateauEpochs = next.plateauEpochs;
  state.reports.push(report);
}
