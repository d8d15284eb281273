// Perceptual decision making (random dots, "DM"/"RDM"): rdm.py of the LINT code [L] and of the populations-paper
// code [P], which use different constants (lint_reference.md §4); pick them with `preset`.
//
// One noisy input channel carries coherence * scale during the stimulus epoch; after a delay the single output must
// report the sign of the coherence (+1 if coherence > 0, else −1, so a coherence of exactly 0 has target −1 as in
// the reference). The target and the mask cover the decision epoch. A catch trial (probability fractionCatch) has no
// stimulus and a zero target, but its mask is on, as in the reference.

import type { Random } from '../core/random.js';
import { TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import { Check, resolvePreset, timeline } from './validate.js';

/** DM's constants: the LINT code's ('lint') or the populations code's ('populations'). */
export type DmPreset = 'lint' | 'populations';

/** Options of perceptual decision making; `preset` picks the constants of the LINT or the populations code. */
export interface DmOptions {
  preset: DmPreset;
  /** ms per bin */
  dt: number;
  fixation: number;
  stimulus: number;
  delay: number;
  decision: number;
  /** Coherences drawn uniformly per trial (in %). */
  coherences: readonly number[];
  /** Input amplitude per unit of coherence ([L] 3.2/100, [P] 0.1). */
  scale: number;
  /** Std of the white noise added to the input at every bin. */
  noiseStd: number;
  fractionCatch: number;
  /** Seed of the task's own stream (used when `sample` gets no seed). */
  seed: number;
}

const PRESETS: Record<DmPreset, Omit<DmOptions, 'preset'>> = {
  lint: {
    dt: 20,
    fixation: 100,
    stimulus: 800,
    delay: 300,
    decision: 300,
    coherences: [-16, -8, -4, -2, -1, 1, 2, 4, 8, 16],
    scale: 3.2 / 100,
    noiseStd: 0.03,
    fractionCatch: 0,
    seed: 0,
  },
  populations: {
    dt: 20,
    fixation: 100,
    stimulus: 800,
    delay: 100,
    decision: 20,
    coherences: [-4, -2, -1, 1, 2, 4],
    scale: 0.1,
    noiseStd: 0.1,
    fractionCatch: 0,
    seed: 0,
  },
};

/** The epochs of a DM trial. */
export type DmEpoch = 'fixation' | 'stimulus' | 'delay' | 'decision';

/** Perceptual decision making (random dots): one noisy stimulus in, the sign of its coherence out after a delay. */
export class DmTask extends TrialTask<DmOptions> {
  /** [start, end) bins of each epoch. */
  readonly epochs: Readonly<Record<DmEpoch, readonly [number, number]>>;
  protected readonly conditionKeys = ['coherence', 'choice', 'catch'] as const;
  protected readonly specKeys = ['coherence'] as const;

  constructor(options?: Partial<DmOptions>) {
    const o = resolvePreset('dm', PRESETS, 'lint', options);
    const check = new Check('dm');
    const dt = check.dt(o.dt);
    const { epochs, total } = timeline<DmEpoch>([
      ['fixation', check.bins('fixation', o.fixation, dt, 0)],
      ['stimulus', check.bins('stimulus', o.stimulus, dt)],
      ['delay', check.bins('delay', o.delay, dt, 0)],
      ['decision', check.bins('decision', o.decision, dt)],
    ]);
    const resolved = {
      ...o,
      coherences: check.numbers('coherences', o.coherences),
      scale: check.number('scale', o.scale),
    };
    super('dm', resolved, {
      inputSize: 1,
      outputSize: 1,
      steps: total,
      dt,
      noiseChannels: [0],
      ...stochasticLayout(check, o),
    });
    this.epochs = epochs;
  }

  protected condition(rng: Random, given: Given): Condition {
    const coherence = given.get('coherence', () => rng.choice(this.options.coherences));
    return { coherence, choice: coherence > 0 ? 1 : -1, catch: 0 };
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { stimulus, decision } = this.epochs;
    if (c.catch) {
      w.setMask(b, 0, decision[0], decision[1]);
      return;
    }
    w.addInput(b, 0, stimulus[0], stimulus[1], c.coherence * this.options.scale);
    w.setTarget(b, 0, decision[0], decision[1], c.choice);
  }
}
