// Public types of the task library.

import type { Tensor } from '../core/tensor.js';

/** One batch of trials: float32 tensors, batch-major, plus per-trial condition metadata. */
export interface TaskBatch {
  /** [B, T, K] */
  inputs: Tensor<Float32Array>;
  /** [B, T, O] */
  targets: Tensor<Float32Array>;
  /** [B, T, O]; 1 where the loss and the accuracy look, 0 elsewhere. */
  mask: Tensor<Float32Array>;
  /** Per-trial metadata, one array of length B per key (e.g. `{ coherence: [...], choice: [...] }`). */
  conditions: Record<string, number[]>;
}

/** Options of `task.sample`. */
export interface SampleOptions {
  /** Non-negative safe integer. The same seed gives the same batch; without one, the task's own stream advances. */
  seed?: number;
}

/** Options of `task.trials`. */
export interface TrialsOptions extends SampleOptions {
  /** Draws the input noise (default true). */
  drawNoise?: boolean;
  /** Each specified condition is repeated this many times, consecutively (default 1). */
  repeats?: number;
}

/**
 * Trial specification for `trials()`: condition keys mapped to one value per trial (arrays, all of one length) or
 * to one value for every trial (a number). Keys left out are drawn at random as in `sample()`.
 */
export type TrialSpec = Record<string, number | readonly number[]>;

/** A function that runs a network on inputs [B, T, K] and returns its outputs [B, T, O]. */
export type RunNetwork = (inputs: Tensor<Float32Array>) => Promise<Tensor> | Tensor;

/** A cognitive task: trials on demand (seeded), their layout, and the reference accuracy of outputs on them. */
export interface Task {
  readonly name: string;
  /** K */
  readonly inputSize: number;
  /** O */
  readonly outputSize: number;
  /** T: bins per trial (the maximum over trials; shorter trials are padded). */
  readonly steps: number;
  /** ms per bin */
  readonly dt: number;
  readonly options: Readonly<object>;
  /** Random trials; deterministic for a seed. */
  sample(batch: number, opts?: SampleOptions): TaskBatch;
  /** Trials for specified conditions; unspecified conditions are drawn at random as in `sample`. */
  trials(spec: TrialSpec, opts?: TrialsOptions): TaskBatch;
  /** The reference accuracy, a fraction in [0, 1] (NaN when no trial can be scored, e.g. all catch trials). */
  accuracy(outputs: Tensor, batch: TaskBatch): number;
}
