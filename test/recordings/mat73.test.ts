// The MATLAB 7.3 reader against files written here with h5py laid out as MATLAB writes them (a 512-byte user block
// holding the text header, MATLAB_class attributes, dimensions reversed, char as UTF-16, cells and struct arrays as
// references into '#refs#', empty arrays as MATLAB_empty datasets of their dimensions), compared value by value with
// the same content written as a version 5 file by scipy.io.savemat; a recording in the units/trials layout read from
// both; and bad input. Skips with the reason where python3 lacks h5py or scipy.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import { decodeMat, type MatCell, type MatFile, type MatStruct, matVersion, readMat } from '../../ts/recordings/mat.js';
import { readMatRecording } from '../../ts/recordings/mat-recording.js';
import { makeTempDir } from '../support/io.js';
import { pythonWith, runPython } from '../support/python.js';

const python = pythonWith(['h5py', 'numpy', 'scipy']);

/** Writes into sys.argv[1]: v5.mat (scipy) and v73.mat (h5py, as MATLAB 7.3 lays it out) with the same content. */
const PY_WRITE = `
import os, sys
import h5py, numpy as np, scipy.io as sio
d = sys.argv[1]
HEADER = 'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .'
CLASSES = {'float64': 'double', 'float32': 'single', 'complex128': 'double', 'complex64': 'single', 'bool': 'logical'}
count = [0]

def set_class(o, c):
    o.attrs.create('MATLAB_class', np.bytes_(c))

def set_fields(g, names):
    listed = np.empty(len(names), dtype=object)
    for i, n in enumerate(names):
        listed[i] = np.array(list(n), dtype='S1')
    g.attrs.create('MATLAB_fields', listed, dtype=h5py.vlen_dtype(np.dtype('S1')))

def empty(parent, name, cls, shape):
    ds = parent.create_dataset(name, data=np.array(shape, dtype=np.uint64))
    set_class(ds, cls)
    ds.attrs.create('MATLAB_empty', np.uint8(1))
    return ds

def store(f, v):
    count[0] += 1
    return put(f['#refs#'], 'r%d' % count[0], v, f).ref

def references(f, a, pick):
    r = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        r[idx] = store(f, pick(a[idx]))
    return np.ascontiguousarray(r.T)

def put(parent, name, v, f):
    if isinstance(v, dict):
        g = parent.create_group(name)
        set_class(g, 'struct')
        set_fields(g, list(v))
        for k, x in v.items():
            put(g, k, x, f)
        return g
    a = np.atleast_2d(np.asarray(v))
    if a.dtype.names:  # a struct array: one reference dataset per field, no MATLAB_class on them
        g = parent.create_group(name)
        set_class(g, 'struct')
        set_fields(g, a.dtype.names)
        for k in a.dtype.names:
            g.create_dataset(k, data=references(f, a, lambda e: e[k]), dtype=h5py.ref_dtype)
        return g
    if a.dtype == object:  # a cell
        if a.size == 0:
            return empty(parent, name, 'cell', a.shape)
        ds = parent.create_dataset(name, data=references(f, a, lambda e: e), dtype=h5py.ref_dtype)
        set_class(ds, 'cell')
        return ds
    if a.dtype.kind == 'U':  # char: UTF-16 code units, one row per string
        width = max(len(s) for s in a.ravel())
        a = np.array([[ord(c) for c in s.ljust(width)] for s in a.ravel()], dtype=np.uint16).reshape(a.size, width)
        if width == 0:
            a = np.zeros((0, 0), dtype=np.uint16)  # MATLAB's '' is 0x0
        cls = 'char'
    else:
        cls = CLASSES.get(a.dtype.name, a.dtype.name)
    if a.size == 0:
        return empty(parent, name, cls, a.shape)
    data = np.ascontiguousarray(a.T)
    if a.dtype.kind == 'c':
        pair = np.empty(data.shape, dtype=[('real', '<f8'), ('imag', '<f8')])
        pair['real'], pair['imag'] = data.real, data.imag
        data = pair
    elif cls == 'logical':
        data = data.astype(np.uint8)
    ds = parent.create_dataset(name, data=data)
    set_class(ds, cls)
    if cls in ('char', 'logical'):
        ds.attrs.create('MATLAB_int_decode', np.int32(2 if cls == 'char' else 1))
    return ds

def write73(path, variables):
    count[0] = 0
    f = h5py.File(path, 'w', userblock_size=512)
    f.create_group('#refs#')
    f.create_group('#subsystem#')
    for k, v in variables.items():
        put(f, k, v, f)
    f.close()
    with open(path, 'r+b') as out:
        out.write(HEADER.ljust(116).encode('ascii') + bytes(8) + b'\\x00\\x02IM')

def cell(items, shape):
    c = np.empty(shape, dtype=object)
    for i, x in enumerate(items):
        c.flat[i] = x
    return c

spikes = cell([np.array([[0.125], [0.5], [2.75]]), np.zeros((0, 1)), np.array([[1e-3], [9.5], [10.0], [11.25], [300.0]])], (3, 1))
units = {'spike_times': spikes, 'id': np.array([[101.0], [102.0], [103.0]]), 'location': cell(['PFC', 'FEF', 'PFC'], (3, 1))}
trials = {'start_time': np.array([[0.0, 3.0, 6.0, 9.0]]), 'stop_time': np.array([[1.5, 4.5, 7.5, 10.5]]),
          'coherence': np.array([[-8.0, 8.0, -4.0, 4.0]])}
sarr = np.zeros((1, 3), dtype=[('x', 'O'), ('name', 'O')])
for j in range(3):
    sarr[0, j]['x'] = np.array([[10.0 * j, 1.0]]); sarr[0, j]['name'] = 'n%d' % j
variables = {
    'm': np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]), 'row': np.array([[1.0, 2.0, 3.0]]), 'scalar': np.array([[3.25]]),
    'i32': np.array([[-2**31, 7], [5, 2**31 - 1]], dtype=np.int32), 'i64': np.array([[-2**53 - 1, 2**53 + 1]], dtype=np.int64),
    'u8': np.array([[0, 255]], dtype=np.uint8), 'f32': np.array([[1.5, -2.25]], dtype=np.float32),
    'mask': np.array([[True, False, True], [False, False, True]]), 'z': np.array([[1 + 2j, 0 - 3.5j]]),
    'word': 'hello', 'nothing': '', 'accents': 'h\\u00e9llo w\\u00f6rld \\u03bb', 'rows': np.array(['ab', 'cd', 'ef']),
    'empty': np.zeros((0, 3)), 'emptycell': np.empty((0, 0), dtype=object),
    'nested': {'a': np.array([[1.0]]), 'b': {'c': 'x', 'd': np.array([[1.0, 2.0]])}},
    'units': units, 'trials': trials, 'sarr': sarr,
}
sio.savemat(os.path.join(d, 'v5.mat'), variables, do_compression=True)
write73(os.path.join(d, 'v73.mat'), variables)
write73(os.path.join(d, 'recording.mat'), {'units': units, 'trials': trials})
sio.savemat(os.path.join(d, 'recording5.mat'), {'units': units, 'trials': trials})
write73(os.path.join(d, 'unknown.mat'), {'ok': np.array([[1.0]]), 'weird': np.array([[2.0]])})
write73(os.path.join(d, 'nested.mat'), {'s': {'c': cell([np.array([[1.0]]), np.array([[2.0]])], (1, 2))}})
for name, target in (('unknown.mat', '/weird'), ('nested.mat', '/#refs#/r2')):
    with h5py.File(os.path.join(d, name), 'r+') as f:
        f[target].attrs.create('MATLAB_class', np.bytes_('mystery'))
`;

