// Interoperability with numpy itself: files numpy writes load here, files written here load in numpy, byte for
// byte where numpy would write the same bytes. Needs python3 with numpy; skipped with the reason otherwise.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeNpy,
  encodeNpy,
  loadNpz,
  type NpyArray,
  type NpyValue,
  readNpy,
  saveNpy,
  saveNpz,
  toStringScalar,
} from '../../ts/io/index.js';
import { type Described, hexOf, makeTempDir, numpy, PY_DESCRIBE, runPython } from '../support/io.js';

const CFG = { kind: 'lowrank', alpha: 0.2, note: 'é𝄞', flags: [true, false], nested: { rank: 2 } };

/** Writes numpy's fixtures into sys.argv[1] and prints, as JSON, numpy's own description of each. */
const PY_FIXTURES = `${PY_DESCRIBE}
import os
from numpy.lib import format as fmt
d = sys.argv[1]
cfg = json.loads(sys.argv[2])
cfg_text = json.dumps(cfg, ensure_ascii=False, separators=(',', ':'))
good = {
    'f4_2d': np.arange(12, dtype='<f4').reshape(3, 4) / 8 - 0.5,
    'f8_specials': np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, np.pi]),
    'f4_0d': np.array(2.5, dtype='<f4'),
    'f8_empty': np.zeros((2, 0, 3)),
    # numpy's growth room in the header decides the padding for this shape (182 header bytes, not 118)
    'f4_14d': np.arange(100, dtype='<f4').reshape((1,) * 13 + (100,)),
    'i4': np.array([[-2**31, -1], [0, 2**31 - 1]], dtype='<i4'),
    'i8': np.array([-(2**63), -1, 0, 2**53 + 1, 2**63 - 1], dtype='<i8'),
    'i8_default': np.arange(5),
    'u1': np.arange(256, dtype='|u1').reshape(16, 16),
    'b1': np.array([[True, False, True], [False, False, True]]),
    'str_0d': np.array(cfg_text),
    'str_1d': np.array(['alpha', '', '\\u00e9', '\\U0001d11ex']),
    'str_2d': np.array([['a', 'bb'], ['ccc', '']]),
    'fortran_f8': np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)),
    'fortran_i4': np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)),
    'fortran_str': np.asfortranarray(np.array([['a', 'bb', 'c'], ['dd', 'e', 'ff']])),
    'big_f4': np.arange(6, dtype='>f4').reshape(2, 3),
    'big_f8': np.array([1.5, -2.25, np.inf], dtype='>f8'),
    'big_i8': np.array([-(2**40), 7], dtype='>i8'),
    'big_U': np.array(['ab', '\\u00e9'], dtype='>U2'),
}
out = {'arrays': {}, 'fortran': {}}
for name, a in good.items():
    np.save(os.path.join(d, name + '.npy'), a)
    out['arrays'][name] = describe(a)
for name, version in [('v2', (2, 0)), ('v3', (3, 0))]:
    a = np.arange(3, dtype='<f8') - 1.5
    with open(os.path.join(d, name + '.npy'), 'wb') as f:
        fmt.write_array(f, a, version=version)
    out['arrays'][name] = describe(a)
for name in good:
    with open(os.path.join(d, name + '.npy'), 'rb') as f:
        fmt.read_magic(f)
        out['fortran'][name] = fmt.read_array_header_1_0(f)[1]
bad = {
    'object': np.array([{'a': 1}, None], dtype=object),
    'c16': np.arange(3, dtype=np.complex128),
    'structured': np.zeros(2, dtype=[('x', '<f4'), ('y', '<i4')]),
    'f2': np.arange(3, dtype='<f2'),
    'bytes': np.array([b'ab']),
}
for name, a in bad.items():
    np.save(os.path.join(d, 'bad_' + name + '.npy'), a, allow_pickle=True)
npz = {'m': np.arange(6, dtype='<f4').reshape(3, 2) / 4, 'n': np.array([[1.5], [-2.0]]), 'labels': np.arange(3),
       'config': json.dumps(cfg)}
np.savez(os.path.join(d, 'stored.npz'), **npz)
np.savez_compressed(os.path.join(d, 'compressed.npz'), **npz)
out['npz'] = {k: describe(v) for k, v in npz.items()}
print(json.dumps(out))
`;

