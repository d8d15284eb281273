// NWB 2.x files written here with h5wasm and by an independent writer (h5py from python3), laid out as NWB 2.x
// writes its units, trials and processing groups, read back exactly as written; and the errors for bad files.
// The h5py part skips with the reason where python3 lacks h5py (pip install h5py).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import { readHdf5Arrays } from '../../ts/recordings/hdf5.js';
import { formatRecordingSummary, inspectRecording, readNwb } from '../../ts/recordings/nwb.js';
import type { Recording } from '../../ts/recordings/recording.js';
import { makeTempDir } from '../support/io.js';
import { writeDfOverF } from '../support/nwb.js';
import { pythonWith, runPython } from '../support/python.js';

/** What both writers put in the file, and what must come back. */
const SPEC = {
  ids: [3, 7, 9, 12],
  spikeTimes: [[0.1, 0.25, 1.5], [], [0.05, 2.0], [0.3333333333333333, 1e-7, 2.75]],
  location: ['CA1', 'PFC', 'PFC', 'é-area'],
  quality: [0.875, 0.5, 0.75, 0.125], // exact in float32, as h5py writes them
  obsIntervals: [[[0, 1], [1.5, 3]], [[0, 3]], [[0.5, 2.5]], [[0, 1], [2, 2.5], [2.6, 3]]],
  start: [0, 1.1, 2.05],
  stop: [0.9, 1.95, 2.95],
  condition: ['left', 'right', 'left'],
  coherence: [0.1, -0.2, 0.4],
  dff: [[0.5, 1, 1.5], [0.25, -0.5, 2], [0, 0, 0], [1e-3, 7, -7], [3.5, 2.5, 1.5]],
  dffTimes: [10, 10.033, 10.066, 10.1, 10.2],
  lfp: [0.1, 0.2, -0.3, 0.4, 0.5, 0.6],
  lfpStart: 0.5,
  lfpRate: 100,
  counts: [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]],
  neurons: ['n0', 'n1'],
};

const flat = (rows: number[][]): number[] => rows.flat();
const ends = (rows: unknown[][]): number[] => rows.map((_, i) => rows.slice(0, i + 1).flat().length);

/** NWB's type attributes on an object. */
function typed(obj: h5wasm.Group | h5wasm.Dataset, type: string, namespace = 'core'): void {
  obj.create_attribute('neurodata_type', type);
  obj.create_attribute('namespace', namespace);
}

function column(group: h5wasm.Group, name: string, data: h5wasm.GuessableDataTypes, shape?: number[]): h5wasm.Dataset {
  const ds = group.create_dataset({ name, data, shape });
  typed(ds, 'VectorData', 'hdmf-common');
  ds.create_attribute('description', `the ${name} column`);
  return ds;
}

function index(group: h5wasm.Group, name: string, rows: unknown[][]): void {
  const ds = group.create_dataset({ name: `${name}_index`, data: new Int32Array(ends(rows)) });
  typed(ds, 'VectorIndex', 'hdmf-common');
}

/** Writes SPEC as an NWB 2.x file with h5wasm; `withUnits` false leaves /units out. */
function writeNwbWithH5wasm(path: string, withUnits = true): void {
  const f = new h5wasm.File(path, 'w');
  typed(f, 'NWBFile');
  f.create_attribute('nwb_version', '2.7.0');
  if (withUnits) {
    const units = f.create_group('units');
    typed(units, 'Units');
    units.create_attribute('colnames', ['spike_times', 'obs_intervals', 'location', 'quality']);
    typed(units.create_dataset({ name: 'id', data: new Int32Array(SPEC.ids) }), 'ElementIdentifiers', 'hdmf-common');
    column(units, 'spike_times', new Float64Array(flat(SPEC.spikeTimes)));
    index(units, 'spike_times', SPEC.spikeTimes);
    column(units, 'obs_intervals', new Float64Array(SPEC.obsIntervals.flat(2)), [SPEC.obsIntervals.flat().length, 2]);
    index(units, 'obs_intervals', SPEC.obsIntervals);
    column(units, 'location', SPEC.location);
    column(units, 'quality', new Float64Array(SPEC.quality));
  }
  const trials = f.create_group('intervals').create_group('trials');
  typed(trials, 'TimeIntervals');
  trials.create_attribute('colnames', ['start_time', 'stop_time', 'condition', 'coherence']);
  typed(trials.create_dataset({ name: 'id', data: new Int32Array([0, 1, 2]) }), 'ElementIdentifiers', 'hdmf-common');
  column(trials, 'start_time', new Float64Array(SPEC.start));
  column(trials, 'stop_time', new Float64Array(SPEC.stop));
  column(trials, 'condition', SPEC.condition);
  column(trials, 'coherence', new Float64Array(SPEC.coherence));
  writeDfOverF(f, SPEC.dff.flat(), [5, 3], SPEC.dffTimes).create_attribute('conversion', 1.0);
  const lfp = f.create_group('acquisition').create_group('lfp');
  typed(lfp, 'ElectricalSeries');
  lfp.create_dataset({ name: 'data', data: new Float64Array(SPEC.lfp) }).create_attribute('unit', 'volts');
  const start = lfp.create_dataset({ name: 'starting_time', data: SPEC.lfpStart });
  start.create_attribute('rate', SPEC.lfpRate);
  start.create_attribute('unit', 'seconds');
  f.close();
}

