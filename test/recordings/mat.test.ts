// The MAT-file v5 reader against files scipy.io.savemat writes (an independent writer), compressed and not, plus a
// big-endian file built by hand here (scipy writes only the host's byte order) and bad input: not a MAT-file,
// truncated and corrupt files, version 4 and 7.3 files, sparse arrays and objects. The scipy tests skip with the
// reason where python3 lacks scipy.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import {
  decodeMat,
  type MatFile,
  type MatNumeric,
  type MatValue,
  matToJs,
  matVersion,
  readMat,
  rowMajor,
} from '../../ts/recordings/mat.js';
import { pythonWith, runPython } from '../support/python.js';
import { makeTempDir } from '../support/io.js';

const scipy = pythonWith(['numpy', 'scipy']);

/** Writes the fixtures into sys.argv[1]; prints, per variable, numpy's class, MATLAB shape and column-major values. */
const PY_FIXTURES = `
import json, os, sys
import numpy as np, scipy.io as sio, scipy.sparse as sp
from scipy.io.matlab import MatlabObject
d = sys.argv[1]
spikes = np.empty((1, 3), dtype=object)
spikes[0, 0] = np.array([[0.125], [0.5], [2.75]])
spikes[0, 1] = np.zeros((0, 1))
spikes[0, 2] = np.array([[1e-3], [9.5], [10.0], [11.25], [300.0]])
mixed = np.empty((2, 2), dtype=object)
mixed[0, 0] = 'text'; mixed[1, 0] = np.array([[7.0]]); mixed[0, 1] = {'q': np.int16(-3)}; mixed[1, 1] = np.zeros((0, 0))
sarr = np.zeros((2, 3), dtype=[('x', 'O'), ('name', 'O')])
for i in range(2):
    for j in range(3):
        sarr[i, j]['x'] = np.array([[10.0 * i + j]]); sarr[i, j]['name'] = 'n%d%d' % (i, j)
numeric = {
    'd2': np.arange(12.0).reshape(3, 4) / 8 - 0.5,
    'd3': np.arange(24.0).reshape(2, 3, 4) * 1.5,
    'f4': np.array([[1.5, -2.25], [3e-8, 7.1]], dtype=np.float32),
    'i8': np.array([[-128, 0, 127]], dtype=np.int8), 'u8': np.array([[0, 1, 255]], dtype=np.uint8),
    'i16': np.array([[-32768], [32767]], dtype=np.int16), 'u16': np.array([[65535, 2]], dtype=np.uint16),
    'i32': np.array([[-2**31, 2**31 - 1], [5, -6]], dtype=np.int32), 'u32': np.array([[2**32 - 1, 0]], dtype=np.uint32),
    'i64': np.array([[-2**53 - 1, 2**53 + 1, 42]], dtype=np.int64), 'u64': np.array([[2**64 - 1, 3]], dtype=np.uint64),
    'row': np.array([[1.0, 2.0, 3.0]]), 'col': np.array([[1.0], [2.0], [3.0]]), 'oned': np.array([4.0, 5.0]),
    'scalar': 3.25, 'int_scalar': np.int32(-7), 'specials': np.array([[np.nan, np.inf, -np.inf, -0.0, 5e-324]]),
    'empty03': np.zeros((0, 3)), 'empty00': np.zeros((0, 0)),
}
variables = dict(numeric)
variables.update({
    'mask': np.array([[True, False, True], [False, False, True]]),
    'z': np.array([[1 + 2j, -3.5j], [0, 4]]),
    'word': 'hello', 'unicode': 'h\\u00e9llo w\\u00f6rld \\u03bb \\U0001d11e', 'rows': np.array(['ab', 'cd', 'ef']),
    'nothing': '',
    'nested': {'a': 1.0, 'b': {'c': 'x', 'd': np.array([[1.0, 2.0]])}},
    'sarr': sarr, 'spikes': spikes, 'mixed': mixed, 'emptycell': np.empty((0, 0), dtype=object),
})
sio.savemat(os.path.join(d, 'plain.mat'), variables, do_compression=False)
sio.savemat(os.path.join(d, 'zipped.mat'), variables, do_compression=True)
sio.savemat(os.path.join(d, 'v4.mat'), {'a': np.arange(6.0).reshape(2, 3)}, format='4')
sio.savemat(os.path.join(d, 'sparse.mat'), {'ok': 1.0, 'sp': sp.csc_matrix(np.eye(3))})
obj = np.zeros((1, 1), dtype=[('f', 'O')]); obj[0, 0]['f'] = np.array([[1.0]])
sio.savemat(os.path.join(d, 'object.mat'), {'obj': MatlabObject(obj, 'myclass')})
def describe(a):
    a = np.atleast_2d(np.asarray(a))
    return {'dtype': a.dtype.name, 'shape': list(a.shape), 'values': [float(v) for v in a.ravel(order='F')]}
print(json.dumps({k: describe(v) for k, v in numeric.items() if k not in ('specials', 'i64', 'u64')}))
`;