/** Loads each path in sys.argv[1:] with numpy and prints numpy's description of what it found. */
const PY_LOAD = `${PY_DESCRIBE}
out = {}
for path in sys.argv[1:]:
    if path.endswith('.npz'):
        with np.load(path, allow_pickle=False) as z:
            out[path] = {k: describe(z[k]) for k in z.files}
        out[path + ':testzip'] = zipfile.ZipFile(path).testzip()
    else:
        out[path] = describe(np.load(path, allow_pickle=False))
print(json.dumps(out))
`;

const DTYPE_OF: Record<string, NpyArray['dtype']> = {
  f4: 'float32',
  f8: 'float64',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
};

/** Asserts that `array` is what numpy described: same dtype, shape and C-order values. */
function expectMatches(array: NpyArray, described: Described, label: string): void {
  const kind = described.descr.slice(1);
  expect(array.dtype, label).toBe(kind.startsWith('U') ? 'unicode' : DTYPE_OF[kind]);
  expect(array.shape, label).toEqual(described.shape);
  if (array.dtype === 'unicode') expect(array.data, label).toEqual(described.strings);
  else expect(hexOf(array.data), label).toBe(described.hex);
}

/** The description numpy should give of a value we write, computed from the value alone. */
function describeOurs(value: NpyValue, descr: string): Described {
  if (typeof value === 'string') return { descr, shape: [], strings: [value] };
  const { data, shape } = value;
  return Array.isArray(data) ? { descr, shape, strings: data } : { descr, shape, hex: hexOf(data) };
}

const title = numpy.available ? `numpy interop (${numpy.reason})` : `numpy interop: SKIPPED, ${numpy.reason}`;

