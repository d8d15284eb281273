// Parametric working memory (Romo et al. 1999, "WM"): romo.py of [L] (max delay 2000 ms) and [P] (1000 ms).
//
// One input channel: (f1 − fmiddle) / fspan during stimulus 1, then after a delay of a random whole number of bins
// in [floor(minDelay/dt), floor(maxDelay/dt)], (f2 − fmiddle) / fspan during stimulus 2; white noise at every bin.
// The graded target (f1 − f2) / fspan (±1/3, ±2/3, ±1 for the reference pairs) and the mask cover the decision epoch
// right after stimulus 2; trials are padded to the longest delay. The reference pairs are (f, f + d) for
// d ∈ {±8, ±16, ±24} with both frequencies in [10, 34] Hz: 54 pairs, fmiddle 22, fspan 24. A catch trial is all noise
// with a zero target and no mask (as in the reference).

import type { Random } from '../core/random.js';
import { TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { Check, delayedPairBins, msToBins, resolvePreset, show, type DelayedPairBins, type DelayedPairDurations } from './validate.js';

/** WM's constants: the LINT code's ('lint') or the populations code's ('populations'). */
export type WmPreset = 'lint' | 'populations';

/** Options of parametric working memory; `preset` picks the constants of the LINT or the populations code. */
export interface WmOptions extends DelayedPairDurations {
  preset: WmPreset;
  dt: number;
  /** Frequency pairs [f1, f2] in Hz drawn uniformly per trial. */
  pairs: ReadonlyArray<readonly [number, number]>;
  fmiddle: number;
  fspan: number;
  noiseStd: number;
  fractionCatch: number;
  seed: number;
}

/**
 * The reference's 54 pairs, in its order: for d in (−24, −16, −8, 8, 16, 24), f1 from max(10, 10 − d) to
 * min(34, 34 − d), f2 = f1 + d.
 */
export const ROMO_PAIRS: ReadonlyArray<readonly [number, number]> = Object.freeze(
  [-24, -16, -8, 8, 16, 24].flatMap((d) => {
    const pairs: Array<readonly [number, number]> = [];
    for (let f = Math.max(10 - d, 10); f <= Math.min(34, 34 - d); f++) pairs.push(Object.freeze([f, f + d] as const));
    return pairs;
  }),
);

const COMMON: Omit<WmOptions, 'preset' | 'maxDelay'> = {
  dt: 20,
  fixation: 100,
  stimulus1: 100,
  minDelay: 500,
  stimulus2: 100,
  decision: 100,
  pairs: ROMO_PAIRS,
  fmiddle: 22,
  fspan: 24,
  noiseStd: 0.01,
  fractionCatch: 0,
  seed: 0,
};

const PRESETS: Record<WmPreset, Omit<WmOptions, 'preset'>> = {
  lint: { ...COMMON, maxDelay: 2000 },
  populations: { ...COMMON, maxDelay: 1000 },
};

/**
 * Parametric working memory (Romo et al. 1999): two vibration frequencies across a delay in, the graded difference
 * (f1 - f2) / fspan out.
 */
export class WmTask extends TrialTask<WmOptions> {
  /** Bins of the fixed epochs and the delay range. */
  readonly bins: DelayedPairBins;
  protected readonly conditionKeys = ['f1', 'f2', 'delay', 'target', 'decisionStart', 'catch'] as const;
  protected readonly specKeys = ['f1', 'f2', 'delay'] as const;

  constructor(options?: Partial<WmOptions>) {
    const o = resolvePreset('wm', PRESETS, 'lint', options);
    const check = new Check('wm');
    const dt = check.dt(o.dt);
    const { bins, steps } = delayedPairBins(check, o, dt);
    if (!Array.isArray(o.pairs) || o.pairs.length === 0) {
      check.fail(`pairs must be a non-empty array of [f1, f2] frequency pairs; got ${show(o.pairs)}`, TypeError);
    }
    const pairs = Object.freeze(
      o.pairs.map((p, i) => {
        if (!Array.isArray(p) || p.length !== 2) check.fail(`pairs[${i}] must be a pair [f1, f2]; got ${show(p)}`);
        return Object.freeze([check.number(`pairs[${i}][0]`, p[0]), check.number(`pairs[${i}][1]`, p[1])] as const);
      }),
    );
    super(
      'wm',
      { ...o, pairs, fmiddle: check.number('fmiddle', o.fmiddle), fspan: check.positive('fspan', o.fspan) },
      {
        inputSize: 1,
        outputSize: 1,
        steps,
        dt,
        noiseChannels: [0],
        ...stochasticLayout(check, o),
      },
    );
    this.bins = bins;
  }

  protected condition(rng: Random, given: Given): Condition {
    given.together('f1', 'f2');
    const pair = given.has('f1') ? null : rng.choice(this.options.pairs);
    const f1 = given.get('f1', () => pair![0]);
    const f2 = given.get('f2', () => pair![1]);
    const { minDelay, maxDelay, fixation, stimulus1 } = this.bins;
    const delayBins = given.has('delay')
      ? msToBins(given.get('delay', () => 0, (check, label, ms) => this.checkDelay(check, label, ms)), this.dt)
      : minDelay + rng.int(maxDelay - minDelay + 1);
    return {
      f1,
      f2,
      delay: delayBins * this.dt,
      target: (f1 - f2) / this.options.fspan,
      decisionStart: fixation + stimulus1 + delayBins + this.bins.stimulus2,
      catch: 0,
    };
  }

  private checkDelay(check: Check, label: string, ms: number): number {
    const bins = msToBins(check.duration(label, ms), this.dt);
    if (bins > this.bins.maxDelay) {
      const longest = `the longest delay (maxDelay ${this.options.maxDelay} ms)`;
      check.fail(`${label} = ${ms} ms gives ${bins} bins, more than ${longest}`);
    }
    return ms;
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    if (c.catch) return;
    const { fmiddle, fspan } = this.options;
    const { fixation, stimulus1, stimulus2, decision } = this.bins;
    const stim2Start = c.decisionStart - stimulus2;
    w.addInput(b, 0, fixation, fixation + stimulus1, (c.f1 - fmiddle) / fspan);
    w.addInput(b, 0, stim2Start, c.decisionStart, (c.f2 - fmiddle) / fspan);
    w.setTarget(b, 0, c.decisionStart, c.decisionStart + decision, c.target);
  }
}
