// A reader for MATLAB .mat files of version 5 (the Level 5 MAT-file format that MATLAB writes with `save -v6` and
// `save -v7`, and scipy.io.savemat): numeric, logical and char arrays, structs and cell arrays, compressed or not,
// in either byte order. Version 7.3 files are HDF5 files, read by mat73.ts into the same values; readMat tells them
// apart (matVersion). Written from the format's public description.

import { open } from 'node:fs/promises';
import { Unzlib, unzlibSync } from 'fflate';
import { concatBytes } from '../io/bytes.js';
import { FileFormatError } from '../io/errors.js';
import { readFileBytes } from '../io/files.js';
import { show } from '../core/validate.js';
import { readArrayHeader, readMatrix } from './mat-arrays.js';
import { type Element, matError, MI, readElement, type Source } from './mat-elements.js';
import { readMat73 } from './mat73.js';

export { matToJs, type MatJs, rowMajor } from './mat-js.js';

/** The numeric classes of MATLAB arrays. */
export type MatNumericClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64';

/**
 * A real numeric array. `shape` is MATLAB's dimensions (at least two: a scalar is [1, 1], a row vector [1, n]) and
 * `data` its values converted to doubles in MATLAB's column-major order; `rowMajor(data, shape)` reorders them.
 * For int64 and uint64 arrays `exact` holds the values exactly (doubles round beyond 2^53).
 */
export interface MatNumeric {
  kind: 'numeric';
  class: MatNumericClass;
  shape: number[];
  data: Float64Array;
  exact?: BigInt64Array | BigUint64Array;
}

/** A complex numeric array: real and imaginary parts, column-major, as in MatNumeric. */
export interface MatComplex {
  kind: 'complex';
  class: MatNumericClass;
  shape: number[];
  real: Float64Array;
  imag: Float64Array;
}

/** A logical array: 0 or 1 per element, column-major. */
export interface MatLogical {
  kind: 'logical';
  shape: number[];
  data: Uint8Array;
}

/**
 * A char array. `text` is a string when the array has at most one row (MATLAB's usual `'abc'`), else one string per
 * row (the first dimension; a 3-D char array's rows run over the later dimensions in column-major order).
 */
export interface MatChar {
  kind: 'char';
  shape: number[];
  text: string | string[];
}

/** A struct array: its field names and one record per element, in column-major order (one record for a 1x1 struct). */
export interface MatStruct {
  kind: 'struct';
  shape: number[];
  fields: string[];
  elements: Record<string, MatValue>[];
}

/** A cell array: its elements in column-major order. */
export interface MatCell {
  kind: 'cell';
  shape: number[];
  elements: MatValue[];
}

/** One value of a MAT-file, tagged by `kind`. */
export type MatValue = MatNumeric | MatComplex | MatLogical | MatChar | MatStruct | MatCell;

/** A decoded MAT-file (version 5, or 7.3 through readMat): its header text and its variables by name, in file order. */
export interface MatFile {
  version: 5 | 7.3;
  /**
   * The descriptive text of the 116-byte header, trailing spaces removed (e.g. 'MATLAB 5.0 MAT-file, ...'; for 7.3
   * the text in the HDF5 user block, 'MATLAB 7.3 MAT-file, ... HDF5 schema 1.00 .').
   */
  header: string;
  variables: Record<string, MatValue>;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const HEADER_BYTES = 128;

function hasHdf5Signature(bytes: Uint8Array, at: number): boolean {
  return bytes.length >= at + 8 && HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b);
}

/** Whether the first 20 bytes look like a version 4 matrix header: type code MOPT, sizes, complex flag, name size. */
function looksLikeV4(bytes: Uint8Array): boolean {
  if (bytes.length < 20) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 20);
  return [true, false].some((le) => {
    const [type, rows, cols, imag, nameLength] = [0, 4, 8, 12, 16].map((o) => view.getInt32(o, le));
    const [m, o, p, t] = [Math.floor(type / 1000), Math.floor(type / 100) % 10, Math.floor(type / 10) % 10, type % 10];
    const typeOk = type >= 0 && m <= 4 && o === 0 && p <= 5 && t <= 2;
    return typeOk && rows >= 0 && cols >= 0 && (imag === 0 || imag === 1) && nameLength >= 1 && nameLength < 4096;
  });
}

/**
 * The MAT-file version of `bytes`: 7.3 when an HDF5 file follows the 512-byte MATLAB header, 5 for the level-5
 * format (a 128-byte header ending in version 0x0100 and the 'IM'/'MI' byte-order mark), 4 for the headerless
 * version 4 format, else 'unknown'.
 */
export function matVersion(bytes: Uint8Array): 4 | 5 | 7.3 | 'unknown' {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`matVersion: argument 'bytes' must be a Uint8Array; got ${show(bytes)}`);
  if (hasHdf5Signature(bytes, 512)) return 7.3;
  if (bytes.length >= HEADER_BYTES) {
    const mark = String.fromCharCode(bytes[126], bytes[127]);
    const version = mark === 'IM' ? bytes[124] | (bytes[125] << 8) : (bytes[124] << 8) | bytes[125];
    if ((mark === 'IM' || mark === 'MI') && version === 0x0100) return 5;
  }
  return looksLikeV4(bytes) ? 4 : 'unknown';
}

/**
 * Reads a MAT-file from disk: a version 7.3 file (HDF5) through readMat73, any other through decodeMat; see them for
 * what it returns and throws.
 */
export async function readMat(path: string): Promise<MatFile> {
  if ((await headVersion(path)) === 7.3) return readMat73(path);
  return decodeMat(await readFileBytes(path), path);
}

