// MAT-file values as plain JS values in row-major order, the layout the recording pipeline reads.

import { is, checkValue } from '../core/validate.js';
import { shapeSize } from '../core/tensor.js';
import type { MatValue } from './mat.js';

/**
 * A MAT-file value as plain JS (see matToJs): a number, boolean, complex scalar, string or rows of strings, a
 * row-major tensor of doubles or logicals, a row-major complex tensor, an object per struct, or an array.
 */
export type MatJs =
  | number
  | boolean
  | string
  | string[]
  | { re: number; im: number }
  | { data: Float64Array; shape: number[] }
  | { data: Uint8Array; shape: number[] }
  | { real: Float64Array; imag: Float64Array; shape: number[] }
  | { [field: string]: MatJs }
  | MatJs[];

/** MATLAB's column-major values reordered row-major (numpy C order) for the same shape. */
export function rowMajor(data: Float64Array, shape: readonly number[]): Float64Array;
/** MATLAB's column-major values reordered row-major (numpy C order) for the same shape. */
export function rowMajor(data: Uint8Array, shape: readonly number[]): Uint8Array;
/** MATLAB's column-major values reordered row-major (numpy C order) for the same shape. */
export function rowMajor<T>(data: readonly T[], shape: readonly number[]): T[];
export function rowMajor<T>(data: Float64Array | Uint8Array | readonly T[], shape: readonly number[]) {
  const n = data.length;
  if (n !== shapeSize(shape)) throw new RangeError(`rowMajor: ${n} values do not fill shape [${shape.join(', ')}]`);
  let out: Float64Array | Uint8Array | T[] = new Array<T>(n);
  if (data instanceof Float64Array) out = new Float64Array(n);
  else if (data instanceof Uint8Array) out = new Uint8Array(n);
  const strides = shape.map((_, k) => shapeSize(shape.slice(0, k)));
  const index = shape.map(() => 0);
  let from = 0;
  for (let i = 0; i < n; i++) {
    (out as T[])[i] = (data as readonly T[])[from];
    for (let k = shape.length - 1; k >= 0; k--) {
      index[k]++;
      from += strides[k];
      if (index[k] < shape[k]) break;
      from -= strides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

/**
 * A MAT-file value as plain JS, in row-major order. The layout, which the recording pipeline relies on:
 * - numeric: a number when the array holds one value; otherwise `{ data: Float64Array, shape }` with `shape`
 *   MATLAB's dimensions (at least two, e.g. [n, 1] for a column vector) and `data` row-major. int64/uint64 values
 *   beyond 2^53 round here; read MatNumeric.exact for them.
 * - logical: a boolean for one value; otherwise `{ data: Uint8Array, shape }` of 0/1, row-major.
 * - complex: `{ re, im }` for one value; otherwise `{ real, imag, shape }`, row-major.
 * - char: a string for a single row (or an empty array); otherwise one string per row.
 * - struct: an object of converted fields for a 1x1 struct; otherwise an array of such objects (see cell).
 * - cell: an array of converted elements, never collapsed to its element (a 1x1 cell gives a one-element array).
 *   Arrays of cells and structs are flat when at most one dimension exceeds 1 (a 1xN or Nx1 cell of spike trains
 *   is a flat array); otherwise they nest row-major over the dimensions larger than 1 (`c{i, j}` is `out[i-1][j-1]`).
 */
export function matToJs(value: MatValue): MatJs {
  checkValue('matToJs', 'value', value, is.object('a MAT-file value (from readMat)'), 'argument');
  switch (value.kind) {
    case 'numeric':
      if (value.data.length === 1) return value.data[0];
      return { data: rowMajor(value.data, value.shape), shape: [...value.shape] };
    case 'logical':
      if (value.data.length === 1) return value.data[0] === 1;
      return { data: rowMajor(value.data, value.shape), shape: [...value.shape] };
    case 'complex':
      if (value.real.length === 1) return { re: value.real[0], im: value.imag[0] };
      return {
        real: rowMajor(value.real, value.shape),
        imag: rowMajor(value.imag, value.shape),
        shape: [...value.shape],
      };
    case 'char':
      return value.text;
    case 'struct': {
      const records = value.elements.map((record) => {
        const out: { [field: string]: MatJs } = {};
        for (const field of value.fields) out[field] = matToJs(record[field]);
        return out;
      });
      return shapeSize(value.shape) === 1 ? records[0] : nest(rowMajor(records, value.shape), value.shape);
    }
    case 'cell':
      return nest(rowMajor(value.elements.map(matToJs), value.shape), value.shape);
  }
}

/** Row-major items nested over the dimensions of `shape` larger than 1 (flat when at most one is). */
function nest(items: MatJs[], shape: readonly number[]): MatJs[] {
  const dims = shape.filter((d) => d !== 1);
  if (dims.length <= 1 || items.length === 0) return items;
  const step = items.length / dims[0];
  const out: MatJs[] = [];
  for (let i = 0; i < dims[0]; i++) out.push(nest(items.slice(i * step, (i + 1) * step), dims.slice(1)));
  return out;
}
