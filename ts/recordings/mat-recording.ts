// A recording in a MATLAB file, in the layout docs/recordings.md describes (the names of NWB's units and trials tables):
//   units   a struct whose fields hold one entry per unit: spike_times (a cell array of spike-time vectors, s),
//           optionally id (a vector), obs_intervals (a cell array of [k x 2] matrices, s), and any other columns
//           (numeric vectors or cell arrays of strings); or a struct array with one element per unit and those fields;
//   trials  a struct whose fields hold one entry per trial: start_time and stop_time (s) and the condition and event
//           columns (numeric vectors, s for event times, or cell arrays of strings); or a struct array, one per trial.
import { is, checkValue } from '../core/validate.js';
import { FileFormatError } from '../io/errors.js';
import { matToJs, readMat, type MatFile, type MatJs, type MatValue } from './mat.js';
import type { Column, Recording, Trials, Units } from './recording.js';

type Table = Record<string, MatJs[]>;

const isRecord = (v: MatJs): v is { [field: string]: MatJs } =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !('data' in v) && !('re' in v) && !('real' in v);

/** The entries of a value as a list: a cell or struct array as it is, a numeric vector as numbers, a scalar as one. */
function entries(v: MatJs): MatJs[] {
  if (Array.isArray(v)) return v as MatJs[];
  if (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v) return Array.from(v.data as ArrayLike<number>);
  return [v];
}

/** A table from a struct of columns, or from a struct array of rows; `what` names it in errors. */
function table(v: MatJs, what: string, path: string): Table {
  const rows = Array.isArray(v) ? v : undefined;
  if (rows && rows.every((r) => isRecord(r))) {
    const names = Object.keys((rows[0] ?? {}) as object);
    return Object.fromEntries(names.map((n) => [n, rows.map((r) => (r as Record<string, MatJs>)[n])]));
  }
  if (!isRecord(v)) throw new FileFormatError(`${path}: '${what}' must be a struct (one field per column) or a struct array (one element per row)`);
  return Object.fromEntries(Object.entries(v).map(([n, col]) => [n, entries(col)]));
}

function numbers(values: MatJs[], name: string, path: string): number[] {
  return values.map((x, i) => {
    if (typeof x === 'number') return x;
    if (typeof x === 'boolean') return Number(x);
    throw new FileFormatError(`${path}: ${name}(${i + 1}) must be a number`);
  });
}

/** A column of numbers or of strings, or undefined for one that is neither (nested cells, matrices). */
function column(values: MatJs[]): Column | undefined {
  if (values.every((x) => typeof x === 'number' || typeof x === 'boolean')) return values.map(Number);
  if (values.every((x) => typeof x === 'string')) return values as string[];
  return undefined;
}

function vectorOf(v: MatJs, what: string, path: string): Float64Array {
  if (typeof v === 'number') return Float64Array.of(v);
  if (typeof v === 'object' && v !== null && 'data' in v && v.data instanceof Float64Array) return Float64Array.from(v.data);
  if (Array.isArray(v) && v.length === 0) return new Float64Array(0);
  throw new FileFormatError(`${path}: ${what} must be a numeric vector`);
}

function units(v: MatJs, path: string): Units {
  const t = table(v, 'units', path);
  if (!t.spike_times) throw new FileFormatError(`${path}: 'units' has no field 'spike_times' (a cell array of spike-time vectors, one per unit); fields: ${Object.keys(t).join(', ')}`);
  const spikeTimes = t.spike_times.map((s, i) => vectorOf(s, `units.spike_times{${i + 1}}`, path).sort());
  const ids = t.id ? numbers(t.id, 'units.id', path) : spikeTimes.map((_, i) => i);
  const observationIntervals = t.obs_intervals?.map((m, i) => {
    const x = vectorOf(m, `units.obs_intervals{${i + 1}}`, path); // [k, 2], row-major: start, stop, start, ...
    return Array.from({ length: x.length / 2 }, (_, k) => [x[2 * k], x[2 * k + 1]] as const);
  });
  const columns: Record<string, Column> = {};
  for (const [name, values] of Object.entries(t)) {
    if (['spike_times', 'id', 'obs_intervals'].includes(name) || values.length !== spikeTimes.length) continue;
    const c = column(values);
    if (c) columns[name] = c;
  }
  return { ids, spikeTimes, columns, observationIntervals };
}

function trials(v: MatJs, path: string): Trials {
  const t = table(v, 'trials', path);
  for (const name of ['start_time', 'stop_time']) {
    if (!t[name]) throw new FileFormatError(`${path}: 'trials' has no field '${name}'; fields: ${Object.keys(t).join(', ')}`);
  }
  const start = Float64Array.from(numbers(t.start_time, 'trials.start_time', path));
  const columns: Record<string, Column> = {};
  for (const [name, values] of Object.entries(t)) {
    if (name === 'start_time' || name === 'stop_time' || values.length !== start.length) continue;
    const c = column(values);
    if (c) columns[name] = c;
  }
  return { start, stop: Float64Array.from(numbers(t.stop_time, 'trials.stop_time', path)), columns };
}

/** Reads a MATLAB file (version 5, or 7.3 through readMat) laid out as above into a Recording. */
export async function readMatRecording(path: string): Promise<Recording> {
  const mat = await readMat(path);
  const names = Object.keys(mat.variables);
  if (!mat.variables.units) {
    throw new FileFormatError(`${path} has no 'units' variable (units and trials as docs/recordings.md lays them out); its variables: ${names.join(', ') || 'none'}`);
  }
  return {
    source: path,
    format: 'mat',
    units: units(matToJs(mat.variables.units), path),
    trials: mat.variables.trials ? trials(matToJs(mat.variables.trials), path) : undefined,
    timeSeries: [],
  };
}

/** One line per variable of a MATLAB file (its kind, class and size; a struct's fields), for `lowrank recordings inspect`. */
export function describeMat(path: string, mat: MatFile): string {
  checkValue('describeMat', 'mat', mat, is.object('a MAT-file (from readMat)'), 'argument');
  const size = (shape: readonly number[]) => shape.join('x');
  const describe = (v: MatValue): string => {
    switch (v.kind) {
      case 'numeric':
        return `${v.class} ${size(v.shape)}`;
      case 'struct':
        return `struct ${size(v.shape)} with fields ${v.fields.join(', ') || 'none'}`;
      default:
        return `${v.kind} ${size(v.shape)}`;
    }
  };
  const lines = [`${path}: MATLAB file (${mat.header.split(',')[0]})`];
  for (const [name, value] of Object.entries(mat.variables)) lines.push(`  ${name}: ${describe(value)}`);
  const layout = mat.variables.units ? "units found (read with --mat)" : "no 'units' variable: not in the layout of docs/recordings.md";
  lines.push(`  ${layout}`);
  return lines.join('\n');
}
