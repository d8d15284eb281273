// NWB 2.x files (Neurodata Without Borders, as DANDI shares them) read through HDF5: the units table with its ragged
// spike times, the trials table, and the time series of /acquisition and the processing modules. NWB tables are
// hdmf DynamicTables: one dataset per column, all as long as `id`; a ragged column X is flattened, with X_index
// holding each row's cumulative end offset into X (a VectorIndex).
import { is, checkValue } from '../core/validate.js';
import { formatShape, shapeSize } from '../core/tensor.js';
import { FileFormatError } from '../io/errors.js';
import { type Hdf5Entry, Hdf5File, join, withHdf5 } from './hdf5.js';
import type { Column, Recording, TimeSeries, Trials, Units } from './recording.js';

/** Options of readNwb. */
export interface NwbReadOptions {
  /** Which time series to read, by path (e.g. 'processing/ophys/DfOverF/RoiResponseSeries') and shape; all by default. */
  series?: (name: string, shape: readonly number[]) => boolean;
}

/**
 * Reads an NWB 2.x file: the units table (`/units`: ids, spike times by unit through spike_times_index, every 1-D
 * column as long as the ids, observation intervals), the trials table (`/intervals/trials`: start and stop times
 * and every 1-D column), and the time series under /acquisition and /processing (groups whose neurodata_type ends
 * in 'Series', with `data` and `timestamps` or `starting_time` + rate). A file without a units or trials table
 * reads with that part undefined. Series data are scaled to their stated unit (data * conversion + offset); a unit's
 * spike times are sorted when the file has them out of order. Ragged columns other than spike times and
 * observation intervals, and columns of other types (references, compounds), are left out (inspectRecording
 * lists them). Errors name the file and the dataset.
 */
export async function readNwb(path: string, options: NwbReadOptions = {}): Promise<Recording> {
  return withHdf5(path, (file) => {
    checkNwb(file);
    const timeSeries: TimeSeries[] = [];
    for (const entry of findSeries(file)) {
      const shape = file.entry(join(entry, 'data')).shape ?? [];
      if (options.series === undefined || options.series(entry.slice(1), shape)) timeSeries.push(readSeries(file, entry));
    }
    return {
      source: path,
      format: 'nwb',
      units: isTable(file, '/units', 'Units') ? readUnits(file, '/units') : undefined,
      trials: isTable(file, '/intervals/trials', 'TimeIntervals') ? readTrials(file, '/intervals/trials') : undefined,
      timeSeries,
    };
  });
}

/** What an HDF5 or NWB file holds, from its metadata alone (no spike times or series data are read). */
export interface RecordingSummary {
  source: string;
  /** 'nwb' for an NWB 2.x file, 'hdf5' for any other HDF5 file. */
  format: 'nwb' | 'hdf5';
  nwbVersion?: string;
  units?: { count: number; spikes: number; columns: string[]; raggedColumns: string[]; observationIntervals: boolean };
  trials?: { count: number; columns: string[]; raggedColumns: string[] };
  timeSeries: { name: string; type: string; shape: number[]; unit?: string; timing: string }[];
  /** For a plain HDF5 file: every dataset with its shape and type. */
  datasets: { path: string; shape: number[]; dtype: string }[];
}

/** Summarises an NWB file (tables, their sizes and columns, series with shapes) or a plain HDF5 file (datasets). */
export async function inspectRecording(path: string): Promise<RecordingSummary> {
  return withHdf5(path, (file) => {
    const root = file.attributes('/');
    if (root.neurodata_type !== 'NWBFile') {
      const datasets = file.list().filter((e) => e.kind === 'dataset');
      return { source: path, format: 'hdf5', timeSeries: [], datasets: datasets.map(datasetSummary) };
    }
    checkNwb(file);
    return {
      source: path,
      format: 'nwb',
      nwbVersion: String(root.nwb_version),
      units: isTable(file, '/units', 'Units') ? summariseUnits(file, '/units') : undefined,
      trials: isTable(file, '/intervals/trials', 'TimeIntervals') ? summariseTrials(file, '/intervals/trials') : undefined,
      timeSeries: findSeries(file).map((p) => summariseSeries(file, p)),
      datasets: [],
    };
  });
}