/** matVersion of the first 520 bytes of a file (enough to see a 7.3 file), or undefined when it cannot be read. */
async function headVersion(path: string): Promise<ReturnType<typeof matVersion> | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return undefined; // readFileBytes reports why
  try {
    const head = new Uint8Array(520);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return matVersion(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * Decodes the bytes of a version-5 MAT-file; `name` (the file's name) starts every error message. Throws a
 * FileFormatError for a version 7.3 file (HDF5: read it from its path with readMat), a version 4 or unknown file, a
 * truncated or corrupt file (naming the variable and the byte offset), and for variables this reader does not
 * decode: sparse arrays, objects, function handles.
 */
export function decodeMat(bytes: Uint8Array, name: string): MatFile {
  const version = matVersion(bytes);
  if (version === 7.3) {
    throw new FileFormatError(`${name} is a MATLAB 7.3 file (HDF5), which decodeMat does not decode from bytes; read it from its path with readMat`);
  }
  if (version === 4) {
    throw new FileFormatError(`${name} is a MATLAB version 4 file, which is not supported; save it with -v7 or -v7.3`);
  }
  if (version === 'unknown') {
    const hint = hasHdf5Signature(bytes, 0)
      ? 'it is an HDF5 file without a MATLAB header; read it with the HDF5 reader'
      : 'no level-5 header';
    throw new FileFormatError(`${name} is not a MATLAB .mat file (${bytes.length} bytes; ${hint})`);
  }
  const src: Source = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    littleEndian: bytes[126] === 0x49,
    file: name,
    at: (offset) => `byte ${offset}`,
  };
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, 116)).replace(/[\s\0]+$/, '');
  return { version: 5, header, variables: readVariables(src, subsystemOffset(src)) };
}

/** Where the subsystem data (MATLAB's storage for objects) starts, or 0 when the header gives none. */
function subsystemOffset(src: Source): number {
  const field = src.bytes.subarray(116, 124);
  if (field.every((b) => b === 0 || b === 0x20)) return 0;
  return Number(src.view.getBigUint64(116, src.littleEndian));
}

function readVariables(src: Source, subsystem: number): Record<string, MatValue> {
  const variables: Record<string, MatValue> = {};
  let previous = '';
  for (let pos = HEADER_BYTES; pos < src.bytes.length; ) {
    if (pos === subsystem) break;
    const el = readTopElement(src, pos, previous);
    pos = el.next;
    const inner = el.type === MI.COMPRESSED ? inflate(src, el, previous) : { src, el };
    if (inner.el.type !== MI.MATRIX) {
      const who = describeVariableAt(src, el.start, previous);
      const problem = `expected an miMATRIX element for ${who}; got type ${inner.el.type}`;
      throw matError(inner.src, inner.el.start, '', problem);
    }
    const { name, value } = readMatrix(inner.src, inner.el);
    variables[name] = value;
    previous = name;
  }
  return variables;
}

/** Reads a top-level element; when it is cut short, the error names the variable if its header can still be read. */
function readTopElement(src: Source, pos: number, previous: string): Element {
  try {
    return readElement(src, pos, src.bytes.length, '');
  } catch (err) {
    const who = describeVariableAt(src, pos, previous);
    const message = err instanceof Error ? err.message.replace(`${src.file}: `, '') : String(err);
    throw new FileFormatError(`${src.file}: ${who}: ${message}`, { cause: err });
  }
}

/** 'variable NAME' for the damaged variable at `pos` when its name can be read, else where it lies. */
function describeVariableAt(src: Source, pos: number, previous: string): string {
  const name = partialName(src, pos);
  if (name !== undefined) return `variable ${name}`;
  return previous === '' ? 'the first variable' : `the variable after ${previous}`;
}

/** The name of the (possibly truncated) variable whose element starts at `pos`, when enough of it is there. */
function partialName(src: Source, pos: number): string | undefined {
  try {
    const type = src.view.getUint32(pos, src.littleEndian);
    let inner = src;
    let start = pos;
    if (type === MI.COMPRESSED) {
      const chunks: Uint8Array[] = [];
      new Unzlib((chunk) => chunks.push(chunk)).push(src.bytes.subarray(pos + 8), false);
      inner = compressedSource(src, pos, concatBytes(chunks));
      start = 0;
    } else if (type !== MI.MATRIX) return undefined;
    const el = { type: MI.MATRIX, start, data: inner.bytes.subarray(start + 8), next: inner.bytes.length };
    return readArrayHeader(inner, el, '').name || undefined;
  } catch {
    return undefined;
  }
}

function compressedSource(src: Source, start: number, bytes: Uint8Array): Source {
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    littleEndian: src.littleEndian,
    file: src.file,
    at: (offset) => `byte ${offset} of the compressed element at byte ${start}`,
  };
}

/** Inflates a compressed element; its content is one element (an miMATRIX) in the file's byte order. */
function inflate(src: Source, el: Element, previous: string): { src: Source; el: Element } {
  let bytes: Uint8Array;
  try {
    bytes = unzlibSync(el.data);
  } catch (err) {
    const who = describeVariableAt(src, el.start, previous);
    throw matError(src, el.start, '', `${who} is compressed but does not inflate (${(err as Error).message})`);
  }
  if (el.data.length >= 4 && src.view.getUint32(el.start + 8 + el.data.length - 4, false) !== adler32(bytes)) {
    const who = describeVariableAt(src, el.start, previous);
    throw matError(src, el.start, '', `${who} is compressed but fails its checksum (the file is corrupt)`);
  }
  const inner = compressedSource(src, el.start, bytes);
  return { src: inner, el: readElement(inner, 0, bytes.length, '') };
}

/** The Adler-32 checksum that ends a zlib stream (fflate does not check it). */
function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length); // zlib's NMAX: reduce the sums often enough to stay small
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
