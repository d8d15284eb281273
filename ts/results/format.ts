// One results format for every file the package writes (models, checkpoints, fits, tables, fixed points, topologies,
// analyses): a .npz that numpy reads, with
//   - every tensor, typed array, number, boolean and string of the (nested) result as one array, named by its path
//     with '.' between levels (np.load(f)['eigenvalues.re']);
//   - one metadata entry, `meta`: a JSON string {"kind", "formatVersion", "package", "version", ...} that says what
//     the file holds (json.loads(str(np.load(f)['meta']))).
// Model files also keep `config` (the model's own JSON config, part of the model rather than metadata), so that a
// file written by numpy with the reference arrays and a config, or with no config at all, still loads as a model.
import { packageVersion } from '../native/load.js';
import { checkValue, is } from '../core/validate.js';
import { loadNpz, saveNpz, toStringScalar, type NpyArray, type NpyValue, type NpzWriteOptions } from '../io/index.js';

/** The name of the metadata entry of every result file. */
export const META_KEY = 'meta';
/** The version of the results format this package writes, stored in `meta.formatVersion`; newer files are refused. */
export const RESULT_FORMAT_VERSION = 1;

/** What a result file holds. */
export type ResultKind = 'model' | 'checkpoint' | 'fit' | 'table' | 'fixed-points' | 'topology' | 'analysis' | 'populations' | 'partial-observation' | 'sweep';

const RESULT_KINDS: readonly ResultKind[] = ['model', 'checkpoint', 'fit', 'table', 'fixed-points', 'topology', 'analysis', 'populations', 'partial-observation', 'sweep'];

/** The metadata of a result file: its kind and format version, the package that wrote it, and entry-specific facts. */
export interface ResultMeta {
  kind: ResultKind;
  formatVersion: number;
  package: string;
  version: string;
  [key: string]: unknown;
}

const TYPED = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

function isTyped(value: unknown): value is Float32Array | Float64Array | Int32Array | Uint8Array {
  return TYPED.some((T) => value instanceof T);
}

function flatten(value: unknown, key: string, out: Record<string, NpyValue>, ancestors: object[] = []): void {
  if (value !== null && typeof value === 'object' && ancestors.includes(value)) {
    throw new TypeError(`${key || 'result'} refers back to an object that contains it (a cycle), which has no .npz form`);
  }
  if (value === undefined || typeof value === 'function') return;
  if (typeof value === 'number') out[key] = { data: Float64Array.of(value), shape: [] };
  else if (typeof value === 'boolean') out[key] = { dtype: 'bool', data: Uint8Array.of(value ? 1 : 0), shape: [] };
  else if (typeof value === 'string') out[key] = value;
  else if (isTyped(value)) out[key] = { data: value, shape: [value.length] };
  else if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string')) out[key] = { dtype: 'unicode', data: value, shape: [value.length] };
    else if (value.length > 0 && value.every((v) => typeof v === 'number')) out[key] = { data: Float64Array.from(value), shape: [value.length] };
    else value.forEach((v, i) => flatten(v, `${key}.${i}`, out, [...ancestors, value]));
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (isTyped(o.data) && Array.isArray(o.shape)) out[key] = o as NpyValue;
    else if (Object.getPrototypeOf(o) === Object.prototype) {
      for (const [k, v] of Object.entries(o)) flatten(v, key ? `${key}.${k}` : k, out, [...ancestors, o]);
    } else throw new TypeError(`${key || 'result'} is a ${o.constructor?.name ?? 'object'}, which has no .npz form; remove it from the result`);
  } else if (value !== null) throw new TypeError(`${key || 'result'} is a ${typeof value}, which has no .npz form`);
}

/** The arrays a result is written as, keyed by their dotted paths (the one flattener of the package). */
export function resultArrays(result: object): Record<string, NpyValue> {
  if (result === null || typeof result !== 'object') throw new TypeError(`result must be an object; got ${result === null ? 'null' : typeof result}`);
  const out: Record<string, NpyValue> = {};
  flatten(result, '', out);
  if (META_KEY in out) throw new RangeError(`result has a field '${META_KEY}', which is the name of the metadata entry; rename it`);
  return out;
}

let commandLine: string | undefined;

/**
 * Records the command line that every result file written from now on was produced by (stored as `meta.command`);
 * the `lowrank` CLI calls it once with its arguments.
 */