describe.skipIf(!numpy.available)(title, () => {
  let dir = '';
  let remove = async () => {};
  let fixtures: { arrays: Record<string, Described>; fortran: Record<string, boolean>; npz: Record<string, Described> };

  beforeAll(async () => {
    ({ dir, remove } = await makeTempDir());
    fixtures = JSON.parse(runPython(PY_FIXTURES, [dir, JSON.stringify(CFG)]));
  });
  afterAll(() => remove());

  const file = (name: string) => join(dir, `${name}.npy`);

  it('reads every supported .npy numpy writes: each dtype, 0-d, empty, Fortran order, big-endian, v2, v3', async () => {
    expect(Object.keys(fixtures.arrays)).toHaveLength(22);
    for (const [name, described] of Object.entries(fixtures.arrays)) {
      expectMatches(await readNpy(file(name)), described, name);
    }
  });

  it('covers Fortran order for real: numpy flagged those files fortran_order=True', () => {
    const flagged = Object.keys(fixtures.fortran).filter((name) => fixtures.fortran[name]);
    expect(flagged.sort()).toEqual(['fortran_f8', 'fortran_i4', 'fortran_str']);
  });

  it('writes the very bytes numpy.save writes for C-order little-endian arrays', async () => {
    const names = ['f4_2d', 'f8_specials', 'f4_0d', 'f8_empty', 'f4_14d', 'i4', 'i8', 'i8_default', 'u1', 'b1'];
    names.push('str_0d', 'str_1d', 'str_2d');
    for (const name of names) {
      const bytes = new Uint8Array(await readFile(file(name)));
      expect(encodeNpy(decodeNpy(bytes)), name).toEqual(bytes);
    }
  });

  it('writes those bytes from values built here, independently of numpy', async () => {
    const built: Record<string, NpyValue> = {
      f4_2d: { data: Float32Array.from({ length: 12 }, (_, i) => i / 8 - 0.5), shape: [3, 4] },
      f4_14d: { data: Float32Array.from({ length: 100 }, (_, i) => i), shape: [...new Array<number>(13).fill(1), 100] },
      i8_default: { dtype: 'int64', data: BigInt64Array.of(0n, 1n, 2n, 3n, 4n), shape: [5] },
      b1: { dtype: 'bool', data: Uint8Array.of(1, 0, 1, 0, 0, 1), shape: [2, 3] },
      str_0d: JSON.stringify(CFG),
      str_2d: { dtype: 'unicode', data: ['a', 'bb', 'ccc', ''], shape: [2, 2] },
    };
    for (const [name, value] of Object.entries(built)) {
      expect(encodeNpy(value), name).toEqual(new Uint8Array(await readFile(file(name))));
    }
  });

  it('rejects the dtypes it does not support, naming the file and the dtype', async () => {
    const cases: Array<[string, RegExp]> = [
      ['bad_object', /bad_object\.npy: dtype '\|O' is an object array/],
      ['bad_c16', /bad_c16\.npy: unsupported dtype '<c16'; supported: /],
      ['bad_structured', /bad_structured\.npy: structured dtype \[\["x","<f4"\],\["y","<i4"\]\]/],
      ['bad_f2', /bad_f2\.npy: unsupported dtype '<f2'/],
      ['bad_bytes', /bad_bytes\.npy: unsupported dtype '\|S2'/],
    ];
    for (const [name, pattern] of cases) await expect(readNpy(file(name)), name).rejects.toThrow(pattern);
  });

  it('loads np.savez and np.savez_compressed archives, config included', async () => {
    for (const name of ['stored', 'compressed']) {
      const arrays = await loadNpz(join(dir, `${name}.npz`));
      expect(Object.keys(arrays), name).toEqual(['m', 'n', 'labels', 'config']);
      for (const [key, described] of Object.entries(fixtures.npz)) {
        expectMatches(arrays[key], described, `${name}:${key}`);
      }
      expect(JSON.parse(toStringScalar(arrays.config, 'config'))).toEqual(CFG);
    }
  });

  it('numpy reads back every dtype and shape written here, as .npy and as .npz (stored, deflated, zip64)', async () => {
    const ours: Record<string, [NpyValue, string]> = {
      f4: [{ data: Float32Array.from({ length: 6 }, (_, i) => i * 1.25 - 3), shape: [2, 3] }, '<f4'],
      f8_0d: [{ data: Float64Array.of(-0), shape: [] }, '<f8'],
      f8_empty: [{ data: new Float64Array(0), shape: [3, 0] }, '<f8'],
      f8_special: [{ data: Float64Array.of(NaN, Infinity, -Infinity, 5e-324), shape: [2, 2] }, '<f8'],
      i4: [{ dtype: 'int32', data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1), shape: [2] }, '<i4'],
      i8: [{ dtype: 'int64', data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 5n), shape: [3, 1] }, '<i8'],
      u1: [{ dtype: 'uint8', data: Uint8Array.of(0, 127, 255), shape: [1, 3] }, '|u1'],
      bool: [{ dtype: 'bool', data: Uint8Array.of(1, 0, 0, 1), shape: [2, 2] }, '|b1'],
      str_1d: [{ dtype: 'unicode', data: ['', 'é', '𝄞𝄞x'], shape: [3] }, '<U3'],
      str_2d: [{ dtype: 'unicode', data: ['ab', 'c', 'd', 'efg'], shape: [2, 2] }, '<U3'],
      str_0d: ['plain', '<U5'],
    };
    const paths: string[] = [];
    for (const [name, [value]] of Object.entries(ours)) {
      paths.push(join(dir, `ours_${name}.npy`));
      await saveNpy(paths[paths.length - 1], value);
    }
    const record = Object.fromEntries(Object.entries(ours).map(([name, [value]]) => [name, value]));
    const archives = { stored: {}, deflated: { compress: true }, zip64: { forceZip64: true } };
    for (const [name, options] of Object.entries(archives)) {
      paths.push(join(dir, `ours_${name}.npz`));
      await saveNpz(paths[paths.length - 1], record, options);
    }
    const seen: Record<string, unknown> = JSON.parse(runPython(PY_LOAD, paths));
    const expected = Object.fromEntries(
      Object.entries(ours).map(([name, [value, descr]]) => [name, describeOurs(value, descr)]),
    );
    for (const name of Object.keys(ours)) expect(seen[join(dir, `ours_${name}.npy`)], name).toEqual(expected[name]);
    for (const name of Object.keys(archives)) {
      const path = join(dir, `ours_${name}.npz`);
      expect(seen[path], name).toEqual(expected);
      expect(seen[`${path}:testzip`], `${name}: zipfile.testzip() finds a bad CRC`).toBeNull();
    }
  });

  it("stores a JSON config that json.loads(str(np.load(f)['config'])) reads", async () => {
    const path = join(dir, 'model.npz');
    await saveNpz(path, { m: { data: new Float32Array([1, 2]), shape: [2, 1] }, config: JSON.stringify(CFG) });
    const script = `
import json, sys
import numpy as np
f = np.load(sys.argv[1])
c = f['config']
print(json.dumps({'cfg': json.loads(str(c)), 'shape': list(c.shape), 'kind': c.dtype.kind}))
`;
    expect(JSON.parse(runPython(script, [path]))).toEqual({ cfg: CFG, shape: [], kind: 'U' });
  });
});