/** The same layout written by h5py, as hdmf writes it (int64 ids, variable-length strings, bool columns, refs). */
const PY_WRITE = `
import sys, json, h5py, numpy as np
spec = json.loads(sys.argv[2]); d = sys.argv[1]
S = h5py.string_dtype()
def typed(o, t, ns='core'):
    o.attrs['neurodata_type'] = t; o.attrs['namespace'] = ns
def col(g, name, data, **kw):
    ds = g.create_dataset(name, data=data, **kw); typed(ds, 'VectorData', 'hdmf-common')
    ds.attrs['description'] = 'the ' + name + ' column'; return ds
def idx(g, name, rows):
    ds = g.create_dataset(name + '_index', data=np.cumsum([len(r) for r in rows]).astype('uint32'))
    typed(ds, 'VectorIndex', 'hdmf-common'); ds.attrs['target'] = g[name].ref
def write(path, spike_kw):
    with h5py.File(path, 'w') as f:
        typed(f, 'NWBFile'); f.attrs['nwb_version'] = '2.8.0'
        u = f.create_group('units'); typed(u, 'Units')
        u.attrs['colnames'] = np.array(['spike_times', 'obs_intervals', 'location', 'quality', 'is_good', 'electrodes'], dtype=object)
        typed(u.create_dataset('id', data=np.array(spec['ids'], dtype='int64')), 'ElementIdentifiers', 'hdmf-common')
        col(u, 'spike_times', np.array([t for r in spec['spikeTimes'] for t in r]), **spike_kw); idx(u, 'spike_times', spec['spikeTimes'])
        col(u, 'obs_intervals', np.array([p for r in spec['obsIntervals'] for p in r]).reshape(-1, 2)); idx(u, 'obs_intervals', spec['obsIntervals'])
        col(u, 'location', np.array(spec['location'], dtype=S))
        col(u, 'quality', np.array(spec['quality'], dtype='float32'))
        col(u, 'is_good', np.array([True, False, True, True]))
        elec = [[0, 1], [2], [], [3, 4, 5]]
        col(u, 'electrodes', np.array([e for r in elec for e in r], dtype='int32')); idx(u, 'electrodes', elec)
        t = f.create_group('intervals/trials'); typed(t, 'TimeIntervals')
        t.attrs['colnames'] = np.array(['start_time', 'stop_time', 'condition', 'coherence'], dtype=object)
        typed(t.create_dataset('id', data=np.arange(3)), 'ElementIdentifiers', 'hdmf-common')
        col(t, 'start_time', np.array(spec['start'])); col(t, 'stop_time', np.array(spec['stop']))
        col(t, 'condition', np.array(spec['condition'], dtype=S)); col(t, 'coherence', np.array(spec['coherence']))
        m = f.create_group('processing/ophys'); typed(m, 'ProcessingModule'); typed(f['processing/ophys'].create_group('DfOverF'), 'DfOverF')
        r = f.create_group('processing/ophys/DfOverF/RoiResponseSeries'); typed(r, 'RoiResponseSeries')
        dd = r.create_dataset('data', data=np.array(spec['dff']) / 2, compression='gzip', shuffle=True)
        dd.attrs['unit'] = 'n.a.'; dd.attrs['conversion'] = np.float32(2.0); dd.attrs['offset'] = 0.0
        r.create_dataset('timestamps', data=np.array(spec['dffTimes'])).attrs['unit'] = 'seconds'
        a = f.create_group('acquisition/lfp'); typed(a, 'ElectricalSeries')
        a.create_dataset('data', data=np.array(spec['lfp'])).attrs['unit'] = 'volts'
        st = a.create_dataset('starting_time', data=spec['lfpStart']); st.attrs['rate'] = float(spec['lfpRate']); st.attrs['unit'] = 'seconds'
write(d + '/h5py.nwb', {})
write(d + '/lzf.nwb', {'compression': 'lzf', 'chunks': True})
with h5py.File(d + '/arrays.h5', 'w') as f:
    f.create_dataset('counts', data=np.array(spec['counts'], dtype='uint16'), compression='gzip')
    f.create_dataset('labels/neurons', data=np.array(spec['neurons'], dtype=S))
    f.create_dataset('labels/conditions', data=np.array([b'a', b'b']))
    f.create_dataset('bin_ms', data=20.0)
print(h5py.__version__)
`;

