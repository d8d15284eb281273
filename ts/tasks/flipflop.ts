// 3-bit flip-flop (Sussillo & Barak 2013) as in pyrnn's three_bit_memory example (seed 004).
//
// `channels` independent inputs (default 3) and as many outputs. Each input is 0 except for brief pulses of +1 or
// −1; each output must hold the sign of the last pulse on its input. As in pyrnn, every channel opens with a +1 pulse
// at bin 0, then floor(T / flipInterval-bins) "+1" pulses and as many "−1" pulses start at bins drawn uniformly in
// [1, T − 2] (a −1 pulse overwrites a +1 pulse that starts on the same bin). pyrnn's example: 2048 steps of 5 ms
// with pulses one step wide and floor(2048/200) = 10 pulses of each sign per channel; those are the defaults here
// (10240 ms, dt 5 ms, flipInterval 1000 ms, pulseDuration one bin). pyrnn adds no input noise (noiseStd 0).
// The mask is on everywhere (pyrnn trains on every step).
//
// pyrnn defines no accuracy; ours is the fraction of (trial, bin, channel) points whose output has the target's
// sign. Metadata: `flips`, the number of times a trial's targets change sign (all channels).

import type { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { pointwiseAccuracy } from './accuracy.js';
import { TrialTask, type Condition, stochasticLayout } from './base.js';
import type { BatchWriter } from './batch.js';
import type { TaskBatch } from './types.js';
import { Check, mergeOptions } from './validate.js';

/** Options of the flip-flop task; defaults in `FLIPFLOP_DEFAULTS`. */
export interface FlipflopOptions {
  channels: number;
  dt: number;
  duration: number;
  /** One pulse of each sign per channel per flipInterval, on average. */
  flipInterval: number;
  /** Width of a pulse in ms (null: one bin). */
  pulseDuration: number | null;
  noiseStd: number;
  seed: number;
}

export const FLIPFLOP_DEFAULTS: Readonly<FlipflopOptions> = Object.freeze({
  channels: 3,
  dt: 5,
  duration: 10240,
  flipInterval: 1000,
  pulseDuration: null,
  noiseStd: 0,
  seed: 0,
});

/** The 3-bit flip-flop (Sussillo & Barak 2013): each output holds the sign of the last pulse on its input. */
export class FlipflopTask extends TrialTask<FlipflopOptions & { pulseDuration: number }> {
  /** Pulses of each sign per channel and trial, and the pulse width in bins. */
  readonly pulsesPerSign: number;
  readonly pulseBins: number;
  protected readonly conditionKeys = ['flips'] as const;
  protected readonly specKeys = [] as const;

  constructor(options?: Partial<FlipflopOptions>) {
    const o = mergeOptions('flipflop', FLIPFLOP_DEFAULTS as FlipflopOptions, options);
    const check = new Check('flipflop');
    const dt = check.dt(o.dt);
    const channels = check.integer('channels', o.channels, 1);
    const pulseDuration = o.pulseDuration ?? dt;
    const pulseBins = check.bins('pulseDuration', pulseDuration, dt);
    const steps = check.bins('duration', o.duration, dt, pulseBins + 2);
    const intervalBins = check.bins('flipInterval', o.flipInterval, dt);
    super(
      'flipflop',
      { ...o, channels, pulseDuration },
      {
        inputSize: channels,
        outputSize: channels,
        steps,
        dt,
        noiseChannels: Array.from({ length: channels }, (_, i) => i),
        ...stochasticLayout(check, o),
      },
    );
    this.pulsesPerSign = Math.floor(steps / intervalBins);
    this.pulseBins = pulseBins;
  }

  protected condition(): Condition {
    return { flips: 0 };
  }

  protected write(w: BatchWriter, b: number, c: Condition, rng: Random): void {
    const T = this.steps;
    const signal = new Float32Array(T);
    const lastStart = T - 1 - this.pulseBins; // pulse starts lie in [1, lastStart]; = T − 2 for one-bin pulses
    let flips = 0;
    for (let ch = 0; ch < this.inputSize; ch++) {
      signal.fill(0);
      const pulse = (start: number, value: number) => signal.fill(value, start, Math.min(start + this.pulseBins, T));
      pulse(0, 1);
      const starts = (n: number) => Array.from({ length: n }, () => 1 + rng.int(lastStart));
      for (const s of starts(this.pulsesPerSign)) pulse(s, 1);
      for (const s of starts(this.pulsesPerSign)) pulse(s, -1);
      let state = 0;
      for (let t = 0; t < T; t++) {
        if (signal[t] !== 0) {
          if (state !== 0 && signal[t] !== state) flips += 1;
          state = signal[t];
          w.setInput(b, t, ch, signal[t]);
        }
        w.setTarget(b, ch, t, t + 1, state);
      }
    }
    c.flips = flips;
  }

  /** Fraction of masked points whose output has the sign of the target. */
  accuracy(outputs: Tensor, batch: TaskBatch): number {
    const sameSign = (out: number, target: number) => Math.sign(out) === Math.sign(target);
    return pointwiseAccuracy(outputs, batch, sameSign, 'flipflop.accuracy');
  }
}
