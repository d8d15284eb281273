// The package's tensor: a typed array in row-major (numpy C) order plus its shape, batch-major [B, T, features].
import { firstNonFinite } from './finite.js';
import { checkAllocation } from './size.js';
import { checkValue, is, show } from './validate.js';

/** The float storage of a tensor: single or double precision. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A dense float tensor: `data` holds the values in row-major (numpy C) order and `shape` their sizes, outermost first;
 * `data.length` equals the product of `shape`. Batches of trials are batch-major, e.g. inputs [B, T, K].
 */
export interface Tensor<A extends FloatArray = FloatArray> {
  data: A;
  shape: number[];
}

/** The name of a float type, as numpy spells it. */
export type DType = 'float32' | 'float64';

/** The dtype of a float array: 'float64' for a Float64Array, else 'float32'. */
export function dtypeOf(data: FloatArray): DType {
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new TypeError(`dtypeOf: argument 'data' must be a Float32Array or a Float64Array; got ${show(data)}`);
  }
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** The number of values in a tensor of this shape (the product of its sizes; 1 for []). */
export function shapeSize(shape: readonly number[]): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`shape must be an array of non-negative integers; got ${show(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** A shape as text for messages, e.g. `[2, 68, 512]` (any other value as `show` writes it: it is for messages). */
export function formatShape(shape: readonly number[]): string {
  return Array.isArray(shape) ? `[${shape.join(', ')}]` : show(shape);
}

/** Wraps `data` with `shape` (no copy) after checking that the sizes agree and every value is finite. */
export function tensor<A extends FloatArray>(data: A, shape: number[]): Tensor<A> {
  return checkTensor({ data, shape }, 'tensor');
}

/** A new tensor of zeros with this shape, float32 unless `dtype` says float64. */
export function zeros(shape: number[], dtype: DType = 'float32'): Tensor {
  checkValue('zeros', 'dtype', dtype, DTYPE_RULE, 'argument');
  const n = shapeSize(shape);
  checkAllocation('zeros', `a tensor of shape ${formatShape(shape)}`, n, dtype === 'float64' ? 8 : 4);
  return { data: dtype === 'float64' ? new Float64Array(n) : new Float32Array(n), shape: [...shape] };
}

/**
 * Checks that `value` is a tensor whose data length matches its shape. `expected` lists the required sizes; a
 * `null` entry accepts any size. Throws a TypeError or RangeError that names `name`.
 */
export function checkTensor<T extends Tensor>(
  value: T,
  name: string,
  expected?: ReadonlyArray<number | null>,
  opts: { finite?: boolean } = {},
): T {
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${name} must be a tensor {data, shape}; got ${value === null ? 'null' : typeof value}`);
  }
  const { data, shape } = value as Tensor;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    const got = data === undefined ? 'undefined' : (data as object)?.constructor?.name ?? typeof data;
    throw new TypeError(`${name}.data must be a Float32Array or Float64Array; got ${got}`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${name}.shape must be an array of non-negative integers; got ${JSON.stringify(shape)}`);
  }
  if (shapeSize(shape) !== data.length) {
    throw new RangeError(
      `${name}: shape ${formatShape(shape)} needs ${shapeSize(shape)} values but data has ${data.length}`,
    );
  }
  if (expected) {
    const ok = expected.length === shape.length && expected.every((d, i) => d === null || d === shape[i]);
    if (!ok) {
      const want = `[${expected.map((d) => (d === null ? '*' : d)).join(', ')}]`;
      throw new RangeError(`${name} must have shape ${want}; got ${formatShape(shape)}`);
    }
  }
  if (opts.finite !== false) {
    const i = firstNonFinite(data);
    if (i >= 0) throw new RangeError(`${name} contains ${data[i]} at flat index ${i}; all values must be finite`);
  }
  return value;
}

/** Converts to the requested float type, copying only when needed. */
export function asDType(data: FloatArray, dtype: DType): FloatArray {
  checkValue('asDType', 'dtype', dtype, DTYPE_RULE, 'argument');
  if (dtypeOf(data) === dtype) return data;
  return dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
}

const DTYPE_RULE = is.oneOf(['float32', 'float64']);

function checkIndices(indices: readonly number[], size: number, name: string): void {
  if (!Array.isArray(indices)) throw new TypeError(`${name} must be an array of indices; got ${show(indices)}`);
  indices.forEach((i, n) => {
    if (!Number.isInteger(i) || i < 0 || i >= size) {
      throw new RangeError(`${name}[${n}] must be an integer in [0, ${size}); got ${i}`);
    }
  });
}

function like<A extends FloatArray>(data: A, length: number): A {
  return new (data.constructor as new (n: number) => A)(length);
}

/** The slices at `indices` along the first axis (e.g. trials), in that order. */
export function takeRows<A extends FloatArray>(t: Tensor<A>, indices: readonly number[], name = 'indices'): Tensor<A> {
  checkTensor(t, 'takeRows: tensor', undefined, { finite: false });
  const [rows, ...rest] = t.shape;
  checkIndices(indices, rows, name);
  const width = shapeSize(rest);
  const out = like(t.data, indices.length * width);
  indices.forEach((i, k) => out.set(t.data.subarray(i * width, (i + 1) * width), k * width));
  return { data: out, shape: [indices.length, ...rest] };
}

/** The entries at `indices` along the last axis (e.g. a subset of neurons), in that order. */
export function takeColumns<A extends FloatArray>(t: Tensor<A>, indices: readonly number[], name = 'indices'): Tensor<A> {
  checkTensor(t, 'takeColumns: tensor', undefined, { finite: false });
  const cols = t.shape[t.shape.length - 1];
  checkIndices(indices, cols, name);
  const rows = t.data.length / cols;
  const k = indices.length;
  const out = like(t.data, rows * k);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) out[r * k + j] = t.data[r * cols + indices[j]];
  return { data: out, shape: [...t.shape.slice(0, -1), k] };
}

/** Steps [from, to) along the second axis of a [B, T, ...] tensor. */
export function sliceSteps<A extends FloatArray>(t: Tensor<A>, from: number, to?: number): Tensor<A> {
  checkTensor(t, 'sliceSteps: tensor', undefined, { finite: false });
  if (t.shape.length < 2) throw new RangeError(`sliceSteps: tensor must have at least 2 axes [B, T, ...]; got ${formatShape(t.shape)}`);
  const [B, T, ...rest] = t.shape;
  to ??= T;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= T)) {
    throw new RangeError(`steps [${from}, ${to}) must lie within [0, ${T}]`);
  }
  const width = shapeSize(rest);
  const out = like(t.data, B * (to - from) * width);
  for (let b = 0; b < B; b++) out.set(t.data.subarray((b * T + from) * width, (b * T + to) * width), b * (to - from) * width);
  return { data: out, shape: [B, to - from, ...rest] };
}
