// Accuracy rules. The reference rule (accuracy_rdm / accuracy_mante / accuracy_romo / accuracy_dms / raposo.accuracy):
// per trial, the sign of the output averaged over the decision window must equal the sign of the target averaged over
// the same window; trials whose target is zero everywhere (catch trials) are left out of the denominator. The
// reference's decision window is the masked window in every task (DM/CDM/MDM slice from response_begin to the end,
// where the mask is 1), so the mask is used here throughout. Math.sign(0) = 0 like torch.sign, so an output mean of
// exactly 0 counts as wrong. NaN outputs count as wrong.

import type { FloatArray, Tensor } from '../core/tensor.js';
import { checkOutputs } from './batch.js';
import type { TaskBatch } from './types.js';

/** Mean of `values` over the masked bins of trial b, channel o (NaN if the mask is empty there). */
function maskedMean(values: FloatArray, mask: Float32Array, T: number, O: number, b: number, o: number): number {
  let sum = 0;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const i = (b * T + t) * O + o;
    if (mask[i] !== 0) {
      sum += values[i];
      count += 1;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

function targetIsZero(targets: Float32Array, T: number, O: number, b: number, o: number): boolean {
  for (let t = 0; t < T; t++) if (targets[(b * T + t) * O + o] !== 0) return false;
  return true;
}

/**
 * Per trial, the sign of the output (channel `channel`) averaged over the masked bins: +1, −1, 0 (mean exactly 0),
 * or NaN (no masked bin, or NaN outputs). The reference's "decision" of a trial.
 */
export function decisions(outputs: Tensor, batch: TaskBatch, channel = 0, where = 'decisions'): number[] {
  const { B, T, O } = checkOutputs(outputs, batch, where);
  if (!Number.isInteger(channel) || channel < 0 || channel >= O) {
    throw new RangeError(`${where}: channel must be an integer in [0, ${O}); got ${channel}`);
  }
  return Array.from({ length: B }, (_, b) => Math.sign(maskedMean(outputs.data, batch.mask.data, T, O, b, channel)));
}

/** The reference sign rule (see the file header); NaN when every trial is a catch trial. */
export function signAccuracy(outputs: Tensor, batch: TaskBatch, where = 'accuracy'): number {
  const { B, T, O } = checkOutputs(outputs, batch, where);
  const { targets, mask } = batch;
  let scored = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      if (targetIsZero(targets.data, T, O, b, o)) continue;
      const want = Math.sign(maskedMean(targets.data, mask.data, T, O, b, o));
      const got = Math.sign(maskedMean(outputs.data, mask.data, T, O, b, o));
      scored += 1;
      if (got === want) correct += 1;
    }
  }
  return scored === 0 ? Number.NaN : correct / scored;
}

/**
 * Fraction of masked points (trial, bin, channel) where `ok(output, target)` holds; NaN if nothing is masked.
 * Used by the continuous tasks (flip-flop, integrators), whose reference (pyrnn) has no accuracy of its own.
 */
export function pointwiseAccuracy(
  outputs: Tensor,
  batch: TaskBatch,
  ok: (output: number, target: number) => boolean,
  where = 'accuracy',
): number {
  checkOutputs(outputs, batch, where);
  const { targets, mask } = batch;
  let scored = 0;
  let correct = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] === 0) continue;
    scored += 1;
    if (ok(outputs.data[i], targets.data[i])) correct += 1;
  }
  return scored === 0 ? Number.NaN : correct / scored;
}

/**
 * Per-trial rule for graded targets from a finite set of levels: the output averaged over the masked bins must be
 * closer to the trial's target level than to any other level (ties count as wrong). Trials without a masked bin are
 * left out.
 */
export function nearestLevelAccuracy(
  outputs: Tensor,
  batch: TaskBatch,
  levels: readonly number[],
  where = 'accuracy',
): number {
  const { B, T, O } = checkOutputs(outputs, batch, where);
  let scored = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const want = maskedMean(batch.targets.data, batch.mask.data, T, O, b, o);
      if (Number.isNaN(want)) continue;
      const got = maskedMean(outputs.data, batch.mask.data, T, O, b, o);
      const distance = Math.abs(got - want);
      scored += 1;
      if (levels.every((level) => Math.abs(level - want) < 1e-6 || Math.abs(got - level) > distance)) correct += 1;
    }
  }
  return scored === 0 ? Number.NaN : correct / scored;
}
