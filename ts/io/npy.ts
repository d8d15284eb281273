// The .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html): a magic string, a
// version, a Python-literal header {'descr', 'fortran_order', 'shape'} padded to 64 bytes, then the raw data.
//
// Reads versions 1.0, 2.0 and 3.0, little- and big-endian, C and Fortran order. Writes what numpy.save writes for
// the same array, byte for byte: version 1.0 (2.0 when the header needs more than 64 KiB), C order, little-endian.

import { is, checkValue } from '../core/validate.js';
import { asDType, type DType, type Tensor, formatShape, shapeSize } from '../core/tensor.js';
import {
  checkBytes,
  concatBytes,
  dataView,
  decodeLatin1,
  HOST_LITTLE_ENDIAN,
  startsWith,
  swapBytes,
} from './bytes.js';
import { describeValue, FileFormatError } from './errors.js';
import { parsePyLiteral, type PyValue } from './pyliteral.js';

/** The numpy dtypes this package reads and writes, and the JavaScript array each one is held in. */
export interface NpyDataTypes {
  /** numpy '<f4' */
  float32: Float32Array;
  /** numpy '<f8' */
  float64: Float64Array;
  /** numpy '<i4' */
  int32: Int32Array;
  /** numpy '<i8' (numpy's default integer): exact 64-bit values; toFloatTensor converts them when safe. */
  int64: BigInt64Array;
  /** numpy '|u1' */
  uint8: Uint8Array;
  /** numpy '|b1': one byte per value, 0 or 1. */
  bool: Uint8Array;
  /** numpy '<U{n}' (UTF-32): one string per element, trailing NULs removed as numpy does. */
  unicode: string[];
}

/** The numpy dtypes this package reads and writes. */
export type NpyDType = keyof NpyDataTypes;

/**
 * An array as stored in a .npy file: `dtype` says which typed array `data` is. `data` is row-major (C order) with
 * `shape`; shape `[]` is a 0-d array (one element), and a 0 in the shape makes an empty array.
 */
export type NpyArray<D extends NpyDType = NpyDType> = {
  [K in D]: { dtype: K; data: NpyDataTypes[K]; shape: number[] };
}[D];

/**
 * What the writers accept: a float tensor, an NpyArray, or a string (stored as a 0-d unicode array, as numpy stores
 * `np.savez(f, config=json.dumps(cfg))`). A `{data, shape}` without `dtype` takes its dtype from the data's class
 * (a Uint8Array becomes uint8, a string[] unicode).
 */
export type NpyValue = Tensor | NpyArray | { data: NpyArray['data']; shape: number[] } | string;

type NumericDType = Exclude<NpyDType, 'unicode'>;
type NumericData = NpyDataTypes[NumericDType];

interface NumericSpec {
  /** numpy's dtype.str, as written in headers */
  descr: string;
  size: number;
  type: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => NumericData;
}

const NUMERIC: Record<NumericDType, NumericSpec> = {
  float32: { descr: '<f4', size: 4, type: Float32Array },
  float64: { descr: '<f8', size: 8, type: Float64Array },
  int32: { descr: '<i4', size: 4, type: Int32Array },
  int64: { descr: '<i8', size: 8, type: BigInt64Array },
  uint8: { descr: '|u1', size: 1, type: Uint8Array },
  bool: { descr: '|b1', size: 1, type: Uint8Array },
};

const NUMERIC_DTYPES = Object.keys(NUMERIC) as NumericDType[];
const SUPPORTED_DESCRS =
  `${NUMERIC_DTYPES.map((d) => `'${NUMERIC[d].descr}'`).join(', ')} and '<U{n}' (either byte order)`;
/** The first bytes of every .npy file, "\x93NUMPY". */
export const NPY_MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);
const ZIP_MAGIC = Uint8Array.of(0x50, 0x4b, 0x03, 0x04);
const ARRAY_ALIGN = 64;
/** numpy leaves room in the header for the growth axis to reach this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const HEADER_KEYS = ['descr', 'fortran_order', 'shape'];

/** How the elements of a file are stored. */
interface ElementType {
  dtype: NpyDType;
  itemSize: number;
  littleEndian: boolean;
}

