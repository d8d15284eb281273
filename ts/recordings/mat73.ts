// A reader for MATLAB 7.3 .mat files (`save -v7.3`): HDF5 files after a 512-byte user block that holds MATLAB's text
// header, read through hdf5.ts into the same MatValue as the version 5 reader. The layout MATLAB writes:
// - every variable is a root dataset or group with a string attribute MATLAB_class ('double', 'int32', 'logical',
//   'char', 'cell', 'struct', ...); '#refs#' (the targets of references) and '#subsystem#' (objects) are not variables;
// - a numeric, logical or char dataset has MATLAB's dimensions reversed, so its row-major (HDF5) order is MATLAB's
//   column-major order; logical is uint8, char is UTF-16 code units (uint16), complex is a compound {real, imag};
// - an empty array is a dataset with MATLAB_empty = 1 whose data are its MATLAB dimensions;
// - a cell is a dataset of object references (dimensions reversed), each to an element decoded like a variable;
// - a scalar struct is a group whose members are its fields (field order in MATLAB_fields); a struct array is a group
//   whose fields are reference datasets without MATLAB_class, one reference per element (dimensions reversed).
// Written from the format as MATLAB writes it; sparse arrays and objects are refused with a clear error.

import { open } from 'node:fs/promises';
import { shapeSize } from '../core/tensor.js';
import { FileFormatError } from '../io/errors.js';
import { type Hdf5File, join, withHdf5 } from './hdf5.js';
import { charRows } from './mat-arrays.js';
import type { MatFile, MatNumericClass, MatStruct, MatValue } from './mat.js';

const NUMERIC_CLASSES: readonly MatNumericClass[] = [
  'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
];
const KNOWN = `${NUMERIC_CLASSES.join(', ')}, logical, char, cell, struct`;
const NOT_VARIABLES = new Set(['#refs#', '#subsystem#']);

type Raw = ReturnType<Hdf5File['readRaw']>;

/**
 * Reads a MATLAB 7.3 file (HDF5 after MATLAB's 512-byte header) into the MatFile the version 5 reader returns:
 * numeric (with `exact` for int64/uint64), complex, logical, char, cell and struct values, empty arrays included.
 * Throws a FileFormatError naming the file and the variable (e.g. `variable units.spike_times{3}`) for a variable
 * of a class this reader does not know, a sparse array or an object, and data that do not match their dimensions;
 * a missing, truncated or non-HDF5 file throws hdf5.ts's error naming the file.
 */
export async function readMat73(path: string): Promise<MatFile> {
  const header = await userBlockText(path);
  return withHdf5(path, (file) => {
    const variables: Record<string, MatValue> = {};
    for (const name of file.children('/')) {
      if (NOT_VARIABLES.has(name)) continue;
      try {
        variables[name] = readValue(file, `/${name}`, `variable ${name}`);
      } catch (err) {
        if (!(err instanceof FileFormatError) || err.message.includes(`variable ${name}`)) throw err;
        throw new FileFormatError(`${err.message} (reading variable ${name})`, { cause: err });
      }
    }
    return { version: 7.3, header, variables };
  });
}

/** The text of the MATLAB header in the user block (its first 116 bytes, trailing blanks removed). */
async function userBlockText(path: string): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return ''; // withHdf5 reports the missing file
  try {
    const bytes = new Uint8Array(116);
    const { bytesRead } = await handle.read(bytes, 0, 116, 0);
    return new TextDecoder('latin1').decode(bytes.subarray(0, bytesRead)).replace(/[\s\0]+$/, '');
  } finally {
    await handle.close();
  }
}

function fail(file: Hdf5File, where: string, problem: string): FileFormatError {
  return new FileFormatError(`${file.source}: ${where}: ${problem}`);
}

/** MATLAB's dimensions from an HDF5 shape: reversed, at least two (a scalar dataspace is 1x1). */
function matShape(hdf5Shape: readonly number[]): number[] {
  const shape = [...hdf5Shape].reverse();
  while (shape.length < 2) shape.push(1);
  return shape;
}

