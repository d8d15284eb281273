// Shared plumbing of the dynamics analyses: the model as the native layer takes it, state and input arguments,
// and long native jobs with progress and cancellation.
import { FullRankRNN, LowRankRNN, type AnyModel } from '../model/index.js';
import type { NativeJob, NativeSearchProgress, NativeSpec } from '../native/binding.js';
import { abortError } from '../core/errors.js';
import { native, resolveDevice, type Device } from '../native/load.js';
import { checkTensor, formatShape, type FloatArray, type Tensor } from '../core/tensor.js';
import { is, type Rule } from '../core/validate.js';

export type { NativeSearchProgress as AnalysisProgress } from '../native/binding.js';

/** A model as the native analysis functions take it: its spec and its parameters in double precision. */
export interface ModelArgs {
  spec: NativeSpec;
  params: Float64Array;
  size: number;
  inputs: number;
  /** 0 for full-rank nets */
  rank: number;
}

export function modelArgs(model: AnyModel, name = 'model'): ModelArgs {
  if (!(model instanceof LowRankRNN) && !(model instanceof FullRankRNN)) {
    throw new TypeError(`${name} must be a LowRankRNN or a FullRankRNN`);
  }
  const spec = model.nativeSpec;
  return { spec, params: Float64Array.from(model.flatParams()), size: spec.size, inputs: spec.inputs, rank: spec.rank };
}

/**
 * Where an analysis runs its GPU work: 'cpu', 'cuda', or 'auto' (CUDA when a device is usable); 'cuda-emulated' runs
 * the CUDA kernels on host threads (slow; for testing them on machines without a GPU).
 */
export type AnalysisDevice = Device | 'cuda-emulated';

/** The device an analysis option names, or the model's when none is named. */
export function analysisDevice(device: AnalysisDevice | undefined, model: AnyModel): 'cpu' | 'cuda' | 'cuda-emulated' {
  if (device === undefined) return model.device;
  return device === 'cuda-emulated' ? device : resolveDevice(device);
}

/** The native dynamics bindings; `device` 'cuda' picks a binary with CUDA compiled and a device present. */
export function dynamics(device?: 'cpu' | 'cuda' | 'cuda-emulated') {
  return native(device === 'cuda' ? 'cuda' : undefined).binding.dynamics;
}

/** A vector or a tensor as float64 values, with its shape. */
export function asTensor(value: Tensor | FloatArray | readonly number[], name: string): Tensor<Float64Array> {
  if (Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array) {
    const data = Float64Array.from(value as ArrayLike<number>);
    return checkTensor({ data, shape: [data.length] }, name);
  }
  const t = checkTensor(value as Tensor, name);
  return { data: Float64Array.from(t.data), shape: [...t.shape] };
}

/** States [N] or [rows, N]: their values and row count; `single` when one vector [N] was given. */
export function stateRows(value: Tensor | FloatArray | readonly number[], N: number, name: string) {
  const t = asTensor(value, name);
  if (t.shape.length === 1 && t.shape[0] === N) return { data: t.data, rows: 1, single: true };
  if (t.shape.length === 2 && t.shape[1] === N && t.shape[0] >= 1) return { data: t.data, rows: t.shape[0], single: false };
  throw new RangeError(`${name} must have shape [${N}] or [rows, ${N}]; got ${formatShape(t.shape)}`);
}

/**
 * Constant inputs: undefined (zeros), one input [K] or one per row [rows, K] (rows = `rows` when given, any
 * number otherwise). Returns the values and the number of rows they hold.
 */
export function inputRows(
  value: Tensor | FloatArray | readonly number[] | undefined,
  K: number,
  name: string,
  rows?: number,
): { data: Float64Array; rows: number } {
  if (value === undefined) return { data: new Float64Array(K), rows: 1 };
  const t = asTensor(value, name);
  if (t.shape.length === 1 && t.shape[0] === K) return { data: t.data, rows: 1 };
  if (t.shape.length === 2 && t.shape[1] === K && t.shape[0] >= 1 && (rows === undefined || t.shape[0] === rows)) {
    return { data: t.data, rows: t.shape[0] };
  }
  const perRow = rows === undefined ? 'conditions' : String(rows);
  throw new RangeError(`${name} must have shape [${K}] (one constant input) or [${perRow}, ${K}]; got ${formatShape(t.shape)}`);
}

/** One input row per state: the given rows, or the single input repeated. */
export function inputsPerRow(inputs: { data: Float64Array; rows: number }, K: number, rows: number): Float64Array {
  if (inputs.rows === rows) return inputs.data;
  const out = new Float64Array(rows * K);
  for (let r = 0; r < rows; r++) out.set(inputs.data, r * K);
  return out;
}

/** The rules every analysis shares for its common options. */
export const ANALYSIS_RULE = {
  /** CPU threads; 0 = every core. */
  threads: is.threads(),
  device: is.oneOf<AnalysisDevice>(['auto', 'cpu', 'cuda', 'cuda-emulated']),
  /** A vector or a tensor of values (its shape is checked where it is used). */
  values: is.custom(
    'a tensor, a Float32Array, a Float64Array or an array of numbers',
    (v) => Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array || is.tensor().test(v),
  ) as Rule,
  signal: is.signal(),
  onProgress: is.function(),
} as const;

/**
 * Runs a native job, aborting it when `signal` fires; rejects with an AbortError when it was aborted. The caller has
 * checked `signal` and `onProgress` with its option rules.
 */
export async function runJob<T extends { aborted: boolean }>(
  what: string,
  start: (onProgress?: (p: NativeSearchProgress) => void) => NativeJob<T>,
  signal?: AbortSignal,
  onProgress?: (p: NativeSearchProgress) => void,
): Promise<T> {
  if (signal?.aborted) throw abortError(`${what} was aborted`);
  const job = start(onProgress);
  const onAbort = () => job.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    const result = await job.promise;
    if (result.aborted || signal?.aborted) throw abortError(`${what} was aborted`);
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
