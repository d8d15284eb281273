// Delayed match-to-sample ("DMS"): dms.py, identical in [L] and [P].
//
// Two input channels, stimulus A = ch0 at 1, stimulus B = ch1 at 1 (conditions code A as 0 and B as 1), white noise
// on both at every bin. Stimulus 1, a delay drawn uniformly in [minDelay, maxDelay] ms then floored to bins,
// stimulus 2, then the decision epoch right after stimulus 2: target +1 for a match (A-A, B-B), −1 for a non-match,
// mask on there. Trials are padded to fixation + stimulus1 + floor(maxDelay/dt) + stimulus2 + decision bins (255 by
// default); the padding is noise only, with mask 0. A catch trial is noise only with a zero target and no mask.
//
// Curriculum: the reference shapes the maximum delay (700 → 1000 → 4000 ms); `withMaxDelay(ms)` returns the same task
// with another maximum delay (and so another padded length).

import type { Random } from '../core/random.js';
import { among, TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { Check, delayedPairBins, mergeOptions, msToBins, type DelayedPairBins, type DelayedPairDurations } from './validate.js';

/** Options of delayed match-to-sample; defaults in `DMS_DEFAULTS`. */
export interface DmsOptions extends DelayedPairDurations {
  dt: number;
  noiseStd: number;
  fractionCatch: number;
  seed: number;
}

export const DMS_DEFAULTS: Readonly<DmsOptions> = Object.freeze({
  dt: 20,
  fixation: 100,
  stimulus1: 500,
  minDelay: 500,
  maxDelay: 3000,
  stimulus2: 500,
  decision: 1000,
  noiseStd: 0.03,
  fractionCatch: 0,
  seed: 0,
});

/** Stimulus codes in conditions: A (channel 0) and B (channel 1). */
export const DMS_A = 0;
export const DMS_B = 1;

/** Delayed match-to-sample: two stimuli (A or B) across a random delay, +1 for a match and -1 for a non-match. */
export class DmsTask extends TrialTask<DmsOptions> {
  readonly bins: DelayedPairBins;
  protected readonly conditionKeys = ['stimulus1', 'stimulus2', 'match', 'delay', 'decisionStart', 'catch'] as const;
  protected readonly specKeys = ['stimulus1', 'stimulus2', 'delay'] as const;

  constructor(options?: Partial<DmsOptions>) {
    const o = mergeOptions('dms', DMS_DEFAULTS as DmsOptions, options);
    const check = new Check('dms');
    const dt = check.dt(o.dt);
    const { bins, steps } = delayedPairBins(check, o, dt);
    super('dms', o, {
      inputSize: 2,
      outputSize: 1,
      steps,
      dt,
      noiseChannels: [0, 1],
      ...stochasticLayout(check, o),
    });
    this.bins = bins;
  }

  /** The same task with another maximum delay in ms (curriculum shaping); the other options are kept. */
  withMaxDelay(maxDelay: number): DmsTask {
    return new DmsTask({ ...this.options, maxDelay });
  }

  protected condition(rng: Random, given: Given): Condition {
    const { minDelay, maxDelay } = this.options;
    const stimulus1 = given.get('stimulus1', () => rng.int(2), among([DMS_A, DMS_B]));
    const stimulus2 = given.get('stimulus2', () => rng.int(2), among([DMS_A, DMS_B]));
    const delayMs = given.get(
      'delay',
      () => minDelay + (maxDelay - minDelay) * rng.uniform(),
      (check, label, ms) => {
        if (check.duration(label, ms) > maxDelay) {
          check.fail(`${label} = ${ms} ms is longer than maxDelay (${maxDelay} ms)`);
        }
        return ms;
      },
    );
    const delayBins = msToBins(delayMs, this.dt);
    const { fixation, stimulus1: s1, stimulus2: s2 } = this.bins;
    return {
      stimulus1,
      stimulus2,
      match: stimulus1 === stimulus2 ? 1 : -1,
      delay: delayBins * this.dt,
      decisionStart: fixation + s1 + delayBins + s2,
      catch: 0,
    };
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    if (c.catch) return;
    const { fixation, stimulus1, stimulus2, decision } = this.bins;
    w.addInput(b, c.stimulus1, fixation, fixation + stimulus1, 1);
    w.addInput(b, c.stimulus2, c.decisionStart - stimulus2, c.decisionStart, 1);
    w.setTarget(b, 0, c.decisionStart, c.decisionStart + decision, c.match);
  }
}