/** Decodes the dataset or group at `path`; `where` names it in errors (variable, field and element). */
function readValue(file: Hdf5File, path: string, where: string): MatValue {
  const attrs = file.attributes(path);
  const cls = attrs.MATLAB_class;
  if (typeof cls !== 'string') throw fail(file, where, `${path} has no MATLAB_class attribute (not a MATLAB 7.3 value)`);
  if (attrs.MATLAB_sparse !== undefined) throw fail(file, where, 'sparse arrays are not supported');
  if (attrs.MATLAB_object_decode !== undefined || cls === 'function_handle') {
    throw fail(file, where, `MATLAB objects are not supported (class '${cls}')`);
  }
  if (file.kind(path) === 'group') {
    if (cls !== 'struct') throw fail(file, where, `${path} is a group of MATLAB_class '${cls}'; only structs are groups`);
    return readStruct(file, path, where);
  }
  const known = NUMERIC_CLASSES.includes(cls as MatNumericClass) || ['logical', 'char', 'cell', 'struct'].includes(cls);
  if (!known) throw fail(file, where, `unknown MATLAB_class '${cls}' (this reader knows ${KNOWN})`);
  if (Number(attrs.MATLAB_empty ?? 0) !== 0) return readEmpty(file, path, cls, where);
  if (cls === 'cell') return readCell(file, path, where);
  if (cls === 'struct') throw fail(file, where, `${path} is a non-empty struct stored as a dataset`);
  const raw = file.readRaw(path);
  const shape = matShape(raw.shape);
  if (raw.dtype === 'compound') return readComplex(file, raw, cls as MatNumericClass, shape, where);
  const data = doubles(file, raw, shape, where);
  if (cls === 'char') return { kind: 'char', shape, text: charRows(Array.from(data, (u) => String.fromCharCode(u)), shape) };
  if (cls === 'logical') return { kind: 'logical', shape, data: Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0)) };
  const numeric = { kind: 'numeric' as const, class: cls as MatNumericClass, shape, data };
  if (cls !== 'int64' && cls !== 'uint64') return numeric;
  return { ...numeric, exact: exactIntegers(raw.value, cls, data) };
}

/** A dataset's values as doubles in MATLAB's column-major order, checked against MATLAB's dimensions. */
function doubles(file: Hdf5File, raw: Raw, shape: number[], where: string): Float64Array {
  const { value, dtype } = raw;
  if (!/^(float|int|uint|enum)/.test(dtype)) throw fail(file, where, `holds ${dtype} values; expected numbers`);
  let data: Float64Array;
  if (value === null) data = new Float64Array(0);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') data = Float64Array.of(Number(value));
  else if (value instanceof Float64Array) data = value;
  else if (ArrayBuffer.isView(value)) data = Float64Array.from(value as ArrayLike<number | bigint>, Number);
  else throw fail(file, where, `holds ${dtype} values h5wasm gives as ${typeof value}; expected numbers`);
  if (data.length !== shapeSize(shape)) {
    throw fail(file, where, `holds ${data.length} values; its dimensions [${shape.join(', ')}] need ${shapeSize(shape)}`);
  }
  return data;
}

/** int64/uint64 values exactly: as stored when HDF5 holds 64-bit integers, else from the doubles. */
function exactIntegers(value: unknown, cls: 'int64' | 'uint64', data: Float64Array): BigInt64Array | BigUint64Array {
  if (cls === 'int64' && value instanceof BigInt64Array) return value;
  if (cls === 'uint64' && value instanceof BigUint64Array) return value;
  const source: ArrayLike<number | bigint> = value instanceof BigInt64Array || value instanceof BigUint64Array ? value : data;
  const big = Array.from(source, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(v))));
  return cls === 'int64' ? BigInt64Array.from(big, (v) => BigInt.asIntN(64, v)) : BigUint64Array.from(big, (v) => BigInt.asUintN(64, v));
}

/** A complex array: a compound dataset of {real, imag} pairs. */
function readComplex(file: Hdf5File, raw: Raw, cls: MatNumericClass, shape: number[], where: string): MatValue {
  const n = shapeSize(shape);
  const pairs = Array.isArray(raw.value) ? (raw.value as unknown[]) : [];
  if (!NUMERIC_CLASSES.includes(cls) || pairs.length !== n || !pairs.every((p) => Array.isArray(p) && p.length === 2)) {
    throw fail(file, where, `a compound of ${pairs.length} values is not a complex ${cls} array of dimensions [${shape.join(', ')}]`);
  }
  const real = Float64Array.from(pairs as unknown[][], (p) => Number(p[0]));
  const imag = Float64Array.from(pairs as unknown[][], (p) => Number(p[1]));
  return { kind: 'complex', class: cls, shape, real, imag };
}

