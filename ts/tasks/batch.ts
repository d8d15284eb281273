// Building and slicing TaskBatch tensors.

import type { Random } from '../core/random.js';
import { checkCount } from '../core/size.js';
import { checkTensor, formatShape, takeRows } from '../core/tensor.js';
import type { TaskBatch } from './types.js';

/** Bytes a trial's condition row (a small object of numbers) takes on the heap, about. */
const ROW_BYTES = 200;

/**
 * Refuses a batch whose tensors (inputs [B, T, K], targets and mask [B, T, O], float32) and condition rows cannot fit,
 * before any trial is drawn; returns the batch size.
 */
export function checkBatchFits(where: string, batch: number, steps: number, inputSize: number, outputSize: number, name = 'batch'): number {
  const channels = Math.max(inputSize, outputSize);
  const all = steps * (inputSize + 2 * outputSize) * 4 + ROW_BYTES;
  const item = { values: steps * channels, bytes: 4, otherBytes: all - steps * channels * 4, what: `trials x ${steps} bins x ${channels} channels float32` };
  return checkCount(where, name, batch, item, 'argument');
}

/** Writes the trials of one batch into zero-initialised inputs [B, T, K], targets [B, T, O] and mask [B, T, O]. */
export class BatchWriter {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly mask: Float32Array;

  constructor(
    readonly where: string,
    readonly batch: number,
    readonly steps: number,
    readonly inputSize: number,
    readonly outputSize: number,
  ) {
    checkBatchFits(where, batch, steps, inputSize, outputSize);
    this.inputs = new Float32Array(batch * steps * inputSize);
    this.targets = new Float32Array(batch * steps * outputSize);
    this.mask = new Float32Array(batch * steps * outputSize);
  }

  private range(b: number, from: number, to: number): void {
    if (!(b >= 0 && b < this.batch && from >= 0 && from <= to && to <= this.steps)) {
      const what = `bins [${from}, ${to}) of trial ${b}`;
      throw new Error(`${this.where}: internal error, ${what} lie outside the ${this.batch} x ${this.steps} batch`);
    }
  }

  /** Adds `value` to input channel `ch` of trial `b` on bins [from, to). */
  addInput(b: number, ch: number, from: number, to: number, value: number): void {
    this.range(b, from, to);
    const K = this.inputSize;
    for (let t = from; t < to; t++) this.inputs[(b * this.steps + t) * K + ch] += value;
  }

  /** Sets input channel `ch` of trial `b` at bin `t`. */
  setInput(b: number, t: number, ch: number, value: number): void {
    this.range(b, t, t + 1);
    this.inputs[(b * this.steps + t) * this.inputSize + ch] = value;
  }

  /** Sets the target of output `ch` on bins [from, to) and switches the mask on there. */
  setTarget(b: number, ch: number, from: number, to: number, value: number): void {
    this.range(b, from, to);
    const O = this.outputSize;
    for (let t = from; t < to; t++) {
      this.targets[(b * this.steps + t) * O + ch] = value;
      this.mask[(b * this.steps + t) * O + ch] = 1;
    }
  }

  /** Switches the mask of output `ch` on bins [from, to) without touching the target. */
  setMask(b: number, ch: number, from: number, to: number): void {
    this.range(b, from, to);
    const O = this.outputSize;
    for (let t = from; t < to; t++) this.mask[(b * this.steps + t) * O + ch] = 1;
  }

  /** Adds std * N(0, 1) to the given input channels at every bin of every trial. */
  addNoise(rng: Random, std: number, channels: readonly number[]): void {
    if (std === 0 || channels.length === 0) return;
    const K = this.inputSize;
    for (let row = 0; row < this.batch * this.steps; row++) {
      for (const ch of channels) this.inputs[row * K + ch] += std * rng.normal();
    }
  }

  finish(conditions: Record<string, number[]>): TaskBatch {
    const { batch: B, steps: T } = this;
    return {
      inputs: { data: this.inputs, shape: [B, T, this.inputSize] },
      targets: { data: this.targets, shape: [B, T, this.outputSize] },
      mask: { data: this.mask, shape: [B, T, this.outputSize] },
      conditions,
    };
  }
}

/** Checks that `batch` is a well-formed TaskBatch and returns its sizes. */
export function checkBatch(batch: TaskBatch, where: string): { B: number; T: number; K: number; O: number } {
  if (batch === null || typeof batch !== 'object') {
    throw new TypeError(`${where}: batch must be a TaskBatch; got ${batch === null ? 'null' : typeof batch}`);
  }
  checkTensor(batch.inputs, `${where}: batch.inputs`, [null, null, null]);
  const [B, T, K] = batch.inputs.shape;
  checkTensor(batch.targets, `${where}: batch.targets`, [B, T, null]);
  const O = batch.targets.shape[2];
  checkTensor(batch.mask, `${where}: batch.mask`, [B, T, O]);
  return { B, T, K, O };
}

/**
 * Checks network outputs against a batch: shape [B, T, O]. NaN and Inf are allowed (a diverged network scores
 * those trials as wrong rather than raising).
 */
export function checkOutputs(outputs: unknown, batch: TaskBatch, where: string): { B: number; T: number; O: number } {
  const { B, T, O } = checkBatch(batch, where);
  const out = outputs as TaskBatch['inputs'];
  if (out === null || typeof out !== 'object' || !Array.isArray(out.shape)) {
    throw new TypeError(`${where}: outputs must be a tensor {data, shape}; got ${out === null ? 'null' : typeof out}`);
  }
  if (out.shape.length !== 3 || out.shape[0] !== B || out.shape[1] !== T || out.shape[2] !== O) {
    const want = formatShape([B, T, O]);
    throw new RangeError(`${where}: outputs must have shape ${want} (the batch's targets); got ${formatShape(out.shape)}`);
  }
  checkTensor(out, `${where}: outputs`, [B, T, O], { finite: false });
  return { B, T, O };
}

/** A new batch holding the trials at `indices` (in that order), conditions included. */
export function selectTrials(batch: TaskBatch, indices: readonly number[]): TaskBatch {
  checkBatch(batch, 'selectTrials');
  const conditions: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(batch.conditions)) conditions[key] = indices.map((i) => values[i]);
  return {
    inputs: takeRows(batch.inputs, indices, 'selectTrials: indices'),
    targets: takeRows(batch.targets, indices, 'selectTrials: indices'),
    mask: takeRows(batch.mask, indices, 'selectTrials: indices'),
    conditions,
  };
}
