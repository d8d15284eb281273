// Learning-rate schedules: step (multiply every `every` epochs) and plateau (multiply after `patience` epochs without
// a relative improvement of the monitored loss above `threshold`, never below `minLr`).
import type { ResolvedSchedule } from './options.js';

/** Epochs without improvement after this epoch's monitored `loss`, against the best loss before it. */
export function plateauEpochsAfter(schedule: ResolvedSchedule | undefined, loss: number, bestLoss: number, plateauEpochs: number): number {
  const threshold = schedule?.kind === 'plateau' ? schedule.threshold : 0;
  return loss < bestLoss * (1 - threshold) ? 0 : plateauEpochs + 1;
}

/** The learning rate of the next epoch, and the plateau count it starts with (reset when the rate was cut). */
export function nextLearningRate(schedule: ResolvedSchedule | undefined, lr: number, epoch: number, plateauEpochs: number): { lr: number; plateauEpochs: number } {
  if (schedule?.kind === 'step') return { lr: epoch % schedule.every === 0 ? lr * schedule.factor : lr, plateauEpochs };
  if (schedule?.kind === 'plateau' && plateauEpochs >= schedule.patience) {
    return { lr: Math.max(schedule.minLr, lr * schedule.factor), plateauEpochs: 0 };
  }
  return { lr, plateauEpochs };
}
