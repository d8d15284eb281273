// A thin, read-only wrapper over h5wasm (the HDF5 C library compiled to WebAssembly). h5wasm is ESM-only and loads
// a 3 MB wasm module, so it is imported lazily, once, on the first HDF5 read: users who never read HDF5 pay nothing,
// and the CommonJS build keeps working (a dynamic import() is allowed from CommonJS).
import { stat } from 'node:fs/promises';
import type * as H5 from 'h5wasm/node';
import type { Tensor } from '../core/tensor.js';
import { FileFormatError } from '../io/errors.js';

type H5Module = typeof H5;

/** A numeric HDF5 dataset as doubles, row-major (C order, as HDF5 stores it), with its shape ([] for a scalar). */
export interface Hdf5Numbers {
  data: Float64Array;
  shape: number[];
}

/** A string HDF5 dataset, flattened in row-major order, with its shape ([] for a scalar). */
export interface Hdf5Strings {
  strings: string[];
  shape: number[];
}

/** An attribute value: numbers and strings as HDF5 holds them (scalars as scalars, arrays as arrays). */
export type Hdf5AttributeValue = number | string | number[] | string[];

/** What an HDF5 file holds at one path (metadata only; no data is read). */
export interface Hdf5Entry {
  /** The absolute path, e.g. '/units/spike_times'. */
  path: string;
  kind: 'group' | 'dataset';
  /** A dataset's shape ([] for a scalar). */
  shape?: number[];
  /** A dataset's type: 'float64', 'int32', 'uint8', 'string', 'enum' (h5py's bool), 'compound', 'reference', .... */
  dtype?: string;
  /** The compression and other filters a dataset uses, by name. */
  filters?: string[];
  attributes: Record<string, Hdf5AttributeValue>;
}

/** HDF5 filters h5wasm decodes (deflate/gzip, shuffle, fletcher32, nbit, scaleoffset). */
const BUILTIN_FILTERS = new Set([1, 2, 3, 5, 6]);
const TYPE_CLASSES = ['int', 'float', 'time', 'string', 'bitfield', 'opaque', 'compound', 'reference', 'enum', 'vlen', 'array'];

let loading: Promise<H5Module> | undefined;

/** Loads h5wasm once; its HDF5 errors become thrown exceptions rather than text on stderr. */
function loadH5wasm(): Promise<H5Module> {
  loading ??= (async () => {
    const h5 = await import('h5wasm/node');
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return h5;
  })().catch((err: unknown) => {
    loading = undefined;
    throw new Error(`cannot load h5wasm, which reads HDF5 and NWB files (npm install h5wasm): ${messageOf(err)}`, { cause: err });
  });
  return loading;
}

/** An HDF5 file opened read-only. Close it when done (or use withHdf5, which does). */
export class Hdf5File {
  private constructor(
    /** The path it was opened from. */
    readonly source: string,
    private readonly file: H5.File,
  ) {}

