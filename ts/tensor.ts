// The package's tensor: a typed array in row-major (numpy C) order plus its shape, batch-major [B, T, features].

export type FloatArray = Float32Array | Float64Array;

export interface Tensor<A extends FloatArray = FloatArray> {
  data: A;
  shape: number[];
}

export type DType = 'float32' | 'float64';

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function tensor<A extends FloatArray>(data: A, shape: number[]): Tensor<A> {
  return checkTensor({ data, shape }, 'tensor');
}

export function zeros(shape: number[], dtype: DType = 'float32'): Tensor {
  const n = shapeSize(shape);
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
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new RangeError(`${name} contains ${data[i]} at flat index ${i}; all values must be finite`);
      }
    }
  }
  return value;
}

/** Converts to the requested float type, copying only when needed. */
export function asDType(data: FloatArray, dtype: DType): FloatArray {
  if (dtypeOf(data) === dtype) return data;
  return dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
}
