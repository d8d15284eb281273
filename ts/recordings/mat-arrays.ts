// The arrays of a level-5 MAT-file: one miMATRIX element (array flags, dimensions, name, then the class's
// subelements) decoded into a MatValue. Cells and structs recurse; sparse arrays, objects and function handles are
// refused with an error that names the variable.

import { shapeSize } from '../core/tensor.js';
import {
  type Element,
  matError,
  MI,
  readBigInts,
  readChars,
  readElement,
  readName,
  readNumbers,
  type Source,
} from './mat-elements.js';
import type { MatNumericClass, MatValue } from './mat.js';

/** MATLAB's array classes (mxCELL_CLASS = 1 ... mxUINT64_CLASS = 15) that this reader decodes, by code. */
const NUMERIC_CLASSES: Record<number, MatNumericClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const CELL = 1;
const STRUCT = 2;
const CHAR = 4;
const UNSUPPORTED: Record<number, string> = {
  3: 'MATLAB objects',
  5: 'sparse arrays',
  16: 'function handles',
  17: 'MATLAB objects (opaque classes such as string, table, datetime or function handles)',
};

const COMPLEX_FLAG = 0x800;
const LOGICAL_FLAG = 0x200;

/** Reads subelements of one miMATRIX in order. */
interface Cursor {
  src: Source;
  pos: number;
  end: number;
  variable: string;
}

function next(c: Cursor): Element {
  const el = readElement(c.src, c.pos, c.end, c.variable);
  c.pos = el.next;
  return el;
}

/** The array header of an miMATRIX element: class and flags, dimensions and name, and a cursor on what follows. */
export function readArrayHeader(src: Source, el: Element, variable: string) {
  const c: Cursor = { src, pos: el.start + 8, end: el.start + 8 + el.data.length, variable };
  const flags = next(c);
  if (flags.type !== MI.UINT32 || flags.data.length !== 8) {
    throw matError(src, flags.start, variable, `array flags must be 8 bytes of miUINT32; got type ${flags.type}`);
  }
  const word = readNumbers(src, flags, variable, 'array flags')[0];
  const dimsEl = next(c);
  if (dimsEl.type !== MI.INT32) throw matError(src, dimsEl.start, variable, `dimensions have type ${dimsEl.type}`);
  const shape = Array.from(readNumbers(src, dimsEl, variable, 'dimensions'));
  if (shape.length < 2 || shape.some((d) => d < 0)) {
    throw matError(src, dimsEl.start, variable, `bad dimensions [${shape.join(', ')}]`);
  }
  const name = readName(src, next(c), variable);
  const complex = (word & COMPLEX_FLAG) !== 0;
  return { cls: word & 0xff, complex, logical: (word & LOGICAL_FLAG) !== 0, shape, name, c };
}

/**
 * Decodes one miMATRIX element. `variable` names it in messages (its path from the top-level variable, e.g.
 * `trials(2).spikes`); for a top-level element pass undefined and the array's own name is used.
 */
export function readMatrix(src: Source, el: Element, variable?: string): { name: string; value: MatValue } {
  if (el.data.length === 0) {
    return { name: '', value: { kind: 'numeric', class: 'double', shape: [0, 0], data: new Float64Array(0) } };
  }
  const header = readArrayHeader(src, el, variable ?? '');
  const { cls, shape, name, c } = header;
  c.variable = variable ?? name;
  const unsupported = UNSUPPORTED[cls];
  if (unsupported !== undefined) {
    throw matError(src, el.start, '', `${unsupported} are not supported (variable ${c.variable})`);
  }
  const n = shapeSize(shape);
  if (cls === CELL) return { name, value: { kind: 'cell', shape, elements: readCells(c, n) } };
  if (cls === STRUCT) return { name, value: readStruct(c, shape, n) };
  if (cls === CHAR) return { name, value: { kind: 'char', shape, text: readCharArray(c, shape, n) } };
  const numericClass = NUMERIC_CLASSES[cls];
  if (numericClass === undefined) throw matError(src, el.start, c.variable, `unknown array class ${cls}`);
  return { name, value: readNumeric(c, numericClass, header.complex, header.logical, shape, n) };
}

function readCells(c: Cursor, n: number): MatValue[] {
  const base = c.variable;
  const out: MatValue[] = [];
  for (let i = 0; i < n; i++) out.push(readChild(c, `${base}{${i + 1}}`));
  return out;
}