/** The summary as lines of text, for `lowrank recordings inspect FILE`. */
export function formatRecordingSummary(summary: RecordingSummary): string {
  checkValue('formatRecordingSummary', 'summary', summary, is.object('a summary (from inspectRecording)'), 'argument');
  const lines = [`${summary.source}: ${summary.format === 'nwb' ? `NWB ${summary.nwbVersion}` : 'HDF5 (not NWB)'}`];
  const { units, trials } = summary;
  if (summary.format === 'nwb') {
    lines.push(
      units
        ? `units: ${units.count} units, ${units.spikes} spikes${units.observationIntervals ? ', observation intervals' : ''}`
        : 'units: none (no /units table)',
    );
    if (units) lines.push(...columnLines(units.columns, units.raggedColumns));
    lines.push(trials ? `trials: ${trials.count} trials` : 'trials: none (no /intervals/trials table)');
    if (trials) lines.push(...columnLines(trials.columns, trials.raggedColumns));
    lines.push(summary.timeSeries.length > 0 ? 'time series:' : 'time series: none');
    for (const s of summary.timeSeries) {
      lines.push(`  ${s.name} (${s.type}): ${formatShape(s.shape)}${s.unit ? ` in ${s.unit}` : ''}, ${s.timing}`);
    }
  }
  for (const d of summary.datasets) lines.push(`  ${d.path}: ${formatShape(d.shape)} ${d.dtype}`);
  return lines.join('\n');
}

function columnLines(columns: string[], ragged: string[]): string[] {
  const lines = [`  columns: ${columns.length > 0 ? columns.join(', ') : 'none'}`];
  if (ragged.length > 0) lines.push(`  ragged columns (not read): ${ragged.join(', ')}`);
  return lines;
}

/** Throws unless the root says NWBFile with an nwb_version 2.x. */
function checkNwb(file: Hdf5File): void {
  const root = file.attributes('/');
  if (root.neurodata_type !== 'NWBFile') {
    throw new FileFormatError(
      `${file.source}: not an NWB file (the root has no neurodata_type 'NWBFile'); read plain HDF5 arrays with readHdf5Arrays`,
    );
  }
  const version = String(root.nwb_version ?? '');
  if (!/^2\./.test(version)) {
    throw new FileFormatError(`${file.source}: NWB version ${JSON.stringify(version)}; only NWB 2.x files can be read`);
  }
}

/** Whether `path` is a DynamicTable of this neurodata_type (or an extension's table with columns at that place). */
function isTable(file: Hdf5File, path: string, type: string): boolean {
  if (file.kind(path) !== 'group') return false;
  const attrs = file.attributes(path);
  if (attrs.neurodata_type === type) return true;
  return attrs.namespace !== 'core' && attrs.colnames !== undefined && file.kind(join(path, 'id')) === 'dataset';
}

/** The number of rows of a table (the length of its id column). */
function rowCount(file: Hdf5File, table: string): number {
  const entry = file.entry(join(table, 'id'));
  if (entry.kind !== 'dataset' || entry.shape?.length !== 1) {
    throw new FileFormatError(`${file.source}: ${table}/id must be a 1-D dataset; got shape ${formatShape(entry.shape ?? [])}`);
  }
  return entry.shape[0];
}

