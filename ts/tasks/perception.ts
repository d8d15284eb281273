// The two tasks of the ReLU RNN report (seed 001: 128/256-unit rate networks, tau 100 ms, dt 10 ms):
//   perception — "an input of 0.8 should result in a network output of 0.5 and an input of 0.5 should result in an
//                 output of 0.8", with noisy input;
//   decision   — "examine two fixed point inputs and identify which of these inputs is larger".
// The report gives no trial structure, so ours is: the input is on for the whole trial (1000 ms = 100 bins at
// dt 10 ms) with white noise (std 0.05) at every bin; the first 200 ms ("settle") are unmasked, so the network may
// move to its fixed point, and the target and the mask cover the remaining 800 ms ("response").
// Decision: each input is drawn from `levels` (0.1, 0.2, …, 0.9) with input1 ≠ input2; the target is +1 when input 1
// (ch0) is the larger, −1 when input 2 (ch1) is (the report fixes no sign; its figure 1 only shows the output going
// from high to low as the difference between the inputs changes sign). Equal inputs, possible only through
// trials(), get a zero target and so are left out of the accuracy like catch trials.
// Accuracy: perception — the output averaged over the mask must be closer to the trial's target than to the other
// target level; decision — the reference sign rule.

import type { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { nearestLevelAccuracy } from './accuracy.js';
import { among, TrialTask, type Condition, type Given } from './base.js';
import type { BatchWriter } from './batch.js';
import type { TaskBatch } from './types.js';
import { Check, mergeOptions, timeline } from './validate.js';

interface TimingOptions {
  dt: number;
  /** Input on, unmasked. */
  settle: number;
  /** Input on, target and mask on. */
  response: number;
  noiseStd: number;
  seed: number;
}

/** Options of the perception task of seed 001; defaults in `PERCEPTION_DEFAULTS`. */
export interface PerceptionOptions extends TimingOptions {
  /** Input levels; levels[i] must give output targets[i]. */
  levels: readonly number[];
  targets: readonly number[];
}

/** Options of the decision task of seed 001; defaults in `DECISION_DEFAULTS`. */
export interface DecisionOptions extends TimingOptions {
  /** Values each of the two inputs is drawn from. */
  levels: readonly number[];
}

const TIMING: TimingOptions = { dt: 10, settle: 200, response: 800, noiseStd: 0.05, seed: 0 };

export const PERCEPTION_DEFAULTS: Readonly<PerceptionOptions> = Object.freeze({
  ...TIMING,
  levels: [0.8, 0.5],
  targets: [0.5, 0.8],
});

export const DECISION_DEFAULTS: Readonly<DecisionOptions> = Object.freeze({
  ...TIMING,
  levels: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
});

function layout(check: Check, o: TimingOptions) {
  const dt = check.dt(o.dt);
  const { epochs, total } = timeline<'settle' | 'response'>([
    ['settle', check.bins('settle', o.settle, dt, 0)],
    ['response', check.bins('response', o.response, dt)],
  ]);
  return { dt, epochs, total, noiseStd: check.nonNegative('noiseStd', o.noiseStd), seed: check.seed(o.seed) };
}

/** The perception task of seed 001: a noisy input level in, the output level paired with it out. */
export class PerceptionTask extends TrialTask<PerceptionOptions> {
  readonly epochs: Readonly<Record<'settle' | 'response', readonly [number, number]>>;
  protected readonly conditionKeys = ['level', 'target'] as const;
  protected readonly specKeys = ['level'] as const;

  constructor(options?: Partial<PerceptionOptions>) {
    const o = mergeOptions('perception', PERCEPTION_DEFAULTS as PerceptionOptions, options);
    const check = new Check('perception');
    const { dt, epochs, total, noiseStd, seed } = layout(check, o);
    const levels = check.numbers('levels', o.levels);
    const targets = check.numbers('targets', o.targets);
    if (targets.length !== levels.length) {
      check.fail(`targets must have one entry per level (${levels.length}); got ${targets.length}`);
    }
    if (new Set(levels).size !== levels.length) check.fail(`levels must be distinct; got ${JSON.stringify(levels)}`);
    super('perception', { ...o, levels, targets }, {
      inputSize: 1,
      outputSize: 1,
      steps: total,
      dt,
      noiseChannels: [0],
      noiseStd,
      fractionCatch: null,
      seed,
    });
    this.epochs = epochs;
  }

  protected condition(rng: Random, given: Given): Condition {
    const { levels, targets } = this.options;
    const level = given.get('level', () => rng.choice(levels), among(levels));
    return { level, target: targets[levels.indexOf(level)] };
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { response } = this.epochs;
    w.addInput(b, 0, 0, this.steps, c.level);
    w.setTarget(b, 0, response[0], response[1], c.target);
  }

  /** The masked mean output must be nearer the trial's target than the other target levels. */
  accuracy(outputs: Tensor, batch: TaskBatch): number {
    return nearestLevelAccuracy(outputs, batch, this.options.targets, 'perception.accuracy');
  }
}

/** The decision task of seed 001: two noisy input levels in, +1 when the first is larger, -1 when the second is. */
export class DecisionTask extends TrialTask<DecisionOptions> {
  readonly epochs: Readonly<Record<'settle' | 'response', readonly [number, number]>>;
  protected readonly conditionKeys = ['input1', 'input2', 'choice'] as const;
  protected readonly specKeys = ['input1', 'input2'] as const;

  constructor(options?: Partial<DecisionOptions>) {
    const o = mergeOptions('decision', DECISION_DEFAULTS as DecisionOptions, options);
    const check = new Check('decision');
    const { dt, epochs, total, noiseStd, seed } = layout(check, o);
    const levels = check.numbers('levels', o.levels);
    if (new Set(levels).size < 2) {
      check.fail(`levels must hold at least two distinct values; got ${JSON.stringify(levels)}`);
    }
    super('decision', { ...o, levels }, {
      inputSize: 2,
      outputSize: 1,
      steps: total,
      dt,
      noiseChannels: [0, 1],
      noiseStd,
      fractionCatch: null,
      seed,
    });
    this.epochs = epochs;
  }

  protected condition(rng: Random, given: Given): Condition {
    const { levels } = this.options;
    const input1 = given.get('input1', () => rng.choice(levels));
    const input2 = given.get('input2', () => rng.choice(levels.filter((v) => v !== input1)));
    return { input1, input2, choice: Math.sign(input1 - input2) };
  }

  protected write(w: BatchWriter, b: number, c: Condition): void {
    const { response } = this.epochs;
    w.addInput(b, 0, 0, this.steps, c.input1);
    w.addInput(b, 1, 0, this.steps, c.input2);
    if (c.choice !== 0) w.setTarget(b, 0, response[0], response[1], c.choice);
    else w.setMask(b, 0, response[0], response[1]);
  }
}