function readChild(c: Cursor, variable: string): MatValue {
  const el = next(c);
  if (el.type !== MI.MATRIX) {
    throw matError(c.src, el.start, variable, `expected an miMATRIX element, got type ${el.type}`);
  }
  return readMatrix(c.src, el, variable).value;
}

function readStruct(c: Cursor, shape: number[], n: number): MatValue {
  const lengthEl = next(c);
  const fieldLength = readNumbers(c.src, lengthEl, c.variable, 'the field name length')[0] ?? 0;
  const namesEl = next(c);
  if (namesEl.type !== MI.INT8 && namesEl.type !== MI.UINT8) {
    throw matError(c.src, namesEl.start, c.variable, `field names have data type ${namesEl.type}`);
  }
  if (namesEl.data.length > 0 && (fieldLength <= 0 || namesEl.data.length % fieldLength !== 0)) {
    const problem = `${namesEl.data.length} bytes of field names do not split into names of ${fieldLength}`;
    throw matError(c.src, namesEl.start, c.variable, problem);
  }
  const fields: string[] = [];
  for (let at = 0; at < namesEl.data.length; at += fieldLength) {
    const piece = { ...namesEl, data: namesEl.data.subarray(at, at + fieldLength) };
    fields.push(readName(c.src, piece, c.variable));
  }
  const base = c.variable;
  const elements: Record<string, MatValue>[] = [];
  for (let i = 0; i < n; i++) {
    const record: Record<string, MatValue> = {};
    for (const field of fields) {
      record[field] = readChild(c, n === 1 ? `${base}.${field}` : `${base}(${i + 1}).${field}`);
    }
    elements.push(record);
  }
  return { kind: 'struct', shape, fields, elements };
}

/** The rows of a char array: a string for one row (or none), else one string per row (MATLAB's first dimension). */
function readCharArray(c: Cursor, shape: number[], n: number): string | string[] {
  const text = c.pos < c.end ? readChars(c.src, next(c), c.variable) : '';
  let chars: string[] | string = text;
  if (text.length !== n) chars = Array.from(text); // UTF-8 written per code point (scipy writes non-BMP so)
  if (chars.length !== n) {
    const problem = `char data holds ${chars.length} characters; dimensions [${shape.join(', ')}] need ${n}`;
    throw matError(c.src, c.pos, c.variable, problem);
  }
  return charRows(Array.from(chars), shape);
}

/**
 * A char array's text from its characters in column-major order: a string for one row (or none), else one string
 * per row (MATLAB's first dimension).
 */
export function charRows(chars: readonly string[], shape: readonly number[]): string | string[] {
  const rows = shape[0];
  if (rows <= 1) return chars.join('');
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let row = '';
    for (let i = r; i < chars.length; i += rows) row += chars[i];
    out.push(row);
  }
  return out;
}

function readNumeric(
  c: Cursor,
  cls: MatNumericClass,
  complex: boolean,
  logical: boolean,
  shape: number[],
  n: number,
): MatValue {
  const realEl = c.pos < c.end || n > 0 ? next(c) : undefined;
  const real = realEl === undefined ? new Float64Array(0) : checkCount(c, realEl, n, complex ? 'real part' : 'data');
  if (complex) {
    const imag = checkCount(c, next(c), n, 'imaginary part');
    return { kind: 'complex', class: cls, shape, real, imag };
  }
  if (logical) return { kind: 'logical', shape, data: Uint8Array.from(real, (v) => (v !== 0 ? 1 : 0)) };
  if (cls !== 'int64' && cls !== 'uint64') return { kind: 'numeric', class: cls, shape, data: real };
  let exact = realEl && readBigInts(c.src, realEl);
  if (exact === undefined) {
    exact = cls === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) exact[i] = BigInt(Math.trunc(real[i]));
  }
  return { kind: 'numeric', class: cls, shape, data: real, exact };
}

function checkCount(c: Cursor, el: Element, n: number, what: string): Float64Array {
  const values = readNumbers(c.src, el, c.variable, what);
  if (values.length !== n) {
    throw matError(c.src, el.start, c.variable, `the ${what} holds ${values.length} values; the dimensions need ${n}`);
  }
  return values;
}