const CLASS_OF: Record<string, string> = { float64: 'double', float32: 'single' };

let dir = '';
let removeDir = async () => {};
let described: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
const files: Record<string, MatFile> = {};

beforeAll(async () => {
  ({ dir, remove: removeDir } = await makeTempDir());
  if (!scipy.available) return;
  described = JSON.parse(runPython(PY_FIXTURES, [dir]));
  for (const name of ['plain', 'zipped']) files[name] = await readMat(join(dir, `${name}.mat`));
});

afterAll(() => removeDir());

function numeric(v: MatValue | undefined): MatNumeric {
  if (v?.kind !== 'numeric') throw new Error(`expected a numeric array, got ${v?.kind}`);
  return v;
}

describe.skipIf(!scipy.available)(`files scipy.io.savemat writes (${scipy.reason})`, () => {
  for (const name of ['plain', 'zipped']) {
    describe(name === 'plain' ? 'uncompressed' : 'compressed (do_compression=True)', () => {
      it('reads every numeric class, shape and value exactly as numpy holds it (column-major)', () => {
        const { variables } = files[name];
        for (const [key, want] of Object.entries(described)) {
          const got = numeric(variables[key]);
          expect(got.class, key).toBe(CLASS_OF[want.dtype] ?? want.dtype);
          expect(got.shape, key).toEqual(want.shape);
          expect(Array.from(got.data), key).toEqual(want.values);
        }
        expect(files[name].version).toBe(5);
        expect(files[name].header).toMatch(/^MATLAB 5\.0 MAT-file/);
      });

      it('keeps shapes: 3-D, row, column, 1-D as a row, scalars, empties', () => {
        const v = files[name].variables;
        expect(numeric(v.d3).shape).toEqual([2, 3, 4]);
        // element (i, j, k) of numpy's arange(24).reshape(2, 3, 4) * 1.5 sits at i + 2j + 6k in column-major order
        expect(numeric(v.d3).data[1 + 2 * 2 + 6 * 3]).toBe((1 * 12 + 2 * 4 + 3) * 1.5);
        expect(numeric(v.row).shape).toEqual([1, 3]);
        expect(numeric(v.col).shape).toEqual([3, 1]);
        expect(numeric(v.oned).shape).toEqual([1, 2]);
        expect(numeric(v.scalar)).toMatchObject({ class: 'double', shape: [1, 1], data: new Float64Array([3.25]) });
        expect(numeric(v.int_scalar)).toMatchObject({ class: 'int32', shape: [1, 1], data: new Float64Array([-7]) });
        expect(numeric(v.empty03)).toMatchObject({ shape: [0, 3], data: new Float64Array(0) });
        expect(numeric(v.empty00)).toMatchObject({ shape: [0, 0], data: new Float64Array(0) });
        expect(numeric(v.f4).data[2]).toBe(Math.fround(-2.25));
        expect(numeric(v.f4).data[3]).toBe(Math.fround(7.1));
      });

      it('reads IEEE specials bit for bit and 64-bit integers exactly', () => {
        const v = files[name].variables;
        const specials = Array.from(numeric(v.specials).data);
        expect(specials).toEqual([NaN, Infinity, -Infinity, -0, 5e-324]);
        expect(Object.is(specials[3], -0)).toBe(true);
        expect(Array.from(numeric(v.i64).exact ?? [])).toEqual([-(2n ** 53n) - 1n, 2n ** 53n + 1n, 42n]);
        expect(Array.from(numeric(v.u64).exact ?? [])).toEqual([2n ** 64n - 1n, 3n]);
        expect(numeric(v.u64).data[0]).toBe(2 ** 64);
      });

      it('reads logical, complex and char arrays (non-ASCII, non-BMP, several rows, empty)', () => {
        const v = files[name].variables;
        expect(v.mask).toEqual({ kind: 'logical', shape: [2, 3], data: new Uint8Array([1, 0, 0, 0, 1, 1]) });
        expect(v.z).toEqual({
          kind: 'complex',
          class: 'double',
          shape: [2, 2],
          real: new Float64Array([1, 0, -0, 4]), // python's -3.5j is complex(-0.0, -3.5)
          imag: new Float64Array([2, 0, -3.5, 0]),
        });
        expect(v.word).toEqual({ kind: 'char', shape: [1, 5], text: 'hello' });
        expect(v.unicode).toMatchObject({ kind: 'char', text: 'h\u00e9llo w\u00f6rld \u03bb \u{1d11e}' });
        expect(v.rows).toEqual({ kind: 'char', shape: [3, 2], text: ['ab', 'cd', 'ef'] });
        expect(v.nothing).toMatchObject({ kind: 'char', text: '' });
      });

      it('reads nested structs, struct arrays and cells (ragged spike trains, mixed, empty)', () => {
        const js = Object.fromEntries(Object.entries(files[name].variables).map(([k, val]) => [k, matToJs(val)]));
        expect(js.nested).toEqual({ a: 1, b: { c: 'x', d: { data: new Float64Array([1, 2]), shape: [1, 2] } } });
        expect(js.sarr).toEqual([0, 1].map((i) => [0, 1, 2].map((j) => ({ x: 10 * i + j, name: `n${i}${j}` }))));
        expect(files[name].variables.sarr).toMatchObject({ kind: 'struct', shape: [2, 3], fields: ['x', 'name'] });
        expect(js.spikes).toEqual([
          { data: new Float64Array([0.125, 0.5, 2.75]), shape: [3, 1] },
          { data: new Float64Array(0), shape: [0, 1] },
          { data: new Float64Array([1e-3, 9.5, 10, 11.25, 300]), shape: [5, 1] },
        ]);
        expect(js.mixed).toEqual([
          ['text', { q: -3 }],
          [7, { data: new Float64Array(0), shape: [0, 0] }],
        ]);
        expect(js.emptycell).toEqual([]);
      });
    });
  }

  it('matToJs gives row-major tensors', () => {
    const d2 = matToJs(files.plain.variables.d2);
    expect(d2).toEqual({ data: Float64Array.from({ length: 12 }, (_, i) => i / 8 - 0.5), shape: [3, 4] });
    expect(matToJs(files.plain.variables.mask)).toEqual({ data: new Uint8Array([1, 0, 1, 0, 0, 1]), shape: [2, 3] });
    expect(matToJs(files.plain.variables.scalar)).toBe(3.25);
    // numpy's arange(24).reshape(2, 3, 4) * 1.5 in C order is the row-major order of the same shape
    expect(matToJs(files.plain.variables.d3)).toEqual({
      data: Float64Array.from({ length: 24 }, (_, i) => i * 1.5),
      shape: [2, 3, 4],
    });
    expect(matToJs(files.plain.variables.z)).toEqual({
      real: new Float64Array([1, -0, 0, 4]),
      imag: new Float64Array([2, -3.5, 0, 0]),
      shape: [2, 2],
    });
    expect(matToJs(files.plain.variables.rows)).toEqual(['ab', 'cd', 'ef']);
  });

  it('refuses sparse arrays and objects, naming the variable', async () => {
    await expect(readMat(join(dir, 'sparse.mat'))).rejects.toThrow(/sparse arrays are not supported \(variable sp\)/);
    await expect(readMat(join(dir, 'object.mat'))).rejects.toThrow(/MATLAB objects are not supported \(variable obj\)/);
  });

  it('refuses version 4 files', async () => {
    const path = join(dir, 'v4.mat');
    expect(matVersion(await readFile(path))).toBe(4);
    await expect(readMat(path)).rejects.toThrow(
      /v4\.mat is a MATLAB version 4 file, which is not supported; save it with -v7/,
    );
  });

  it('names the file, the variable and the byte offset of a truncated file', async () => {
    for (const name of ['plain', 'zipped']) {
      const bytes = await readFile(join(dir, `${name}.mat`));
      const vars = Object.keys(files[name].variables);
      for (const cut of [bytes.length - 3, 128 + 4, Math.floor(bytes.length / 2)]) {
        const err = catchError(() => decodeMat(bytes.subarray(0, cut), 'cut.mat'));
        expect(err).toBeInstanceOf(FileFormatError);
        const who = /^cut\.mat: (?:variable (\w+)|the variable after (\w+)|the first variable): /;
        expect(err.message).toMatch(/ runs past the end .*\(at byte \d+\)$/);
        const match = who.exec(err.message);
        expect(match, err.message).not.toBeNull();
        if (cut === 128 + 4) expect(err.message).toContain('the first variable');
        else expect(vars, err.message).toContain(match?.[1] ?? match?.[2]);
      }
    }
  });

  it('refuses a compressed variable whose bytes were corrupted', async () => {
    const bytes = new Uint8Array(await readFile(join(dir, 'zipped.mat')));
    // the last variable's zlib stream ends the file: its last 4 bytes are the Adler-32 checksum
    const cases: [number, RegExp][] = [
      [bytes.length - 1, /fails its checksum \(the file is corrupt\)/],
      [bytes.length - 20, /fails its checksum|does not inflate/],
    ];
    for (const [at, problem] of cases) {
      const copy = bytes.slice();
      copy[at] ^= 0x01;
      const err = catchError(() => decodeMat(copy, 'flip.mat'));
      expect(err).toBeInstanceOf(FileFormatError);
      const who = /^flip\.mat: (variable emptycell|the variable after mixed) is compressed but /;
      expect(err.message).toMatch(who);
      expect(err.message).toMatch(/\(at byte \d+\)$/);
      expect(err.message).toMatch(problem);
    }
  });

  it('names the variable and offset of a bad tag inside an array', async () => {
    const bytes = new Uint8Array(await readFile(join(dir, 'plain.mat')));
    // the first variable's array flags tag (type miUINT32 = 6) follows the 8-byte miMATRIX tag at byte 128
    expect(new DataView(bytes.buffer).getUint32(136, true)).toBe(6);
    bytes[136] = 99;
    const err = catchError(() => decodeMat(bytes, 'bad.mat'));
    expect(err.message).toMatch(/^bad\.mat: .*unknown data element type 99 \(at byte 136\)$/);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** A big-endian MAT-file built by hand (scipy writes only the host's order): a 2x3 double, an int16 row, a char. */
function bigEndianFile(): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const text = 'MATLAB 5.0 MAT-file, big-endian, written by hand'.padEnd(116, ' ');
  for (const ch of text) out.push(ch.charCodeAt(0));
  out.push(0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x4d, 0x49); // no subsystem data, version 0x0100, 'MI'
  const matrix = (cls: number, dims: number[], name: string, data: () => void) => {
    const tagAt = out.length;
    u32(14);
    u32(0);
    u32(6), u32(8), u32(cls), u32(0);
    u32(5), u32(4 * dims.length), dims.forEach(u32);
    if (dims.length % 2) u32(0);
    out.push(0, name.length, 0, 1, ...Array.from(name, (c) => c.charCodeAt(0)), ...Array(4 - name.length).fill(0));
    data();
    const size = out.length - tagAt - 8;
    out.splice(tagAt + 4, 4, (size >>> 24) & 255, (size >>> 16) & 255, (size >>> 8) & 255, size & 255);
  };
  matrix(6, [2, 3], 'm', () => {
    u32(9), u32(48);
    for (const v of [1.5, -2, 0.25, 1e300, -0, 7]) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, false);
      out.push(...b);
    }
  });
  matrix(10, [1, 2], 'k', () => out.push(0, 4, 0, 3, 0x80, 0x00, 0x7f, 0xff)); // small miINT16
  matrix(4, [1, 2], 'c', () => out.push(0, 4, 0, 4, 0x00, 0xe9, 0x03, 0xbb)); // small miUINT16 'é', 'λ'
  return new Uint8Array(out);
}

describe('hand-built files', () => {
  it('reads a big-endian file (byte-order mark MI, small data elements)', () => {
    const { variables } = decodeMat(bigEndianFile(), 'be.mat');
    const m = new Float64Array([1.5, -2, 0.25, 1e300, -0, 7]);
    expect(variables.m).toEqual({ kind: 'numeric', class: 'double', shape: [2, 3], data: m });
    expect(Object.is((variables.m as MatNumeric).data[4], -0)).toBe(true);
    const k = new Float64Array([-32768, 32767]);
    expect(variables.k).toEqual({ kind: 'numeric', class: 'int16', shape: [1, 2], data: k });
    expect(variables.c).toEqual({ kind: 'char', shape: [1, 2], text: '\u00e9\u03bb' });
    expect(rowMajor((variables.m as MatNumeric).data, [2, 3])).toEqual(new Float64Array([1.5, 0.25, -0, -2, 1e300, 7]));
  });

  it('refuses a version 7.3 file (HDF5 after a 512-byte header) from bytes; readMat sends it to the 7.3 reader', async () => {
    const bytes = new Uint8Array(600);
    const text = 'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 .';
    bytes.set(Buffer.from(text.padEnd(116, ' '), 'latin1'));
    bytes.set([0, 2, 0x49, 0x4d], 124);
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 512);
    expect(matVersion(bytes)).toBe(7.3);
    const path = join(dir, 'v73.mat');
    await writeFile(path, bytes);
    expect(() => decodeMat(bytes, 'v73.mat')).toThrow(
      /^v73\.mat is a MATLAB 7\.3 file \(HDF5\), which decodeMat does not decode from bytes; read it from its path with readMat$/,
    );
    // readMat reads 7.3 files (test/recordings/mat73.test.ts); this one is only a signature, so HDF5 cannot open it
    await expect(readMat(path)).rejects.toThrow(FileFormatError);
    await expect(readMat(path)).rejects.toThrow(`${path}: `);
  });

  it('refuses bytes that are not a MAT-file', () => {
    const junk = new TextEncoder().encode('just some text that is long enough to fill a header? '.repeat(4));
    expect(matVersion(junk)).toBe('unknown');
    expect(() => decodeMat(junk, 'notes.txt')).toThrow(FileFormatError);
    const message = /^notes\.txt is not a MATLAB \.mat file \(212 bytes; no level-5 header\)$/;
    expect(() => decodeMat(junk, 'notes.txt')).toThrow(message);
    expect(() => decodeMat(new Uint8Array(0), 'empty.mat')).toThrow(/empty\.mat is not a MATLAB \.mat file/);
  });
});
