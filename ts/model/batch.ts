// What simulate, loss and gradients take: their options (types, defaults, rules as data) and the checks that turn
// inputs, targets, masks and initial states into the arrays the native engine takes.
import type { LossOn } from '../native/binding.js';
import { is, show, type NotApplicable, type Rules } from '../core/validate.js';
import { asDType, checkTensor, formatShape, type DType, type FloatArray, type Tensor } from '../core/tensor.js';
import { LOSS_TARGETS } from './options.js';

/** Options of `model.simulate`; defaults in {@link SIMULATE_DEFAULTS}. */
export interface SimulateOptions {
  /** Draw per-step noise of the model's sigma (default true; a model without noise draws none either way). */
  drawNoise?: boolean;
  /** Seed of the noise (default 0): the same seed gives the same result. */
  seed?: number;
  /** [B, N] initial states instead of h0. */
  initialStates?: Tensor;
  /** Return the states (default true). An array not asked for is neither allocated nor filled by the engine: a
   * [B, T+1, N] array is 79 MB at N = 512, B = 128, T = 300 in float32 (docs/event-loop.md). */
  states?: boolean;
  /** Return the rates (default false). */
  rates?: boolean;
  /** Return the outputs (default true). */
  outputs?: boolean;
}

/** What `model.simulate` returns: the arrays that were asked for, row-major and batch-major. */
export interface Simulation {
  /** [B, T+1, N], x_0 = h0 included. */
  states?: Tensor;
  /** [B, T+1, N], phi(x + b) (current formulation) or the rates themselves (rate formulation). */
  rates?: Tensor;
  /** [B, T, O]; outputs[:, t] reads out state t+1. */
  outputs?: Tensor;
}

/** A batch for `model.loss` and `model.gradients`: inputs, targets and an optional mask and initial states. */
export interface LossBatch {
  /** Shape [B, T, K]. */
  inputs: Tensor;
  /** [B, T, F] with F = O for outputs and N for rates or states. */
  targets: Tensor;
  /** [B, T, F] or [B, T] (broadcast over features); default all ones. */
  mask?: Tensor;
  /** Shape [B, N]: initial states instead of h0. */
  initialStates?: Tensor;
}

/** Options of `model.loss` and `model.gradients`; defaults in {@link LOSS_DEFAULTS}. */
export interface LossOptions {
  /** What the loss compares with the targets (default 'outputs'). */
  lossOn?: LossOn;
  /** Draw per-step noise of the model's sigma (default true). */
  drawNoise?: boolean;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/** The defaults of `model.simulate`: noise drawn with seed 0, states and outputs returned, rates not. */
export const SIMULATE_DEFAULTS = { drawNoise: true, seed: 0, states: true, rates: false, outputs: true } as const satisfies SimulateOptions;
/** The defaults of `model.loss` and `model.gradients`: the loss on the outputs, noise drawn with seed 0. */
export const LOSS_DEFAULTS = { lossOn: 'outputs', drawNoise: true, seed: 0 } as const satisfies LossOptions;

export const SIMULATE_RULES: Rules<SimulateOptions> = {
  drawNoise: is.boolean(),
  seed: is.seed(),
  initialStates: is.tensor(),
  states: is.boolean(),
  rates: is.boolean(),
  outputs: is.boolean(),
};

export const LOSS_RULES: Rules<LossOptions> = { lossOn: is.oneOf(LOSS_TARGETS), drawNoise: is.boolean(), seed: is.seed() };

/** The per-call noise switch is `drawNoise`; `noise` is the model's sigma only. */
export const CALL_NOT_APPLICABLE: NotApplicable = {
  noise: "the per-call switch of per-step noise is 'drawNoise' (true or false); the noise sigma is the model's option 'noise'",
};

/** The sizes a batch is checked against, and the dtype its arrays are converted to. */
export interface BatchShape {
  size: number;
  inputs: number;
  outputs: number;
  dtype: DType;
}

/** Checks inputs [B, T, K]; returns B and T. */
export function checkInputs(inputs: Tensor, K: number, name = 'inputs'): { B: number; T: number } {
  checkTensor(inputs, name);
  if (inputs.shape.length !== 3 || inputs.shape[2] !== K) {
    throw new RangeError(`${name} must have shape [batch, steps, ${K}]; got ${formatShape(inputs.shape)}`);
  }
  const [B, T] = inputs.shape;
  if (B < 1 || T < 1) throw new RangeError(`${name} needs at least one trial and one step; got ${formatShape(inputs.shape)}`);
  return { B, T };
}

/** Initial states [B, N] in the model's dtype, or null (h0). */
export function checkInitialStates(init: Tensor | undefined, B: number, model: BatchShape): FloatArray | null {
  if (!init) return null;
  checkTensor(init, 'initialStates', [B, model.size]);
  return asDType(init.data, model.dtype);
}

/** A mask [B, T, F], from [B, T, F], [B, T] (same for every feature) or nothing (all ones). */
export function expandMask(mask: Tensor | undefined, B: number, T: number, F: number, name: string): FloatArray {
  if (!mask) return new Float32Array(B * T * F).fill(1);
  checkTensor(mask, name);
  if (mask.data.length > 0 && mask.data.every((v) => v === 0)) {
    throw new RangeError(`${name} is all zero: no step of any trial counts in the loss, which would be 0 whatever the weights; mark the steps to fit with 1`);
  }
  if (mask.shape.length === 3) {
    checkTensor(mask, name, [B, T, F]);
    return mask.data;
  }
  checkTensor(mask, name, [B, T]);
  const out = new (mask.data.constructor as Float32ArrayConstructor)(B * T * F);
  for (let i = 0; i < B * T; i++) out.fill(mask.data[i], i * F, i * F + F);
  return out;
}

/** A checked batch as the engine takes it. */
export interface PreparedBatch {
  B: number;
  T: number;
  F: number;
  inputs: FloatArray;
  targets: FloatArray;
  mask: FloatArray;
  initialStates: FloatArray | null;
}

/** Checks a loss batch against the model's sizes and converts it to the engine's arrays. */
export function prepareBatch(batch: LossBatch, lossOn: LossOn, model: BatchShape, name = 'batch'): PreparedBatch {
  if (batch === null || typeof batch !== 'object') throw new TypeError(`${name} must be an object { inputs, targets, mask? }; got ${show(batch)}`);
  const { B, T } = checkInputs(batch.inputs, model.inputs, `${name}.inputs`);
  const F = lossOn === 'outputs' ? model.outputs : model.size;
  if (F === 0) throw new RangeError(`lossOn 'outputs' needs a model with outputs; this one has none (use 'rates' or 'states')`);
  checkTensor(batch.targets, `${name}.targets`, [B, T, F]);
  const mask = expandMask(batch.mask, B, T, F, `${name}.mask`);
  return {
    B,
    T,
    F,
    inputs: asDType(batch.inputs.data, model.dtype),
    targets: asDType(batch.targets.data, model.dtype),
    mask: asDType(mask, model.dtype),
    initialStates: checkInitialStates(batch.initialStates, B, model),
  };
}