interface NpyHeader {
  element: ElementType;
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

// ---------------------------------------------------------------------------------------------------- decoding

/**
 * Decodes one .npy file held in `bytes`. `source` names the file or array in error messages. Corrupt or
 * unsupported input throws a FileFormatError. Little-endian, C-order numeric data whose offset is aligned is
 * returned as a view that shares memory with `bytes`; everything else is copied.
 */
export function decodeNpy(bytes: Uint8Array, source = '.npy data'): NpyArray {
  checkBytes(bytes, 'bytes');
  const header = readHeader(bytes, source);
  const count = shapeSize(header.shape);
  const needed = count * header.element.itemSize;
  const available = bytes.length - header.dataOffset;
  if (available !== needed) {
    const problem = available < needed ? 'truncated data' : 'unexpected bytes after the data';
    throw formatError(
      source,
      `${problem}: shape ${formatShape(header.shape)} of '${header.descr}' needs ${needed} data bytes ` +
        `but ${available} follow the header`,
    );
  }
  const raw = bytes.subarray(header.dataOffset);
  const { dtype, littleEndian } = header.element;
  const data =
    dtype === 'unicode'
      ? decodeStrings(raw, count, header.element, source)
      : decodeNumbers(raw, count, NUMERIC[dtype], littleEndian);
  const ordered = header.fortranOrder && header.shape.length > 1 ? fortranToC(data, header.shape) : data;
  return { dtype, data: ordered, shape: header.shape } as NpyArray;
}

function readHeader(bytes: Uint8Array, source: string): NpyHeader {
  if (!startsWith(bytes, NPY_MAGIC)) {
    const zip = startsWith(bytes, ZIP_MAGIC);
    const hint = zip ? 'it is a zip archive (.npz?); load it with loadNpz' : 'bad magic string';
    throw formatError(source, `not a .npy file: ${hint}`);
  }
  if (bytes.length < 12) throw formatError(source, `truncated: ${bytes.length} bytes is too short for a .npy header`);
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw formatError(source, `unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const prefixLength = major === 1 ? 10 : 12;
  const view = dataView(bytes);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = prefixLength + headerLength;
  if (dataOffset > bytes.length) {
    throw formatError(source, `truncated header: it declares ${headerLength} bytes but the input has ${bytes.length}`);
  }
  const text = decodeHeaderText(bytes.subarray(prefixLength, dataOffset), major, source);
  const dict = parseHeaderDict(text, source);
  const descr = parseDescr(dict.descr, source);
  return {
    element: descr.element,
    descr: descr.text,
    fortranOrder: parseFortranOrder(dict.fortran_order, source),
    shape: parseShape(dict.shape, descr.element.itemSize, source),
    dataOffset,
  };
}

function decodeHeaderText(bytes: Uint8Array, major: number, source: string): string {
  if (major !== 3) return decodeLatin1(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError(source, 'the version 3.0 header is not valid UTF-8');
  }
}

function parseHeaderDict(text: string, source: string): Record<string, PyValue> {
  const snippet = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
  let value: PyValue;
  try {
    value = parsePyLiteral(text);
  } catch (err) {
    throw formatError(source, `header is not a Python literal (${(err as Error).message}): ${snippet}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatError(source, `header is not a dict: ${snippet}`);
  }
  const keys = Object.keys(value).sort();
  if (keys.join() !== HEADER_KEYS.join()) {
    throw formatError(source, `header must have exactly the keys ${HEADER_KEYS.join(', ')}; got ${keys.join(', ')}`);
  }
  return value;
}

function parseDescr(descr: PyValue, source: string): { element: ElementType; text: string } {
  if (typeof descr !== 'string') {
    const problem = `structured dtype ${JSON.stringify(descr)} is not supported; supported: ${SUPPORTED_DESCRS}`;
    throw formatError(source, problem);
  }
  if (/^[<>|=]?O\d*$/.test(descr)) {
    throw formatError(
      source,
      `dtype '${descr}' is an object array (pickled Python objects), which cannot be read; ` +
        'save numeric or string arrays instead',
    );
  }
  const match = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const dtype = match && descrDType(match[2], Number(match[3]));
  if (!match || !dtype) throw formatError(source, `unsupported dtype '${descr}'; supported: ${SUPPORTED_DESCRS}`);
  const order = match[1];
  const littleEndian = order === '<' || (order !== '>' && HOST_LITTLE_ENDIAN);
  const itemSize = dtype === 'unicode' ? 4 * Number(match[3]) : NUMERIC[dtype].size;
  return { element: { dtype, itemSize, littleEndian }, text: descr };
}

/** The dtype for a descr's kind letter and size, or undefined when unsupported. */
function descrDType(kind: string, size: number): NpyDType | undefined {
  if (kind === 'U') return 'unicode';
  return NUMERIC_DTYPES.find((d) => NUMERIC[d].descr.slice(1) === `${kind}${size}`);
}

function parseFortranOrder(value: PyValue, source: string): boolean {
  if (typeof value !== 'boolean') {
    throw formatError(source, `header 'fortran_order' must be True or False; got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseShape(value: PyValue, itemSize: number, source: string): number[] {
  const ok = Array.isArray(value) && value.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0);
  if (!ok) {
    throw formatError(source, `header 'shape' must be a tuple of non-negative integers; got ${JSON.stringify(value)}`);
  }
  const shape = value as number[];
  if (!Number.isSafeInteger(shapeSize(shape) * itemSize)) {
    throw formatError(source, `shape ${formatShape(shape)} is too large to load`);
  }
  return shape;
}

/** Numbers stored in `raw`: a view when no byte swap is needed and the offset is aligned, else a copy. */
function decodeNumbers(raw: Uint8Array, count: number, spec: NumericSpec, littleEndian: boolean): NumericData {
  const swap = spec.size > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  if (!swap && raw.byteOffset % spec.size === 0) return new spec.type(raw.buffer, raw.byteOffset, count);
  const copy = new Uint8Array(raw.subarray(0, count * spec.size));
  if (swap) swapBytes(copy, spec.size);
  return new spec.type(copy.buffer, 0, count);
}

/** UTF-32 strings of `element.itemSize / 4` code points each, trailing NULs removed (numpy's convention). */
function decodeStrings(raw: Uint8Array, count: number, element: ElementType, source: string): string[] {
  const view = dataView(raw);
  const width = element.itemSize / 4;
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const codes: number[] = [];
    for (let k = 0; k < width; k++) codes.push(view.getUint32((i * width + k) * 4, element.littleEndian));
    while (codes.length > 0 && codes[codes.length - 1] === 0) codes.pop();
    out[i] = fromCodePoints(codes, source);
  }
  return out;
}

function fromCodePoints(codes: number[], source: string): string {
  const bad = codes.find((c) => c > 0x10ffff);
  if (bad !== undefined) throw formatError(source, `invalid character code ${bad} in a unicode string`);
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCodePoint(...codes.slice(i, i + 8192));
  return out;
}

interface Indexable<T> {
  readonly length: number;
  [index: number]: T;
}

/** Reorders Fortran-order (first axis fastest) data into C order (last axis fastest), into a new array. */
function fortranToC<A extends Indexable<unknown>>(src: A, shape: readonly number[]): A {
  const out = (Array.isArray(src) ? new Array(src.length) : (src as unknown as NumericData).slice()) as unknown as A;
  const strides: number[] = [];
  for (let axis = 0, stride = 1; axis < shape.length; stride *= shape[axis], axis++) strides.push(stride);
  const index = shape.map(() => 0);
  let from = 0;
  for (let to = 0; to < out.length; to++) {
    out[to] = src[from];
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] += 1;
      from += strides[axis];
      if (index[axis] < shape[axis]) break;
      from -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- encoding

/** Encodes `value` as a .npy file, byte for byte what numpy.save writes for the same array. */
export function encodeNpy(value: NpyValue, name = 'value'): Uint8Array {
  return concatBytes(npyChunks(value, name));
}

/**
 * The chunks of a .npy file: the header, then the data. On little-endian hosts the numeric data chunk is a view of
 * the array's own memory (no copy). `name` names the value in error messages.
 */
export function npyChunks(value: NpyValue, name: string): Uint8Array[] {
  const array = toNpyArray(value, name);
  const { descr, bytes } = array.dtype === 'unicode' ? encodeStrings(array.data) : encodeNumbers(array);
  return [headerBytes(descr, array.shape), bytes];
}

function encodeNumbers(array: NpyArray<NumericDType>): { descr: string; bytes: Uint8Array } {
  const spec = NUMERIC[array.dtype];
  const { data } = array;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || spec.size === 1) return { descr: spec.descr, bytes: view };
  const copy = new Uint8Array(view);
  swapBytes(copy, spec.size);
  return { descr: spec.descr, bytes: copy };
}

/** UTF-32LE, as wide as the longest string (at least one code point, like numpy). */
function encodeStrings(strings: readonly string[]): { descr: string; bytes: Uint8Array } {
  const codes = strings.map((s) => Array.from(s, (ch) => ch.codePointAt(0) as number));
  const width = codes.reduce((w, c) => Math.max(w, c.length), 1);
  const bytes = new Uint8Array(strings.length * width * 4);
  const view = dataView(bytes);
  codes.forEach((points, i) => points.forEach((code, k) => view.setUint32((i * width + k) * 4, code, true)));
  return { descr: `<U${width}`, bytes };
}

/** The magic string, version, length and padded header text, exactly as numpy formats them. */
function headerBytes(descr: string, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const growthRoom = shape.length > 0 ? ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length)) : '';
  const text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }${growthRoom}`;
  const version1Length = paddedHeaderLength(text, 10);
  const major = version1Length <= 0xffff ? 1 : 2;
  const prefixLength = major === 1 ? 10 : 12;
  const headerLength = major === 1 ? version1Length : paddedHeaderLength(text, prefixLength);
  const out = new Uint8Array(prefixLength + headerLength).fill(0x20);
  out.set(NPY_MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = dataView(out);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < text.length; i++) out[prefixLength + i] = text.charCodeAt(i);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Header text plus spaces and a newline so that the data starts on a 64-byte boundary (numpy's rule). */
function paddedHeaderLength(text: string, prefixLength: number): number {
  const length = text.length + 1;
  return length + ARRAY_ALIGN - ((prefixLength + length) % ARRAY_ALIGN);
}

// ---------------------------------------------------------------------------------------------------- conversions

/**
 * Checks a value for the writers and returns it as an NpyArray (sharing its data). Throws a TypeError or
 * RangeError naming `name` when the dtype, data class or shape is wrong, or a bool array holds a value other than
 * 0 and 1.
 */
export function toNpyArray(value: NpyValue, name: string): NpyArray {
  if (typeof value === 'string') return { dtype: 'unicode', data: [value], shape: [] };
  if (value === null || typeof value !== 'object') {
    throw new TypeError(
      `${name} must be a tensor {data, shape}, an NpyArray {dtype, data, shape} or a string; ` +
        `got ${describeValue(value)}`,
    );
  }
  const { data, shape } = value as { data: unknown; shape: unknown };
  const dtype = 'dtype' in value && value.dtype !== undefined ? value.dtype : inferDType(data, name);
  checkDataType(dtype, data, name);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${name}.shape must be an array of non-negative integers; got ${JSON.stringify(shape)}`);
  }
  const length = (data as { length: number }).length;
  if (shapeSize(shape) !== length) {
    const needed = shapeSize(shape);
    throw new RangeError(`${name}: shape ${formatShape(shape)} needs ${needed} values but data has ${length}`);
  }
  const array = { dtype, data, shape } as NpyArray;
  if (array.dtype === 'bool') checkBoolValues(array.data, name);
  return array;
}

function inferDType(data: unknown, name: string): NpyDType {
  if (Array.isArray(data)) return 'unicode';
  const dtype = NUMERIC_DTYPES.find((d) => data instanceof NUMERIC[d].type);
  if (dtype === undefined) {
    const classes = [...new Set(NUMERIC_DTYPES.map((d) => NUMERIC[d].type.name))].join(', ');
    throw new TypeError(`${name}.data must be one of ${classes} or string[]; got ${describeValue(data)}`);
  }
  return dtype;
}

function checkDataType(dtype: unknown, data: unknown, name: string): asserts dtype is NpyDType {
  if (dtype === 'unicode') {
    if (!Array.isArray(data) || !data.every((s) => typeof s === 'string')) {
      throw new TypeError(`${name}.data must be an array of strings for dtype 'unicode'; got ${describeValue(data)}`);
    }
    return;
  }
  if (!NUMERIC_DTYPES.includes(dtype as NumericDType)) {
    const known = [...NUMERIC_DTYPES, 'unicode'].join(', ');
    throw new TypeError(`${name}.dtype must be one of ${known}; got ${JSON.stringify(dtype)}`);
  }
  const type = NUMERIC[dtype as NumericDType].type;
  if (!(data instanceof type)) {
    throw new TypeError(`${name}.data must be of type ${type.name} for dtype '${dtype}'; got ${describeValue(data)}`);
  }
}

function checkBoolValues(data: Uint8Array, name: string): void {
  const i = data.findIndex((v) => v > 1);
  if (i >= 0) throw new RangeError(`${name}: a bool array holds only 0 and 1; got ${data[i]} at flat index ${i}`);
}

/**
 * Converts a loaded array to a float tensor. Float arrays keep their type unless `dtype` asks for the other one
 * (then they are copied); integer and bool arrays become float64 by default. Throws a TypeError naming `name` for
 * string arrays, and a RangeError for int64 values beyond ±2^53, which no double holds exactly.
 */
export function toFloatTensor(array: NpyArray, name: string, dtype?: DType): Tensor {
  checkValue('toFloatTensor', 'array', array, is.custom('an array read from a .npy file { dtype, data, shape }', (v) => v !== null && typeof v === 'object' && Array.isArray((v as NpyArray).shape), (v) => v !== null && typeof v === 'object'), 'argument');
  const shape = [...array.shape];
  const target = dtype ?? (array.dtype === 'float32' ? 'float32' : 'float64');
  switch (array.dtype) {
    case 'unicode':
      throw new TypeError(`${name} holds strings (numpy dtype '<U'); expected a numeric array`);
    case 'float32':
    case 'float64':
      return { data: asDType(array.data, target), shape };
    case 'int64':
      checkSafeIntegers(array.data, name);
      return { data: toFloatArray(array.data, target, Number), shape };
    case 'bool':
      return { data: toFloatArray(array.data, target, (v) => (v ? 1 : 0)), shape };
    default:
      return { data: toFloatArray(array.data, target, (v) => v), shape };
  }
}

function toFloatArray<T>(data: ArrayLike<T>, dtype: DType, convert: (v: T) => number): Float32Array | Float64Array {
  return dtype === 'float64' ? Float64Array.from(data, convert) : Float32Array.from(data, convert);
}

function checkSafeIntegers(data: BigInt64Array, name: string): void {
  const limit = 2n ** 53n;
  const i = data.findIndex((v) => v > limit || v < -limit);
  if (i >= 0) {
    throw new RangeError(`${name}: int64 value ${data[i]} at flat index ${i} has no exact float value (beyond ±2^53)`);
  }
}

/**
 * The string held by a 0-d (or one-element) unicode array, such as the `config` entry of a model file. Throws a
 * TypeError or RangeError naming `name` otherwise.
 */
export function toStringScalar(array: NpyArray, name: string): string {
  checkValue('toStringScalar', 'array', array, is.custom('an array read from a .npy file { dtype, data, shape }', (v) => v !== null && typeof v === 'object' && Array.isArray((v as NpyArray).shape), (v) => v !== null && typeof v === 'object'), 'argument');
  if (array.dtype !== 'unicode') {
    throw new TypeError(`${name} must be a string (numpy dtype '<U'); got dtype ${array.dtype}`);
  }
  if (array.data.length !== 1) {
    throw new RangeError(`${name} must hold exactly one string; got shape ${formatShape(array.shape)}`);
  }
  return array.data[0];
}

function formatError(source: string, problem: string): FileFormatError {
  return new FileFormatError(`${source}: ${problem}`);
}