/** Asserts that `rec` holds SPEC exactly; `extra` lists the columns beyond location and quality. */
function expectSpec(rec: Recording, extraUnitColumns: Record<string, number[]> = {}): void {
  const units = rec.units!;
  expect(units.ids).toEqual(SPEC.ids);
  // the last unit's spikes are stored out of order: they come back sorted
  expect(units.spikeTimes.map((s) => Array.from(s))).toEqual(SPEC.spikeTimes.map((r) => [...r].sort((a, b) => a - b)));
  expect(units.columns).toEqual({ location: SPEC.location, quality: SPEC.quality, ...extraUnitColumns });
  expect(units.observationIntervals).toEqual(SPEC.obsIntervals);
  const trials = rec.trials!;
  expect(Array.from(trials.start)).toEqual(SPEC.start);
  expect(Array.from(trials.stop)).toEqual(SPEC.stop);
  expect(trials.columns).toEqual({ condition: SPEC.condition, coherence: SPEC.coherence });
  expect(rec.timeSeries.map((s) => s.name)).toEqual(['acquisition/lfp', 'processing/ophys/DfOverF/RoiResponseSeries']);
  const [lfp, dff] = rec.timeSeries;
  expect(lfp.data.shape).toEqual([6, 1]);
  expect(Array.from(lfp.data.data)).toEqual(SPEC.lfp);
  expect(lfp.unit).toBe('volts');
  // starting_time + i / rate, computed here independently
  expect(Array.from(lfp.timestamps)).toEqual(SPEC.lfp.map((_, i) => SPEC.lfpStart + i / SPEC.lfpRate));
  expect(dff.data.shape).toEqual([5, 3]);
  expect(Array.from(dff.data.data)).toEqual(SPEC.dff.flat());
  expect(Array.from(dff.timestamps)).toEqual(SPEC.dffTimes);
  expect(dff.unit).toBe('n.a.');
}

let tmp: { dir: string; remove: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir();
  await h5wasm.ready;
});
afterAll(() => tmp.remove());

describe('NWB files written with h5wasm', () => {
  it('read back exactly: ragged spike times, columns, observation intervals, trials, both kinds of series', async () => {
    const path = join(tmp.dir, 'h5wasm.nwb');
    writeNwbWithH5wasm(path);
    const rec = await readNwb(path);
    expect(rec.source).toBe(path);
    expect(rec.format).toBe('nwb');
    expectSpec(rec);
  });

  it('selects series by name and summarises the file without reading its data', async () => {
    const path = join(tmp.dir, 'select.nwb');
    writeNwbWithH5wasm(path);
    const rec = await readNwb(path, { series: (name) => name.startsWith('processing/') });
    expect(rec.timeSeries.map((s) => s.name)).toEqual(['processing/ophys/DfOverF/RoiResponseSeries']);
    const summary = await inspectRecording(path);
    expect(summary.units).toEqual({
      count: 4,
      spikes: flat(SPEC.spikeTimes).length,
      columns: ['location', 'quality'],
      raggedColumns: [],
      observationIntervals: true,
    });
    expect(summary.trials).toEqual({ count: 3, columns: ['start_time', 'stop_time', 'condition', 'coherence'], raggedColumns: [] });
    expect(summary.timeSeries).toEqual([
      { name: 'acquisition/lfp', type: 'ElectricalSeries', shape: [6], unit: 'volts', timing: '100 Hz' },
      { name: 'processing/ophys/DfOverF/RoiResponseSeries', type: 'RoiResponseSeries', shape: [5, 3], unit: 'n.a.', timing: 'timestamps' },
    ]);
    const text = formatRecordingSummary(summary);
    expect(text).toContain('NWB 2.7.0');
    expect(text).toContain('units: 4 units, 8 spikes, observation intervals');
    expect(text).toContain('trials: 3 trials');
    expect(text).toContain('processing/ophys/DfOverF/RoiResponseSeries (RoiResponseSeries): [5, 3] in n.a., timestamps');
  });

  it('reads a file without a units table, with units undefined', async () => {
    const path = join(tmp.dir, 'no-units.nwb');
    writeNwbWithH5wasm(path, false);
    const rec = await readNwb(path);
    expect(rec.units).toBeUndefined();
    expect(Array.from(rec.trials!.start)).toEqual(SPEC.start);
    expect(formatRecordingSummary(await inspectRecording(path))).toContain('units: none (no /units table)');
  });

  it('reads plain HDF5 arrays: counts [trials, bins, neurons] with label datasets', async () => {
    const path = join(tmp.dir, 'arrays.h5');
    const f = new h5wasm.File(path, 'w');
    f.create_dataset({ name: 'counts', data: new Float64Array(SPEC.counts.flat(2)), shape: [2, 3, 2] });
    f.create_group('labels').create_dataset({ name: 'neurons', data: SPEC.neurons });
    f.close();
    const arrays = await readHdf5Arrays(path);
    expect([...arrays.keys()].sort()).toEqual(['counts', 'labels/neurons']);
    expect(arrays.get('counts')).toEqual({ data: new Float64Array(SPEC.counts.flat(2)), shape: [2, 3, 2] });
    expect(arrays.get('labels/neurons')).toEqual(SPEC.neurons);
    const summary = await inspectRecording(path);
    expect(summary.format).toBe('hdf5');
    expect(summary.datasets).toEqual([
      { path: '/counts', shape: [2, 3, 2], dtype: 'float64' },
      { path: '/labels/neurons', shape: [2], dtype: 'string' },
    ]);
    await expect(readNwb(path)).rejects.toThrow(/not an NWB file .*readHdf5Arrays/);
  });
});

