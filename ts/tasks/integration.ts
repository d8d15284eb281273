// 1-D integration (seed 003, "partial observation": a teacher network integrates an input signal, compared with an
// ideal integrator). The seed gives no protocol, so this one is ours:
//
//   input  u_t = drift + inputStd · ξ_t   (ξ_t ~ N(0, 1) iid per bin; drift drawn per trial from `drifts`)
//   target y_t = (dt / tau) · Σ_{s ≤ t} u_s
//
// i.e. exactly what a perfect line attractor of the package's leaky networks (x ← x + α(−x + … + u), α = dt/tau)
// accumulates. Defaults: 2000 ms at dt = 20 ms (100 bins), tau = 100 ms (α = 0.2), inputStd 0.25, drifts [0]
// (a pure random walk; the final target then has std α·inputStd·√100 = 0.5). The input is the signal itself, so the
// optional observation noise (noiseStd, default 0) is added after the target is computed. The mask is on everywhere.
// Accuracy: the fraction of masked points within `tolerance` (default 0.1) of the target. Metadata: `drift` and
// `final` (the target at the last bin).

import type { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { pointwiseAccuracy } from './accuracy.js';
import { TrialTask, type Condition, type Given, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import type { TaskBatch } from './types.js';
import { Check, mergeOptions } from './validate.js';

/** Options of the integration task; defaults in `INTEGRATION_DEFAULTS`. */
export interface IntegrationOptions {
  dt: number;
  duration: number;
  /** Time constant of the ideal integrator: target gain per bin = dt / tau. */
  tau: number;
  inputStd: number;
  drifts: readonly number[];
  noiseStd: number;
  tolerance: number;
  seed: number;
}

export const INTEGRATION_DEFAULTS: Readonly<IntegrationOptions> = Object.freeze({
  dt: 20,
  duration: 2000,
  tau: 100,
  inputStd: 0.25,
  drifts: [0],
  noiseStd: 0,
  tolerance: 0.1,
  seed: 0,
});

/** 1-D integration: a noisy input with a per-trial drift in, its running integral (dt / tau) sum u_s out. */
export class IntegrationTask extends TrialTask<IntegrationOptions> {
  protected readonly conditionKeys = ['drift', 'final'] as const;
  protected readonly specKeys = ['drift'] as const;

  constructor(options?: Partial<IntegrationOptions>) {
    const o = mergeOptions('integration', INTEGRATION_DEFAULTS as IntegrationOptions, options);
    const check = new Check('integration');
    const dt = check.dt(o.dt);
    super(
      'integration',
      {
        ...o,
        tau: check.positive('tau', o.tau),
        inputStd: check.nonNegative('inputStd', o.inputStd),
        drifts: check.numbers('drifts', o.drifts),
        tolerance: check.positive('tolerance', o.tolerance),
      },
      {
        inputSize: 1,
        outputSize: 1,
        steps: check.bins('duration', o.duration, dt),
        dt,
        noiseChannels: [0],
        ...stochasticLayout(check, o),
      },
    );
  }

  protected condition(rng: Random, given: Given): Condition {
    return { drift: given.get('drift', () => rng.choice(this.options.drifts)), final: 0 };
  }

  protected write(w: BatchWriter, b: number, c: Condition, rng: Random): void {
    const gain = this.dt / this.options.tau;
    let sum = 0;
    for (let t = 0; t < this.steps; t++) {
      const u = Math.fround(c.drift + this.options.inputStd * rng.normal()); // the target sums the stored inputs
      sum += u;
      w.setInput(b, t, 0, u);
      w.setTarget(b, 0, t, t + 1, gain * sum);
    }
    c.final = gain * sum;
  }

  /** Fraction of masked points within `tolerance` of the target. */
  accuracy(outputs: Tensor, batch: TaskBatch): number {
    const { tolerance } = this.options;
    const within = (out: number, target: number) => Math.abs(out - target) <= tolerance;
    return pointwiseAccuracy(outputs, batch, within, 'integration.accuracy');
  }
}