let dir = '';
let removeDir = async () => {};
let v5: MatFile;
let v73: MatFile;

describe.skipIf(!python.available)(`MATLAB 7.3 files written by h5py as MATLAB lays them out (${python.reason})`, () => {
  beforeAll(async () => {
    ({ dir, remove: removeDir } = await makeTempDir());
    runPython(PY_WRITE, [dir]);
    [v5, v73] = await Promise.all([readMat(join(dir, 'v5.mat')), readMat(join(dir, 'v73.mat'))]);
  }, 60_000);
  afterAll(() => removeDir());

  it('reads the header and every variable but #refs# and #subsystem#', () => {
    expect(v73.version).toBe(7.3);
    expect(v73.header).toBe('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .');
    expect(Object.keys(v73.variables).sort()).toEqual(Object.keys(v5.variables).sort());
  });

  it('gives each variable exactly as the v5 reader gives the same content written by scipy.io.savemat', () => {
    for (const name of Object.keys(v5.variables)) expect([name, v73.variables[name]]).toEqual([name, v5.variables[name]]);
  });

  it('reverses the dimensions and keeps column-major order, 64-bit integers exactly, UTF-16 text', () => {
    const m = v73.variables.m;
    expect(m).toEqual({ kind: 'numeric', class: 'double', shape: [2, 3], data: new Float64Array([1, 4, 2, 5, 3, 6.5]) });
    expect(v73.variables.row).toMatchObject({ shape: [1, 3], data: new Float64Array([1, 2, 3]) });
    expect(v73.variables.scalar).toMatchObject({ shape: [1, 1], data: new Float64Array([3.25]) });
    expect(v73.variables.i32).toMatchObject({ class: 'int32', shape: [2, 2], data: new Float64Array([-(2 ** 31), 5, 7, 2 ** 31 - 1]) });
    expect(v73.variables.i64).toMatchObject({ exact: new BigInt64Array([-(2n ** 53n) - 1n, 2n ** 53n + 1n]) });
    expect(v73.variables.mask).toEqual({ kind: 'logical', shape: [2, 3], data: new Uint8Array([1, 0, 0, 0, 1, 1]) });
    expect(v73.variables.accents).toEqual({ kind: 'char', shape: [1, 13], text: 'h\u00e9llo w\u00f6rld \u03bb' });
    expect(v73.variables.rows).toEqual({ kind: 'char', shape: [3, 2], text: ['ab', 'cd', 'ef'] });
    expect(v73.variables.z).toEqual({ kind: 'complex', class: 'double', shape: [1, 2], real: new Float64Array([1, 0]), imag: new Float64Array([2, -3.5]) });
    expect(v73.variables.empty).toEqual({ kind: 'numeric', class: 'double', shape: [0, 3], data: new Float64Array(0) });
  });

  it('reads cells through their references, an empty element included, and struct arrays field by field', () => {
    const units = v73.variables.units as MatStruct;
    expect(units.fields).toEqual(['spike_times', 'id', 'location']);
    const spikes = units.elements[0].spike_times as MatCell;
    expect(spikes.shape).toEqual([3, 1]);
    expect(spikes.elements.map((e) => e.shape)).toEqual([[3, 1], [0, 1], [5, 1]]);
    expect(spikes.elements[2]).toMatchObject({ data: new Float64Array([1e-3, 9.5, 10, 11.25, 300]) });
    const sarr = v73.variables.sarr as MatStruct;
    expect(sarr.shape).toEqual([1, 3]);
    expect(sarr.elements.map((e) => e.name)).toEqual(['n0', 'n1', 'n2'].map((text) => ({ kind: 'char', shape: [1, 2], text })));
  });

  it('readMatRecording reads the units/trials layout from a 7.3 file as from the v5 file', async () => {
    const from73 = await readMatRecording(join(dir, 'recording.mat'));
    const from5 = await readMatRecording(join(dir, 'recording5.mat'));
    expect({ ...from73, source: '' }).toEqual({ ...from5, source: '' });
    expect(from73.units!.ids).toEqual([101, 102, 103]);
    expect(from73.units!.spikeTimes.map((s) => s.length)).toEqual([3, 0, 5]);
    expect(from73.units!.columns.location).toEqual(['PFC', 'FEF', 'PFC']);
    expect(Array.from(from73.trials!.start)).toEqual([0, 3, 6, 9]);
    expect(from73.trials!.columns.coherence).toEqual([-8, 8, -4, 4]);
  });

  it('keeps the synchronous bytes API refusing 7.3 files', async () => {
    const bytes = new Uint8Array(await readFile(join(dir, 'v73.mat')));
    expect(matVersion(bytes)).toBe(7.3);
    expect(() => decodeMat(bytes, 'v73.mat')).toThrow(/v73\.mat is a MATLAB 7\.3 file \(HDF5\).*read it from its path with readMat/);
  });

  it('names the file and the variable for an unknown MATLAB_class, at the root and inside a struct and cell', async () => {
    const unknown = join(dir, 'unknown.mat');
    await expect(readMat(unknown)).rejects.toThrow(FileFormatError);
    await expect(readMat(unknown)).rejects.toThrow(`${unknown}: variable weird: unknown MATLAB_class 'mystery'`);
    await expect(readMat(join(dir, 'nested.mat'))).rejects.toThrow(/nested\.mat: variable s\.c\{2\}: unknown MATLAB_class 'mystery'/);
  });

  it('says a truncated 7.3 file is truncated', async () => {
    const bytes = await readFile(join(dir, 'v73.mat'));
    const path = join(dir, 'cut.mat');
    await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(readMat(path)).rejects.toThrow(FileFormatError);
    await expect(readMat(path)).rejects.toThrow(/cut\.mat: truncated HDF5 file: \d+ bytes, but its superblock says \d+/);
  });
});