describe('bad input', () => {
  it('a file that is not HDF5', async () => {
    const path = join(tmp.dir, 'junk.nwb');
    await writeFile(path, 'this is not an HDF5 file\n'.repeat(40));
    const err = await readNwb(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as Error).message).toBe(`${path}: not an HDF5 file (no HDF5 signature)`);
  });

  it('a truncated file', async () => {
    const whole = join(tmp.dir, 'whole.nwb');
    writeNwbWithH5wasm(whole);
    const bytes = await readFile(whole);
    const path = join(tmp.dir, 'truncated.nwb');
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await readNwb(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as Error).message).toBe(
      `${path}: truncated HDF5 file: ${Math.floor(bytes.length / 2)} bytes, but its superblock says ${bytes.length}`,
    );
  });

  it('a missing file names the path', async () => {
    const path = join(tmp.dir, 'absent.nwb');
    await expect(readNwb(path)).rejects.toThrow(`cannot read ${JSON.stringify(path)}: ENOENT`);
  });

  it('a spike index that is not cumulative', async () => {
    const path = join(tmp.dir, 'bad-index.nwb');
    writeNwbWithH5wasm(path);
    const f = new h5wasm.File(path, 'a');
    (f.get('units/spike_times_index') as h5wasm.Dataset).write_slice([[1, 2]], new Int32Array([1]));
    f.close();
    await expect(readNwb(path)).rejects.toThrow(
      `${path}: /units/spike_times_index[1] = 1 is not a cumulative end offset (previous 3, 8 rows in spike_times)`,
    );
  });
});

const h5py = pythonWith(['h5py', 'numpy']);

describe.skipIf(!h5py.available)(`NWB files written by h5py (${h5py.reason})`, () => {
  beforeAll(() => {
    runPython(PY_WRITE, [tmp.dir, JSON.stringify(SPEC)]);
  });

  it('read back exactly, also bool columns, gzip + shuffle and a conversion factor; ragged extras left out', async () => {
    const rec = await readNwb(join(tmp.dir, 'h5py.nwb'));
    expectSpec(rec, { is_good: [1, 0, 1, 1] });
    expect(rec.units!.columns.is_good).toEqual([1, 0, 1, 1]);
    const summary = await inspectRecording(join(tmp.dir, 'h5py.nwb'));
    expect(summary.units?.raggedColumns).toEqual(['electrodes']);
    expect(summary.units?.columns).toEqual(['location', 'quality', 'is_good']);
  });

  it('a compression filter h5wasm lacks (lzf) gives an error naming the dataset', async () => {
    const path = join(tmp.dir, 'lzf.nwb');
    const err = await readNwb(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as Error).message).toBe(
      `${path}: dataset /units/spike_times is compressed with 'lzf' (filter id 32000), which h5wasm cannot decode; ` +
        'rewrite the file with gzip compression (e.g. h5repack -f GZIP=4)',
    );
  });

  it('reads h5py arrays: uint16 counts with gzip, label strings, a scalar', async () => {
    const arrays = await readHdf5Arrays(join(tmp.dir, 'arrays.h5'));
    expect(arrays.get('counts')).toEqual({ data: new Float64Array(SPEC.counts.flat(2)), shape: [2, 3, 2] });
    expect(arrays.get('labels/neurons')).toEqual(SPEC.neurons);
    expect(arrays.get('labels/conditions')).toEqual(['a', 'b']);
    expect(arrays.get('bin_ms')).toEqual({ data: Float64Array.of(20), shape: [] });
  });
});
