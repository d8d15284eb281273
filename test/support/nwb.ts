// Writes NWB 2.x files in tests with h5wasm, laid out as NWB writes them: /units (ids, ragged spike times through their
// index, columns), /intervals/trials (start and stop times, columns), with the neurodata_type attributes.
import * as h5wasm from 'h5wasm/node';

/** What a test recording holds. */
export interface NwbContent {
  units: { ids: number[]; spikeTimes: number[][]; columns?: Record<string, number[] | string[]> };
  trials: { start: number[]; stop: number[]; columns?: Record<string, number[] | string[]> };
  /** A RoiResponseSeries in /processing/ophys/DfOverF: data [T, C] row-major and its timestamps (s). */
  dff?: { data: number[]; channels: number; timestamps: number[] };
}

function typed(obj: h5wasm.Group | h5wasm.Dataset, type: string, namespace = 'core'): void {
  obj.create_attribute('neurodata_type', type);
  obj.create_attribute('namespace', namespace);
}

function column(group: h5wasm.Group, name: string, values: number[] | string[]): void {
  const data = typeof values[0] === 'string' ? (values as string[]) : new Float64Array(values as number[]);
  typed(group.create_dataset({ name, data }), 'VectorData', 'hdmf-common');
}

/** Writes `content` to `path` as an NWB 2.x file. */
export async function writeNwb(path: string, content: NwbContent): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  typed(f, 'NWBFile');
  f.create_attribute('nwb_version', '2.7.0');
  const units = f.create_group('units');
  typed(units, 'Units');
  const unitColumns = Object.keys(content.units.columns ?? {});
  units.create_attribute('colnames', ['spike_times', ...unitColumns]);
  typed(units.create_dataset({ name: 'id', data: new Int32Array(content.units.ids) }), 'ElementIdentifiers', 'hdmf-common');
  column(units, 'spike_times', content.units.spikeTimes.flat());
  const ends = content.units.spikeTimes.map((_, i) => content.units.spikeTimes.slice(0, i + 1).reduce((a, s) => a + s.length, 0));
  typed(units.create_dataset({ name: 'spike_times_index', data: new Int32Array(ends) }), 'VectorIndex', 'hdmf-common');
  for (const name of unitColumns) column(units, name, content.units.columns![name]);
  const trials = f.create_group('intervals').create_group('trials');
  typed(trials, 'TimeIntervals');
  const trialColumns = Object.keys(content.trials.columns ?? {});
  trials.create_attribute('colnames', ['start_time', 'stop_time', ...trialColumns]);
  typed(trials.create_dataset({ name: 'id', data: new Int32Array(content.trials.start.map((_, i) => i)) }), 'ElementIdentifiers', 'hdmf-common');
  column(trials, 'start_time', content.trials.start);
  column(trials, 'stop_time', content.trials.stop);
  for (const name of trialColumns) column(trials, name, content.trials.columns![name]);
  if (content.dff) writeDfOverF(f, content.dff.data, [content.dff.timestamps.length, content.dff.channels], content.dff.timestamps);
  f.close();
}

/** Writes /processing/ophys/DfOverF/RoiResponseSeries (data [T, C] row-major, timestamps in s); returns its data. */
export function writeDfOverF(f: h5wasm.File, data: number[], shape: [number, number], timestamps: number[]): h5wasm.Dataset {
  const ophys = f.create_group('processing').create_group('ophys');
  typed(ophys, 'ProcessingModule');
  const dff = ophys.create_group('DfOverF');
  typed(dff, 'DfOverF');
  const roi = dff.create_group('RoiResponseSeries');
  typed(roi, 'RoiResponseSeries');
  const dataset = roi.create_dataset({ name: 'data', data: new Float64Array(data), shape });
  dataset.create_attribute('unit', 'n.a.');
  roi.create_dataset({ name: 'timestamps', data: new Float64Array(timestamps) }).create_attribute('unit', 'seconds');
  return dataset;
}
