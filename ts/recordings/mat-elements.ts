// The data elements of a level-5 MAT-file: 8-byte tags (or the packed 4-byte small-element tag), their payloads, and
// the numbers and text inside them, in either byte order. Used by the readers in mat.ts and mat-arrays.ts.

import { FileFormatError } from '../io/errors.js';

/** The data types of a data element's tag (the MAT-file format's miINT8 ... miUTF32). */
export const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const KNOWN_TYPES = new Set<number>(Object.values(MI));

/** Bytes being read: the file itself, or the inflated content of one compressed element. */
export interface Source {
  bytes: Uint8Array;
  view: DataView;
  littleEndian: boolean;
  /** The file's name, for messages. */
  file: string;
  /** Describes an offset into `bytes` for messages, e.g. 'byte 40 of the compressed element at byte 128'. */
  at(offset: number): string;
}

/** One data element: its type, where its tag starts, its payload, and where the next element starts. */
export interface Element {
  type: number;
  start: number;
  data: Uint8Array;
  next: number;
}

/** A FileFormatError naming the file, the variable (when known) and where in the file the problem lies. */
export function matError(src: Source, offset: number, variable: string, problem: string): FileFormatError {
  const what = variable === '' ? '' : ` variable ${variable}:`;
  return new FileFormatError(`${src.file}:${what} ${problem} (at ${src.at(offset)})`);
}

/**
 * Reads the element whose tag starts at `pos`; its payload must end by `end`. Small elements (type and size packed
 * in the first 4 bytes, payload in the next 4) are recognised by a non-zero upper half of the first word. Payloads
 * are padded to 8 bytes, except a compressed element's.
 */
export function readElement(src: Source, pos: number, end: number, variable: string): Element {
  if (pos + 8 > end) {
    throw matError(src, pos, variable, `a data element's 8-byte tag runs past the end (${end - pos} bytes left)`);
  }
  const word = src.view.getUint32(pos, src.littleEndian);
  const small = word >>> 16;
  if (small !== 0) {
    const type = word & 0xffff;
    if (small > 4 || !KNOWN_TYPES.has(type)) {
      throw matError(src, pos, variable, `bad small data element tag (type ${type}, ${small} bytes)`);
    }
    return { type, start: pos, data: src.bytes.subarray(pos + 4, pos + 4 + small), next: pos + 8 };
  }
  const size = src.view.getUint32(pos + 4, src.littleEndian);
  if (!KNOWN_TYPES.has(word)) throw matError(src, pos, variable, `unknown data element type ${word}`);
  if (size > end - pos - 8) {
    const problem = `a data element of ${size} bytes runs past the end (${end - pos - 8} bytes left)`;
    throw matError(src, pos, variable, problem);
  }
  const padded = word === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: word, start: pos, data: src.bytes.subarray(pos + 8, pos + 8 + size), next: pos + 8 + padded };
}

type Getter = (view: DataView, offset: number, littleEndian: boolean) => number;

const NUMBER_TYPES: Record<number, { width: number; get: Getter }> = {
  [MI.INT8]: { width: 1, get: (v, o) => v.getInt8(o) },
  [MI.UINT8]: { width: 1, get: (v, o) => v.getUint8(o) },
  [MI.INT16]: { width: 2, get: (v, o, le) => v.getInt16(o, le) },
  [MI.UINT16]: { width: 2, get: (v, o, le) => v.getUint16(o, le) },
  [MI.INT32]: { width: 4, get: (v, o, le) => v.getInt32(o, le) },
  [MI.UINT32]: { width: 4, get: (v, o, le) => v.getUint32(o, le) },
  [MI.SINGLE]: { width: 4, get: (v, o, le) => v.getFloat32(o, le) },
  [MI.DOUBLE]: { width: 8, get: (v, o, le) => v.getFloat64(o, le) },
  [MI.INT64]: { width: 8, get: (v, o, le) => Number(v.getBigInt64(o, le)) },
  [MI.UINT64]: { width: 8, get: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

/** The numbers in a numeric element, as doubles (64-bit integers round to the nearest double). */
export function readNumbers(src: Source, el: Element, variable: string, what: string): Float64Array {
  const spec = NUMBER_TYPES[el.type];
  if (spec === undefined) {
    throw matError(src, el.start, variable, `${what} has data type ${el.type}, not a numeric one`);
  }
  if (el.data.length % spec.width !== 0) {
    throw matError(src, el.start, variable, `${what} has ${el.data.length} bytes, not a multiple of ${spec.width}`);
  }
  const view = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
  const out = new Float64Array(el.data.length / spec.width);
  for (let i = 0; i < out.length; i++) out[i] = spec.get(view, i * spec.width, src.littleEndian);
  return out;
}

/** The exact values of a 64-bit integer element, or undefined when the element holds another type. */
export function readBigInts(src: Source, el: Element): BigInt64Array | BigUint64Array | undefined {
  if ((el.type !== MI.INT64 && el.type !== MI.UINT64) || el.data.length % 8 !== 0) return undefined;
  const view = new DataView(el.data.buffer, el.data.byteOffset, el.data.byteLength);
  const signed = el.type === MI.INT64;
  const out = signed ? new BigInt64Array(el.data.length / 8) : new BigUint64Array(el.data.length / 8);
  for (let i = 0; i < out.length; i++) {
    out[i] = signed ? view.getBigInt64(i * 8, src.littleEndian) : view.getBigUint64(i * 8, src.littleEndian);
  }
  return out;
}

/**
 * The characters of a char array's data element as a JS string. UTF-8 and the 8-bit types decode to text;
 * UTF-16 and miUINT16 hold UTF-16 code units (MATLAB's own chars); UTF-32 and the 32-bit types hold code points.
 */
export function readChars(src: Source, el: Element, variable: string): string {
  if (el.type === MI.UTF8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(el.data);
    } catch {
      throw matError(src, el.start, variable, 'char data is not valid UTF-8');
    }
  }
  const codes = readNumbers(src, el, variable, 'char data');
  const wide = el.type === MI.UTF32 || el.type === MI.INT32 || el.type === MI.UINT32;
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += 4096) {
    const chunk = Array.from(codes.subarray(i, i + 4096));
    if (wide && chunk.some((c) => c < 0 || c > 0x10ffff)) throw matError(src, el.start, variable, 'bad code point');
    parts.push(wide ? String.fromCodePoint(...chunk) : String.fromCharCode(...chunk));
  }
  return parts.join('');
}

/** The text of an miINT8/miUINT8 element (a name), up to its first NUL. */
export function readName(src: Source, el: Element, variable: string): string {
  if (el.type !== MI.INT8 && el.type !== MI.UINT8) {
    throw matError(src, el.start, variable, `a name has data type ${el.type}, expected miINT8`);
  }
  const nul = el.data.indexOf(0);
  return new TextDecoder('utf-8').decode(nul < 0 ? el.data : el.data.subarray(0, nul));
}
