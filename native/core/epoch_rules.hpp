// What train() does after each epoch, for runs whose epochs the engine strings together without returning to
// JavaScript (an ensemble member with no held-out trials and no curriculum, on the CPU): the epoch's loss (the mean of
// its minibatch losses), keep-best, the plateau count, the next learning rate and whether the run stops. These are
// the rules of ts/training/progress.ts (recordEpoch), ts/training/schedule.ts and ts/training/train.ts (stopsAfter),
// the same double arithmetic in the same order, so the decisions are bit for bit the ones train() makes; the
// TypeScript side replays every epoch the engine ran and refuses a result whose decisions differ.
#pragma once
#include <algorithm>

namespace lowrank {

// The learning-rate schedule of a run (train()'s lrSchedule): none, step (multiply by factor every `every` epochs) or
// plateau (multiply by factor, never below minLr, after `patience` epochs without a relative improvement above
// `threshold`).
struct EpochSchedule {
  enum class Kind { None, Step, Plateau } kind = Kind::None;
  int every = 1;
  double factor = 1.0;
  int patience = 0;
  double threshold = 0.0;
  double minLr = 0.0;
};

// The epochs one engine call runs for a member, and the run's state before the first of them.
struct EpochPlan {
  int count = 1;        // epochs in this call
  int first = 1;        // the number of the first of them (epochs count from 1)
  int last = 1;         // the run's last epoch (train()'s `epochs`)
  double bestLoss = 0;  // the best monitored loss before this call
  int plateauEpochs = 0;
  EpochSchedule schedule;
  bool earlyStop = false;  // stop once the epoch's loss is below earlyStopBelow
  double earlyStopBelow = 0;
};

// The run's state as the epochs go by: what recordEpoch keeps, and whether the last epoch was the best so far.
struct EpochBook {
  double lr = 0;
  double bestLoss = 0;
  int bestEpoch = 0;  // 0: no epoch of this call beat the loss before it
  int plateauEpochs = 0;

  // The epoch's loss: the mean of its minibatch losses, summed in order from 0 (as Array.prototype.reduce does).
  static double mean_loss(const double* losses, int n) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += losses[i];
    return sum / double(std::max(1, n));
  }

  // Records epoch `epoch` of loss `loss`: true when it is the best so far (its parameters are the ones to keep).
  bool record(const EpochPlan& plan, int epoch, double loss) {
    const EpochSchedule& s = plan.schedule;
    const double threshold = s.kind == EpochSchedule::Kind::Plateau ? s.threshold : 0.0;
    const int plateau = loss < bestLoss * (1 - threshold) ? 0 : plateauEpochs + 1;
    const bool best = loss < bestLoss;
    if (best) {
      bestLoss = loss;
      bestEpoch = epoch;
    }
    plateauEpochs = plateau;
    if (s.kind == EpochSchedule::Kind::Step) {
      if (epoch % s.every == 0) lr = lr * s.factor;
    } else if (s.kind == EpochSchedule::Kind::Plateau && plateau >= s.patience) {
      lr = std::max(s.minLr, lr * s.factor);
      plateauEpochs = 0;
    }
    return best;
  }

  // Whether the run stops after epoch `epoch` of loss `loss`: its last epoch, or early stopping.
  static bool stops(const EpochPlan& plan, int epoch, double loss) {
    return epoch == plan.last || (plan.earlyStop && loss < plan.earlyStopBelow);
  }
};

}  // namespace lowrank