export function recordCommandLine(argv: readonly string[]): void {
  checkValue('recordCommandLine', 'argv', argv, is.custom('an array of strings', (v) => Array.isArray(v) && v.every((a) => typeof a === 'string'), (v) => Array.isArray(v)), 'argument');
  commandLine = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The metadata entry for a result of `kind` with entry-specific `facts`. */
export function resultMeta(kind: ResultKind, facts: object = {}): ResultMeta {
  checkValue('resultMeta', 'kind', kind, is.oneOf(RESULT_KINDS), 'argument');
  return { kind, formatVersion: RESULT_FORMAT_VERSION, package: 'lowrank-rnn', version: packageVersion(), ...(commandLine ? { command: commandLine } : {}), ...facts };
}

/** Options of {@link saveResult}: the .npz writer's, plus the `meta` facts and extra arrays. */
export interface SaveResultOptions extends NpzWriteOptions {
  /** Entry-specific facts stored in `meta` (scores, settings, training summaries). */
  meta?: object;
  /** Arrays written as they are, beside the flattened result (a model's parameters and config). */
  arrays?: Record<string, NpyValue>;
}

/** Writes `result` (flattened) and its `meta` entry to `path` as a .npz (atomic). */
export async function saveResult(path: string, kind: ResultKind, result: object, options: SaveResultOptions = {}): Promise<void> {
  checkValue('saveResult', 'kind', kind, is.oneOf(RESULT_KINDS), 'argument');
  const { meta, arrays, ...npz } = options;
  const out: Record<string, NpyValue> = { ...(arrays ?? {}), ...resultArrays(result) };
  out[META_KEY] = JSON.stringify(resultMeta(kind, meta));
  await saveNpz(path, out, npz);
}

/** What {@link loadResult} returns: the arrays of a result file and its metadata. */
export interface LoadedResult {
  /** The `meta` entry, or undefined for a file written by another tool (or by a version before the format). */
  meta?: ResultMeta;
  /** Every array but `meta`, as stored. */
  arrays: Record<string, NpyArray>;
}

/** Reads a result file: its arrays and its `meta` entry. `expect` checks the kind when the file says it. */
export async function loadResult(path: string, expect?: ResultKind | readonly ResultKind[]): Promise<LoadedResult> {
  const arrays = await loadNpz(path);
  const entry = arrays[META_KEY];
  delete arrays[META_KEY];
  if (!entry) return { arrays };
  let meta: ResultMeta;
  try {
    meta = JSON.parse(toStringScalar(entry, `${path}: '${META_KEY}'`)) as ResultMeta;
  } catch (err) {
    throw new Error(`${path}: '${META_KEY}' is not valid JSON (${(err as Error).message})`);
  }
  if (meta === null || typeof meta !== 'object') throw new Error(`${path}: '${META_KEY}' must be a JSON object`);
  if (typeof meta.formatVersion === 'number' && meta.formatVersion > RESULT_FORMAT_VERSION) {
    throw new Error(`${path}: result format version ${meta.formatVersion} is newer than this package reads (${RESULT_FORMAT_VERSION}); update lowrank-rnn`);
  }
  const kinds = expect === undefined ? undefined : typeof expect === 'string' ? [expect] : expect;
  if (kinds && !kinds.includes(meta.kind)) {
    throw new Error(`${path} holds a ${meta.kind} result; expected ${kinds.join(' or ')}`);
  }
  return { meta, arrays };
}

/** The arrays whose names start with `prefix.`, with the prefix removed (one level of a flattened result). */
export function resultGroup(arrays: Record<string, NpyArray>, prefix: string): Record<string, NpyArray> {
  checkValue('resultGroup', 'arrays', arrays, is.object(), 'argument');
  checkValue('resultGroup', 'prefix', prefix, is.string(), 'argument');
  const out: Record<string, NpyArray> = {};
  for (const [key, value] of Object.entries(arrays)) if (key.startsWith(`${prefix}.`)) out[key.slice(prefix.length + 1)] = value;
  return out;
}

/** Writes an analysis result (latent flows, fixed points, mean-field comparisons, measures) to a .npz (atomic). */
export async function saveAnalysis(path: string, result: object, options: SaveResultOptions = {}): Promise<void> {
  await saveResult(path, 'analysis', result, options);
}
