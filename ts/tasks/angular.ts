// Angular-velocity integrator, as in pyrnn's integrator example (seed 004): the input is an angular speed in
// {±0.1, ±0.2, ±0.3} rad per bin (the README's set), piecewise constant: a speed is drawn at bin 0 and redrawn with
// probability switchProb (0.05, pyrnn's default) at every bin. The output is the heading: the cumulative sum of the
// clean speeds wrapped to (−π, π] and divided by π, so it lies in (−1, 1]. White noise (std 0.01, as pyrnn) is added to
// the input after the target is computed. `channels` independent integrators (pyrnn's k; the README's task has 1).
// pyrnn's training script uses 20 steps: the default is 400 ms at dt = 20 ms. Speeds are per bin, as in pyrnn, so
// changing dt changes the speed in rad/s. The mask is on everywhere.
//
// pyrnn defines no accuracy; ours is the fraction of (trial, bin, channel) points whose output is within `tolerance`
// (default 0.1, i.e. 18°) of the target, measured around the circle (outputs −1 and +1 are the same heading).
// trials({ speed }) gives constant-speed trials without switches (pyrnn's span_inputs); metadata: the initial
// `speed` (channel 0) and the number of `switches` (speed changes, all channels).

import type { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { pointwiseAccuracy } from './accuracy.js';
import { TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import type { TaskBatch } from './types.js';
import { Check, mergeOptions } from './validate.js';

/** Options of the angular-velocity integrator; defaults in `ANGULAR_DEFAULTS`. */
export interface AngularOptions {
  channels: number;
  dt: number;
  duration: number;
  /** Angular speeds in rad per bin. */
  speeds: readonly number[];
  /** Probability per bin of redrawing the speed. */
  switchProb: number;
  noiseStd: number;
  /** Accuracy tolerance in output units (1 = π rad). */
  tolerance: number;
  seed: number;
}

export const ANGULAR_DEFAULTS: Readonly<AngularOptions> = Object.freeze({
  channels: 1,
  dt: 20,
  duration: 400,
  speeds: [-0.3, -0.2, -0.1, 0.1, 0.2, 0.3],
  switchProb: 0.05,
  noiseStd: 0.01,
  tolerance: 0.1,
  seed: 0,
});

/** Wraps an angle (rad) to (−π, π] and divides by π, like pyrnn's arctan2(sin y, cos y) / π. */
export function wrapHeading(angle: number): number {
  return Math.atan2(Math.sin(angle), Math.cos(angle)) / Math.PI;
}

/** Distance between two headings in output units, around the circle of circumference 2. */
export function headingDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 2;
  return Math.min(d, 2 - d);
}

/**
 * The angular-velocity integrator (pyrnn's integrator example): piecewise-constant angular speeds in, the wrapped
 * heading divided by pi out, mask on everywhere.
 */
export class AngularTask extends TrialTask<AngularOptions> {
  protected readonly conditionKeys = ['speed', 'switches'] as const;
  protected readonly specKeys = ['speed'] as const;

  constructor(options?: Partial<AngularOptions>) {
    const o = mergeOptions('angular', ANGULAR_DEFAULTS as AngularOptions, options);
    const check = new Check('angular');
    const dt = check.dt(o.dt);
    const channels = check.integer('channels', o.channels, 1);
    super(
      'angular',
      {
        ...o,
        channels,
        speeds: check.numbers('speeds', o.speeds),
        switchProb: check.probability('switchProb', o.switchProb),
        tolerance: check.positive('tolerance', o.tolerance),
      },
      {
        inputSize: channels,
        outputSize: channels,
        steps: check.bins('duration', o.duration, dt),
        dt,
        noiseChannels: Array.from({ length: channels }, (_, i) => i),
        ...stochasticLayout(check, o),
      },
    );
  }

  protected condition(rng: Random, given: Given): Condition {
    // A specified speed means a constant-speed trial; NaN asks `write` to draw the sequences.
    return { speed: given.get('speed', () => Number.NaN), switches: 0 };
  }

  protected write(w: BatchWriter, b: number, c: Condition, rng: Random): void {
    const { speeds, switchProb } = this.options;
    const constant = !Number.isNaN(c.speed);
    let switches = 0;
    for (let ch = 0; ch < this.inputSize; ch++) {
      let speed = constant ? c.speed : rng.choice(speeds);
      if (ch === 0) c.speed = speed;
      let angle = 0;
      for (let t = 0; t < this.steps; t++) {
        if (!constant && rng.uniform() < switchProb) {
          const next = rng.choice(speeds);
          if (next !== speed) switches += 1;
          speed = next;
        }
        angle += speed;
        w.setInput(b, t, ch, speed);
        w.setTarget(b, ch, t, t + 1, wrapHeading(angle));
      }
    }
    c.switches = switches;
  }

  /** Fraction of masked points within `tolerance` of the target heading, around the circle. */
  accuracy(outputs: Tensor, batch: TaskBatch): number {
    const { tolerance } = this.options;
    const within = (out: number, target: number) => headingDistance(out, target) <= tolerance;
    return pointwiseAccuracy(outputs, batch, within, 'angular.accuracy');
  }
}