function readUnits(file: Hdf5File, table: string): Units {
  const ids = Array.from(readVector(file, join(table, 'id')));
  const n = ids.length;
  if (file.kind(join(table, 'spike_times')) !== 'dataset') {
    throw new FileFormatError(`${file.source}: the units table ${table} has no spike_times dataset`);
  }
  const spikeTimes = readRagged(file, table, 'spike_times', n).map(sorted);
  const units: Units = { ids, spikeTimes, columns: readColumns(file, table, n, ['spike_times', 'obs_intervals']) };
  if (file.kind(join(table, 'obs_intervals')) === 'dataset') {
    const rows = readRagged(file, table, 'obs_intervals', n);
    units.observationIntervals = rows.map((r) => {
      const pairs: [number, number][] = [];
      for (let i = 0; i + 1 < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
      return pairs;
    });
  }
  return units;
}

function readTrials(file: Hdf5File, table: string): Trials {
  const n = rowCount(file, table);
  const times = (name: string): Float64Array => {
    const data = readVector(file, join(table, name));
    if (data.length !== n) {
      throw new FileFormatError(`${file.source}: ${table}/${name} has ${data.length} values; the table has ${n} rows`);
    }
    return data;
  };
  return { start: times('start_time'), stop: times('stop_time'), columns: readColumns(file, table, n, ['start_time', 'stop_time']) };
}

/** A 1-D numeric dataset (a scalar reads as one value). */
function readVector(file: Hdf5File, path: string): Float64Array {
  const { data, shape } = file.readNumbers(path);
  if (shape.length > 1) {
    throw new FileFormatError(`${file.source}: ${path} must be 1-D; got shape ${formatShape(shape)}`);
  }
  return data;
}

/**
 * The rows of a ragged column: `name` flattened along its first axis, `name_index` the cumulative end row of each
 * table row. Each row comes back flat (row-major), e.g. [start0, stop0, start1, stop1] for obs_intervals.
 */
function readRagged(file: Hdf5File, table: string, name: string, n: number): Float64Array[] {
  const path = join(table, name);
  const { data, shape } = file.readNumbers(path);
  const rows = shape[0] ?? 0;
  const width = rows === 0 ? 1 : data.length / rows;
  const indexPath = `${path}_index`;
  if (file.kind(indexPath) !== 'dataset') {
    if (n === 1) return [data];
    throw new FileFormatError(`${file.source}: ${path} has no ${name}_index, so it cannot be split among ${n} rows`);
  }
  const ends = readVector(file, indexPath);
  if (ends.length !== n) {
    throw new FileFormatError(`${file.source}: ${indexPath} has ${ends.length} entries; the table has ${n} rows`);
  }
  const out: Float64Array[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i];
    if (!Number.isInteger(end) || end < start || end > rows) {
      throw new FileFormatError(
        `${file.source}: ${indexPath}[${i}] = ${end} is not a cumulative end offset (previous ${start}, ${rows} rows in ${name})`,
      );
    }
    out.push(data.slice(start * width, end * width));
    start = end;
  }
  return out;
}

function sorted(times: Float64Array): Float64Array {
  for (let i = 1; i < times.length; i++) if (times[i] < times[i - 1]) return times.slice().sort();
  return times;
}

/** Every readable 1-D column of a table as long as its rows, in colnames order, except `skip` and ragged ones. */
function readColumns(file: Hdf5File, table: string, n: number, skip: string[]): Record<string, Column> {
  const columns: Record<string, Column> = {};
  for (const entry of plainColumns(file, table, n, skip)) {
    const name = entry.path.slice(table.length + 1);
    columns[name] = entry.dtype === 'string' ? file.readStrings(entry.path).strings : Array.from(file.readNumbers(entry.path).data);
  }
  return columns;
}

/** The entries of a table's 1-D number or string columns of length n (not id, not ragged, not in `skip`). */
function plainColumns(file: Hdf5File, table: string, n: number, skip: string[]): Hdf5Entry[] {
  return columnNames(file, table)
    .filter((name) => !skip.includes(name) && !isRagged(file, table, name))
    .map((name) => file.entry(join(table, name)))
    .filter((e) => e.kind === 'dataset' && e.shape?.length === 1 && e.shape[0] === n)
    .filter((e) => e.dtype === 'string' || /^(float|int|uint|enum)/.test(e.dtype ?? ''));
}

/** A table's column names: its colnames attribute first, then any other member dataset. */
function columnNames(file: Hdf5File, table: string): string[] {
  const colnames = file.attribute(table, 'colnames');
  const listed = Array.isArray(colnames) ? colnames.map(String) : typeof colnames === 'string' ? [colnames] : [];
  const members = file.children(table).filter((name) => file.kind(join(table, name)) === 'dataset');
  const names = [...listed.filter((name) => members.includes(name)), ...members.filter((name) => !listed.includes(name))];
  return names.filter((name) => name !== 'id' && !name.endsWith('_index'));
}

function isRagged(file: Hdf5File, table: string, name: string): boolean {
  return file.kind(join(table, `${name}_index`)) === 'dataset';
}

/** The paths of every series group under /acquisition and /processing (not looking inside a series). */
function findSeries(file: Hdf5File, group?: string): string[] {
  if (group === undefined) return ['/acquisition', '/processing'].flatMap((g) => (file.kind(g) === 'group' ? findSeries(file, g) : []));
  const out: string[] = [];
  for (const name of file.children(group)) {
    const path = join(group, name);
    if (file.kind(path) !== 'group') continue;
    const type = file.attribute(path, 'neurodata_type');
    if (typeof type === 'string' && type.endsWith('Series') && file.kind(join(path, 'data')) === 'dataset') out.push(path);
    else out.push(...findSeries(file, path));
  }
  return out;
}