/** An empty array (MATLAB_empty): its data are its MATLAB dimensions. */
function readEmpty(file: Hdf5File, path: string, cls: string, where: string): MatValue {
  const raw = file.readRaw(path);
  const dims = Array.from(doubles(file, raw, matShape(raw.shape), where));
  const shape = dims.length >= 2 && shapeSize(dims) === 0 ? dims : [0, 0];
  if (cls === 'cell') return { kind: 'cell', shape, elements: [] };
  if (cls === 'struct') return { kind: 'struct', shape, fields: fieldNames(file, path, []), elements: [] };
  if (cls === 'char') return { kind: 'char', shape, text: charRows([], shape) };
  if (cls === 'logical') return { kind: 'logical', shape, data: new Uint8Array(0) };
  const numeric = { kind: 'numeric' as const, class: cls as MatNumericClass, shape, data: new Float64Array(0) };
  if (cls === 'int64') return { ...numeric, exact: new BigInt64Array(0) };
  if (cls === 'uint64') return { ...numeric, exact: new BigUint64Array(0) };
  return numeric;
}

/** A cell array: references into '#refs#', each decoded like a variable. */
function readCell(file: Hdf5File, path: string, where: string): MatValue {
  const shape = matShape(file.entry(path).shape ?? []);
  const targets = file.dereference(path);
  if (targets.length !== shapeSize(shape)) {
    throw fail(file, where, `holds ${targets.length} references; its dimensions [${shape.join(', ')}] need ${shapeSize(shape)}`);
  }
  return { kind: 'cell', shape, elements: targets.map((target, i) => readValue(file, target, `${where}{${i + 1}}`)) };
}

/** Whether a struct member is a struct array's field: a reference dataset without MATLAB_class. */
function isElementReferences(file: Hdf5File, path: string): boolean {
  if (file.kind(path) !== 'dataset' || file.attribute(path, 'MATLAB_class') !== undefined) return false;
  return file.entry(path).dtype === 'reference';
}

/** A struct: a scalar struct's fields are its members; a struct array's fields hold one reference per element. */
function readStruct(file: Hdf5File, path: string, where: string): MatStruct {
  const fields = fieldNames(file, path, file.children(path));
  const arrayFields = fields.filter((f) => isElementReferences(file, join(path, f)));
  if (arrayFields.length === 0) {
    const record: Record<string, MatValue> = {};
    for (const f of fields) record[f] = readValue(file, join(path, f), `${where}.${f}`);
    return { kind: 'struct', shape: [1, 1], fields, elements: [record] };
  }
  if (arrayFields.length !== fields.length) {
    const plain = fields.filter((f) => !arrayFields.includes(f));
    throw fail(file, where, `struct array fields ${arrayFields.join(', ')} are references but ${plain.join(', ')} are not`);
  }
  const shape = matShape(file.entry(join(path, fields[0])).shape ?? []);
  const elements: Record<string, MatValue>[] = Array.from({ length: shapeSize(shape) }, () => ({}));
  for (const f of fields) {
    const targets = file.dereference(join(path, f));
    if (targets.length !== elements.length) {
      throw fail(file, where, `field ${f} holds ${targets.length} references; the struct array has ${elements.length} elements`);
    }
    targets.forEach((target, i) => (elements[i][f] = readValue(file, target, `${where}(${i + 1}).${f}`)));
  }
  return { kind: 'struct', shape, fields, elements };
}

/** Field names in MATLAB's order (the MATLAB_fields attribute, a vlen of chars per name), then any others. */
function fieldNames(file: Hdf5File, path: string, members: string[]): string[] {
  const listed = file.rawAttribute(path, 'MATLAB_fields');
  const names = Array.isArray(listed) ? listed.map(nameOf) : [];
  const ordered = members.length === 0 ? names : names.filter((n) => members.includes(n));
  return [...ordered, ...members.filter((m) => !ordered.includes(m))];
}

function nameOf(chars: unknown): string {
  if (typeof chars === 'string') return chars;
  const list: unknown[] = Array.isArray(chars) ? chars : ArrayBuffer.isView(chars) ? Array.from(chars as unknown as ArrayLike<number>) : [];
  return list.map((c) => (typeof c === 'string' ? c : String.fromCharCode(Number(c)))).join('');
}