  /** Opens `path` read-only; a missing, non-HDF5 or truncated file throws an error that names it. */
  static async open(path: string): Promise<Hdf5File> {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    try {
      if (!(await stat(path)).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new Error(`cannot read ${JSON.stringify(path)}: ${messageOf(err)}`, { cause: err });
    }
    const h5 = await loadH5wasm();
    try {
      return new Hdf5File(path, new h5.File(path, 'r'));
    } catch (err) {
      throw openError(path, err);
    }
  }

  /** Closes the file; further reads throw. */
  close(): void {
    this.file.close();
  }

  /** Whether `path` names a group or a dataset. */
  has(path: string): boolean {
    return this.kind(path) !== undefined;
  }

  /** 'group', 'dataset', or undefined when nothing (or a link or named type) is at `path`. */
  kind(path: string): 'group' | 'dataset' | undefined {
    const entity = this.entity(path);
    if (typeOf(entity) === 'Group') return 'group';
    if (typeOf(entity) === 'Dataset') return 'dataset';
    return undefined;
  }

  /** The names of a group's members, in the file's order. */
  children(group = '/'): string[] {
    return this.group(group).keys();
  }

  /** Metadata for `path`: kind, shape, type, filters and attributes. */
  entry(path: string): Hdf5Entry {
    const abs = absolute(path);
    const entity = this.entity(abs);
    if (typeOf(entity) === 'Group') return { path: abs, kind: 'group', attributes: this.attributes(abs) };
    const dataset = this.dataset(abs);
    const metadata = this.guard(abs, () => dataset.metadata);
    return {
      path: abs,
      kind: 'dataset',
      shape: metadata.shape ?? [],
      dtype: describeType(metadata),
      filters: this.guard(abs, () => dataset.filters).map((f) => f.name || `filter ${f.id}`),
      attributes: this.attributes(abs),
    };
  }

  /** Every group and dataset under `group` (itself excluded), depth first, in the file's order. */
  list(group = '/'): Hdf5Entry[] {
    const out: Hdf5Entry[] = [];
    for (const name of this.children(group)) {
      const path = join(group, name);
      const kind = this.kind(path);
      if (kind === undefined) continue;
      out.push(this.entry(path));
      if (kind === 'group') out.push(...this.list(path));
    }
    return out;
  }

  /** The attributes of the object at `path`, by name (numbers and strings; other types are left out). */
  attributes(path: string): Record<string, Hdf5AttributeValue> {
    const abs = absolute(path);
    const object = this.object(abs);
    const out: Record<string, Hdf5AttributeValue> = {};
    for (const [name, attribute] of Object.entries(this.guard(abs, () => object.attrs))) {
      const value = normaliseAttribute(this.guard(`${abs} attribute ${name}`, () => attribute.value));
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /** One attribute of the object at `path`, or undefined when it has none of that name. */
  attribute(path: string, name: string): Hdf5AttributeValue | undefined {
    return this.attributes(path)[name];
  }

  /**
   * Reads a numeric dataset (integers, floats, enums such as h5py's bool) as doubles with its shape; 64-bit
   * integers beyond 2^53 lose their lowest bits, as in any conversion to double.
   */
  readNumbers(path: string): Hdf5Numbers {
    const abs = absolute(path);
    const dataset = this.dataset(abs);
    const metadata = this.guard(abs, () => dataset.metadata);
    if (!isNumericType(metadata)) {
      throw new FileFormatError(`${this.source}: dataset ${abs} holds ${describeType(metadata)} values; expected numbers`);
    }
    const shape = metadata.shape ?? [];
    const value = this.readValue(abs, dataset);
    return { data: toFloat64(value), shape };
  }

  /** Reads a string dataset (fixed or variable length), flattened row-major, with its shape. */
  readStrings(path: string): Hdf5Strings {
    const abs = absolute(path);
    const dataset = this.dataset(abs);
    const metadata = this.guard(abs, () => dataset.metadata);
    if (metadata.type !== 3) {
      throw new FileFormatError(`${this.source}: dataset ${abs} holds ${describeType(metadata)} values; expected strings`);
    }
    const value = this.readValue(abs, dataset);
    const strings = (Array.isArray(value) ? value : value === null ? [] : [value]).map(String);
    return { strings, shape: metadata.shape ?? [] };
  }

  /** Reads a dataset as numbers or strings, whichever it holds; other types (compound, references) throw. */
  read(path: string): Hdf5Numbers | Hdf5Strings {
    const entry = this.entry(path);
    return entry.dtype === 'string' ? this.readStrings(path) : this.readNumbers(path);
  }

  /**
   * Reads a dataset as h5wasm gives it, with its shape and type: typed arrays (BigInt64Array / BigUint64Array for
   * 64-bit integers, exact), nested arrays for compounds, Reference objects for references. Row-major.
   */
  readRaw(path: string): { value: H5.OutputData | null; shape: number[]; dtype: string } {
    const abs = absolute(path);
    const dataset = this.dataset(abs);
    const metadata = this.guard(abs, () => dataset.metadata);
    return { value: this.readValue(abs, dataset), shape: metadata.shape ?? [], dtype: describeType(metadata) };
  }

  /** The absolute paths of the objects a dataset of object references points at, row-major. */
  dereference(path: string): string[] {
    const abs = absolute(path);
    const dataset = this.dataset(abs);
    const { value, dtype } = this.readRaw(abs);
    if (dtype !== 'reference') throw new FileFormatError(`${this.source}: dataset ${abs} holds ${dtype} values; expected object references`);
    const refs = (Array.isArray(value) ? value : [value]) as H5.Reference[];
    return refs.map((ref, i) => {
      const target: unknown = this.guard(`${abs} reference ${i}`, () => dataset.dereference(ref));
      const kind = typeOf(target as H5.Entity | null);
      if (kind !== 'Group' && kind !== 'Dataset') {
        throw new FileFormatError(`${this.source}: dataset ${abs}: reference ${i} points at no group or dataset`);
      }
      return (target as H5.Group | H5.Dataset).path;
    });
  }

  /** One attribute as h5wasm reads it, also of types `attributes` leaves out (vlen, compound); undefined if absent. */
  rawAttribute(path: string, name: string): H5.OutputData | null | undefined {
    const abs = absolute(path);
    const attribute = this.guard(abs, () => this.object(abs).attrs)[name];
    return attribute === undefined ? undefined : this.guard(`${abs} attribute ${name}`, () => attribute.value);
  }

  private readValue(path: string, dataset: H5.Dataset): H5.OutputData | null {
    const missing = this.guard(path, () => dataset.filters).filter((f) => !BUILTIN_FILTERS.has(f.id));
    if (missing.length > 0) {
      const names = missing.map((f) => `'${f.name || 'unnamed'}' (filter id ${f.id})`).join(', ');
      throw new FileFormatError(
        `${this.source}: dataset ${path} is compressed with ${names}, which h5wasm cannot decode; ` +
          'rewrite the file with gzip compression (e.g. h5repack -f GZIP=4)',
      );
    }
    return this.guard(path, () => dataset.value);
  }

  private entity(path: string): H5.Entity | null {
    const abs = absolute(path);
    if (abs === '/') return this.file;
    try {
      return this.file.get(abs);
    } catch {
      return null; // a missing intermediate group
    }
  }

  private object(path: string): H5.Group | H5.Dataset {
    const entity = this.entity(path);
    if (typeOf(entity) === 'Group' || typeOf(entity) === 'Dataset') return entity as H5.Group | H5.Dataset;
    throw new FileFormatError(`${this.source}: no group or dataset ${path}`);
  }

  private group(path: string): H5.Group {
    const entity = this.entity(path);
    if (typeOf(entity) !== 'Group') throw new FileFormatError(`${this.source}: no group ${absolute(path)}`);
    return entity as H5.Group;
  }

  private dataset(path: string): H5.Dataset {
    const entity = this.entity(path);
    if (typeOf(entity) !== 'Dataset') throw new FileFormatError(`${this.source}: no dataset ${absolute(path)}`);
    return entity as H5.Dataset;
  }

  /** Runs one h5wasm call; an HDF5 error becomes a FileFormatError naming the file and `what`. */
  private guard<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (err) {
      if (err instanceof FileFormatError) throw err;
      throw new FileFormatError(`${this.source}: cannot read ${what}: ${hdf5Reason(err)}`, { cause: err });
    }
  }
}

/** Opens `path` read-only, runs `use` on it and closes it, also when `use` throws. */
export async function withHdf5<T>(path: string, use: (file: Hdf5File) => T | Promise<T>): Promise<T> {
  const file = await Hdf5File.open(path);
  try {
    return await use(file);
  } finally {
    file.close();
  }
}

/**
 * Reads every dataset of a plain HDF5 file (arrays as other tools store them, e.g. counts [trials, bins, neurons]
 * with label datasets), by path without the leading '/': numeric datasets as float64 tensors (row-major, values
 * as stored, NaN included), string datasets as flat lists. Datasets of other types (compound, references) are
 * left out.
 */
export async function readHdf5Arrays(path: string): Promise<Map<string, Tensor<Float64Array> | string[]>> {
  return withHdf5(path, (file) => {
    const out = new Map<string, Tensor<Float64Array> | string[]>();
    for (const entry of file.list()) {
      if (entry.kind !== 'dataset') continue;
      const key = entry.path.slice(1);
      if (entry.dtype === 'string') out.set(key, file.readStrings(entry.path).strings);
      else if (isNumericName(entry.dtype)) out.set(key, file.readNumbers(entry.path));
    }
    return out;
  });
}

/** Joins a group path and a member name. */
export function join(group: string, name: string): string {
  const abs = absolute(group);
  return abs === '/' ? `/${name}` : `${abs}/${name}`;
}

function absolute(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed || '/' : `/${trimmed}`;
}

/** The kind of an h5wasm entity ('Group', 'Dataset', 'BrokenSoftLink', ...), or undefined for nothing. */
function typeOf(entity: H5.Entity | null): string | undefined {
  return entity === null || !('type' in entity) ? undefined : String(entity.type);
}

function isNumericType(metadata: H5.Metadata): boolean {
  return metadata.type === 0 || metadata.type === 1 || (metadata.type === 8 && !metadata.vlen);
}

function isNumericName(dtype: string | undefined): boolean {
  return dtype !== undefined && /^(float|int|uint|enum)/.test(dtype);
}

function describeType(metadata: H5.Metadata): string {
  const bits = metadata.size * 8;
  if (metadata.type === 0) return `${metadata.signed ? 'int' : 'uint'}${bits}`;
  if (metadata.type === 1) return `float${bits}`;
  if (metadata.type === 8) return 'enum';
  return TYPE_CLASSES[metadata.type] ?? `HDF5 type class ${metadata.type}`;
}

function toFloat64(value: H5.OutputData | null): Float64Array {
  if (value === null) return new Float64Array(0);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return Float64Array.of(Number(value));
  }
  if (value instanceof Float64Array) return value;
  if (ArrayBuffer.isView(value)) return Float64Array.from(value as ArrayLike<number | bigint>, Number);
  throw new TypeError(`unexpected HDF5 value of type ${typeof value}`);
}

function normaliseAttribute(value: H5.OutputData | null): Hdf5AttributeValue | undefined {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return Number(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<number | bigint>, Number);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  return undefined; // references, compounds: not needed by the readers
}

/** The error for a file HDF5 cannot open: not HDF5, truncated, or another reason, in words. */
function openError(path: string, err: unknown): Error {
  const reason = hdf5Reason(err);
  if (/signature not found/.test(reason)) {
    return new FileFormatError(`${path}: not an HDF5 file (no HDF5 signature)`, { cause: err });
  }
  const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(reason);
  if (truncated) {
    return new FileFormatError(
      `${path}: truncated HDF5 file: ${truncated[1]} bytes, but its superblock says ${truncated[2]}`,
      { cause: err },
    );
  }
  return new FileFormatError(`${path}: cannot open as HDF5: ${reason}`, { cause: err });
}

/** The telling line of an HDF5 error stack: the innermost message, or a known cause found anywhere in it. */
function hdf5Reason(err: unknown): string {
  const text = messageOf(err);
  const messages = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  if (messages.length === 0) return text;
  const known = messages.find((m) => /signature not found|truncated file|required filter|No such file/.test(m));
  return known ?? messages[messages.length - 1];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