function readSeries(file: Hdf5File, path: string): TimeSeries {
  const dataPath = join(path, 'data');
  const { data, shape } = file.readNumbers(dataPath);
  const attrs = file.attributes(dataPath);
  const conversion = typeof attrs.conversion === 'number' ? attrs.conversion : 1;
  const offset = typeof attrs.offset === 'number' ? attrs.offset : 0;
  if (conversion !== 1 || offset !== 0) for (let i = 0; i < data.length; i++) data[i] = data[i] * conversion + offset;
  const steps = shape[0] ?? 1;
  const series: TimeSeries = {
    name: path.slice(1),
    data: { data, shape: [steps, steps === 0 ? shapeSize(shape.slice(1)) : data.length / steps] },
    timestamps: seriesTimes(file, path, steps),
  };
  if (typeof attrs.unit === 'string') series.unit = attrs.unit;
  return series;
}

/** A series' sample times: its timestamps dataset, or starting_time + i / rate. */
function seriesTimes(file: Hdf5File, path: string, steps: number): Float64Array {
  const stampsPath = join(path, 'timestamps');
  if (file.kind(stampsPath) === 'dataset') {
    const stamps = readVector(file, stampsPath);
    if (stamps.length !== steps) {
      throw new FileFormatError(`${file.source}: ${stampsPath} has ${stamps.length} values; ${path}/data has ${steps} samples`);
    }
    return stamps;
  }
  const startPath = join(path, 'starting_time');
  const rate = file.kind(startPath) === 'dataset' ? file.attribute(startPath, 'rate') : undefined;
  if (typeof rate !== 'number' || !(rate > 0)) {
    throw new FileFormatError(`${file.source}: series ${path} has neither timestamps nor starting_time with a positive rate`);
  }
  const start = readVector(file, startPath)[0];
  return Float64Array.from({ length: steps }, (_, i) => start + i / rate);
}

function summariseUnits(file: Hdf5File, table: string): NonNullable<RecordingSummary['units']> {
  const count = rowCount(file, table);
  const spikesPath = join(table, 'spike_times');
  return {
    count,
    spikes: file.kind(spikesPath) === 'dataset' ? (file.entry(spikesPath).shape?.[0] ?? 0) : 0,
    columns: plainColumns(file, table, count, ['spike_times', 'obs_intervals']).map((e) => e.path.slice(table.length + 1)),
    raggedColumns: raggedColumns(file, table, ['spike_times', 'obs_intervals']),
    observationIntervals: file.kind(join(table, 'obs_intervals')) === 'dataset',
  };
}

function summariseTrials(file: Hdf5File, table: string): NonNullable<RecordingSummary['trials']> {
  const count = rowCount(file, table);
  return {
    count,
    columns: plainColumns(file, table, count, []).map((e) => e.path.slice(table.length + 1)),
    raggedColumns: raggedColumns(file, table, []),
  };
}

function raggedColumns(file: Hdf5File, table: string, known: string[]): string[] {
  return columnNames(file, table).filter((name) => !known.includes(name) && isRagged(file, table, name));
}

function summariseSeries(file: Hdf5File, path: string): RecordingSummary['timeSeries'][number] {
  const data = file.entry(join(path, 'data'));
  const startPath = join(path, 'starting_time');
  const rate = file.kind(startPath) === 'dataset' ? file.attribute(startPath, 'rate') : undefined;
  const timing = file.kind(join(path, 'timestamps')) === 'dataset' ? 'timestamps' : rate !== undefined ? `${rate} Hz` : 'no timing';
  const unit = data.attributes.unit;
  return {
    name: path.slice(1),
    type: String(file.attribute(path, 'neurodata_type')),
    shape: data.shape ?? [],
    timing,
    ...(typeof unit === 'string' ? { unit } : {}),
  };
}

function datasetSummary(entry: Hdf5Entry): RecordingSummary['datasets'][number] {
  return { path: entry.path, shape: entry.shape ?? [], dtype: entry.dtype ?? '?' };
}
