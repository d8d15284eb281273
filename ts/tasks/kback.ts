// K-back (LINT paper, section 3.2.1): "a network receives a random number P of stimulations in {−1, 1} and has to
// output the K-th last stimulation received". Neither reference repository implements it, so the timing is ours,
// chosen to match the other LINT tasks (20 ms bins, 100 ms epochs, a 300 ms decision like DM):
//
//   fixation 100 ms | P × (stimulus 100 ms at ±1, then interval 100 ms) | decision 300 ms (go cue on)
//
// P is uniform in [minStimuli, maxStimuli] (default [K, K + 4]) and each stimulation is ±1 with probability 1/2.
// ch0 carries the stimulations (plus white noise, std noiseStd, at every bin); ch1 is a noise-free go cue at 1
// during the decision epoch, which tells the network when the sequence is over (P varies, so it could not know
// otherwise); `goCue: false` drops it. The target, the K-th last stimulation (K = 1: the last one), and the mask
// cover the decision epoch. Trials are padded to the longest sequence: fixation + maxStimuli·(stimulus + interval)
// + decision bins (80 for K = 2 at 20 ms). Accuracy: the reference sign rule on the masked window.

import type { Random } from '../core/random.js';
import { among, TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { Check, mergeOptions } from './validate.js';

/** Options of the K-back task; defaults in `KBACK_DEFAULTS`. */
export interface KbackOptions {
  /** Which stimulation to report, counting back from the last (1 = the last). */
  k: number;
  /** Fewest stimulations per trial (default K). */
  minStimuli: number | null;
  /** Most stimulations per trial (default K + 4). */
  maxStimuli: number | null;
  dt: number;
  fixation: number;
  stimulus: number;
  interval: number;
  decision: number;
  /** Add the go-cue channel (ch1). */
  goCue: boolean;
  noiseStd: number;
  seed: number;
}

export const KBACK_DEFAULTS: Readonly<KbackOptions> = Object.freeze({
  k: 2,
  minStimuli: null,
  maxStimuli: null,
  dt: 20,
  fixation: 100,
  stimulus: 100,
  interval: 100,
  decision: 300,
  goCue: true,
  noiseStd: 0.03,
  seed: 0,
});

/** K-back working memory: a random number of ±1 stimulations in, the K-th last one out after a go cue. */
export class KbackTask extends TrialTask<KbackOptions & { minStimuli: number; maxStimuli: number }> {
  readonly bins: Readonly<{ fixation: number; stimulus: number; interval: number; decision: number }>;
  protected readonly conditionKeys: readonly string[];
  protected readonly specKeys: readonly string[];

  constructor(options?: Partial<KbackOptions>) {
    const o = mergeOptions('kback', KBACK_DEFAULTS as KbackOptions, options);
    const check = new Check('kback');
    const k = check.integer('k', o.k, 1);
    const minStimuli = check.integer('minStimuli', o.minStimuli ?? k, k);
    const maxStimuli = check.integer('maxStimuli', o.maxStimuli ?? k + 4, minStimuli);
    const dt = check.dt(o.dt);
    const bins = Object.freeze({
      fixation: check.bins('fixation', o.fixation, dt, 0),
      stimulus: check.bins('stimulus', o.stimulus, dt),
      interval: check.bins('interval', o.interval, dt, 0),
      decision: check.bins('decision', o.decision, dt),
    });
    const goCue = check.boolean('goCue', o.goCue);
    super(
      'kback',
      { ...o, k, minStimuli, maxStimuli, goCue },
      {
        inputSize: goCue ? 2 : 1,
        outputSize: 1,
        steps: bins.fixation + maxStimuli * (bins.stimulus + bins.interval) + bins.decision,
        dt,
        noiseChannels: [0],
        ...stochasticLayout(check, o),
      },
    );
    this.bins = bins;
    const stimulusKeys = Array.from({ length: maxStimuli }, (_, j) => `stimulus${j + 1}`);
    this.conditionKeys = ['count', 'target', 'decisionStart', ...stimulusKeys];
    this.specKeys = ['count', ...stimulusKeys];
  }

  protected condition(rng: Random, given: Given): Condition {
    const { k, minStimuli, maxStimuli } = this.options;
    const count = given.get(
      'count',
      () => minStimuli + rng.int(maxStimuli - minStimuli + 1),
      (check, label, v) => check.integer(label, v, k, maxStimuli),
    );
    const row: Condition = { count };
    const stimuli: number[] = [];
    for (let j = 1; j <= maxStimuli; j++) {
      const key = `stimulus${j}`;
      row[key] =
        j <= count
          ? given.get(key, () => rng.choice([-1, 1]), among([-1, 1]))
          : given.get(key, () => 0, (check, label, v) =>
              v === 0 ? 0 : check.fail(`${label} must be 0 or left out when count is ${count}; got ${v}`),
            );
      if (j <= count) stimuli.push(row[key]);
    }
    const { fixation, stimulus, interval } = this.bins;
    row.target = stimuli[count - k];
    row.decisionStart = fixation + count * (stimulus + interval);
    return row;
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { fixation, stimulus, interval, decision } = this.bins;
    for (let j = 0; j < c.count; j++) {
      const start = fixation + j * (stimulus + interval);
      w.addInput(b, 0, start, start + stimulus, c[`stimulus${j + 1}`]);
    }
    const end = c.decisionStart + decision;
    if (this.options.goCue) w.addInput(b, 1, c.decisionStart, end, 1);
    w.setTarget(b, 0, c.decisionStart, end, c.target);
  }
}
