import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import {
  decodeNpy,
  encodeNpy,
  type NpyArray,
  toFloatTensor,
  toNpyArray,
  toStringScalar,
} from '../../ts/io/npy.js';
import { hexOf, packed, rawNpy } from '../support/io.js';

const SHAPES: number[][] = [[], [0], [5], [2, 3], [2, 0, 4], [1, 2, 1, 3]];

/** Deterministic, distinct values of each dtype for `n` elements. */
function sample(dtype: NpyArray['dtype'], n: number): NpyArray['data'] {
  const ints = Array.from({ length: n }, (_, i) => (i * 7919) % 23 - 11);
  switch (dtype) {
    case 'float32':
      return Float32Array.from(ints, (v) => v / 8);
    case 'float64':
      return Float64Array.from(ints, (v) => v / 3);
    case 'int32':
      return Int32Array.from(ints, (v) => v * 100_000_000);
    case 'int64':
      return BigInt64Array.from(ints, (v) => BigInt(v) * 2n ** 60n);
    case 'uint8':
      return Uint8Array.from(ints, (v) => v + 128);
    case 'bool':
      return Uint8Array.from(ints, (v) => (v > 0 ? 1 : 0));
    case 'unicode':
      return ints.map((v) => ['', 'a', 'é𝄞', 'long string with spaces'][Math.abs(v) % 4]);
  }
}

describe('.npy round trip', () => {
  const dtypes = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool', 'unicode'] as const;
  for (const dtype of dtypes) {
    for (const shape of SHAPES) {
      it(`${dtype} with shape [${shape}]`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const array = { dtype, data: sample(dtype, n), shape } as NpyArray;
        const back = decodeNpy(encodeNpy(array));
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data).toEqual(array.data);
      });
    }
  }

  it('keeps NaN, -0, ±Infinity and subnormals bit for bit', () => {
    const data = new Float64Array([NaN, -0, Infinity, -Infinity, 5e-324, Math.PI]);
    const back = decodeNpy(encodeNpy({ data, shape: [6] }));
    expect(hexOf(back.data as Float64Array)).toBe(hexOf(data));
  });

  it('keeps the int64 extremes exactly', () => {
    const data = new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]);
    const back = decodeNpy(encodeNpy({ dtype: 'int64', data, shape: [2, 2] }));
    expect(back).toEqual({ dtype: 'int64', data, shape: [2, 2] });
  });

  it('infers the dtype of a {data, shape} from the data class', () => {
    expect(decodeNpy(encodeNpy({ data: new Int32Array([1, -2]), shape: [2] })).dtype).toBe('int32');
    expect(decodeNpy(encodeNpy({ data: ['x'], shape: [1] })).dtype).toBe('unicode');
  });

  it('stores a string as a 0-d unicode array as wide as the string (in code points)', () => {
    const bytes = encodeNpy('é𝄞z');
    expect(new TextDecoder().decode(bytes)).toContain("'descr': '<U3'");
    expect(decodeNpy(bytes)).toEqual({ dtype: 'unicode', data: ['é𝄞z'], shape: [] });
  });

  it('drops trailing NULs of strings, as numpy does, and keeps inner ones', () => {
    expect(decodeNpy(encodeNpy({ dtype: 'unicode', data: ['a\0b\0\0'], shape: [1] })).data).toEqual(['a\0b']);
  });
});

describe('.npy header layout', () => {
  it('matches numpy: version 1.0, sorted keys, growth room, data on a 64-byte boundary', () => {
    const bytes = encodeNpy({ data: new Float32Array(6), shape: [2, 3] });
    const headerLength = bytes[8] + 256 * bytes[9];
    const text = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    expect((10 + headerLength) % 64).toBe(0);
    expect(text).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }${' '.repeat(58)}\n`);
    expect(bytes.length).toBe(10 + headerLength + 24);
  });

  it('writes a one-element shape as a Python 1-tuple and a 0-d shape as ()', () => {
    const text = (shape: number[]) =>
      new TextDecoder().decode(encodeNpy({ data: new Float64Array(shape[0] ?? 1), shape }));
    expect(text([3])).toContain("'shape': (3,), }");
    expect(text([])).toContain("'shape': (), }");
  });

  it('switches to version 2.0 when the header exceeds 64 KiB, and reads it back', () => {
    const shape = new Array<number>(25_000).fill(1);
    const bytes = encodeNpy({ data: new Float32Array([7]), shape });
    expect(bytes[6]).toBe(2);
    expect(new DataView(bytes.buffer).getUint32(8, true) + 12).toBe(bytes.length - 4);
    const back = decodeNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect(back.data).toEqual(new Float32Array([7]));
  });
});

describe('.npy reading of what other writers produce', () => {
  const f64 = (v: DataView, at: number, x: number, le: boolean) => v.setFloat64(at, x, le);

  it('reads version 2.0 and 3.0 headers (3.0 is UTF-8)', () => {
    const data = packed([1.5, -2], 8, f64, true);
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    for (const major of [2, 3]) {
      expect(decodeNpy(rawNpy(header, data, major)).data).toEqual(new Float64Array([1.5, -2]));
    }
  });

  it('reads big-endian floats, ints and strings', () => {
    const cases: Array<[string, Uint8Array, unknown]> = [
      ['>f4', packed([1.5, -3], 4, (v, at, x, le) => v.setFloat32(at, x, le), false), new Float32Array([1.5, -3])],
      ['>f8', packed([Math.PI, -0], 8, f64, false), new Float64Array([Math.PI, -0])],
      ['>i4', packed([-5, 2 ** 30], 4, (v, at, x, le) => v.setInt32(at, x, le), false), new Int32Array([-5, 2 ** 30])],
      [
        '>i8',
        packed([-(2n ** 62n), 3n], 8, (v, at, x, le) => v.setBigInt64(at, x, le), false),
        new BigInt64Array([-(2n ** 62n), 3n]),
      ],
      ['>U1', packed([0x1d11e, 0x61], 4, (v, at, x, le) => v.setUint32(at, x, le), false), ['𝄞', 'a']],
    ];
    for (const [descr, bytes, expected] of cases) {
      const array = decodeNpy(rawNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (2,), }`, bytes));
      expect(array.data, descr).toEqual(expected);
    }
  });

  it('transposes Fortran-order data into C order', () => {
    // A[i][j][k] = 100 i + 10 j + k with shape (2, 3, 4), stored first axis fastest.
    const shape = [2, 3, 4];
    const fortran: number[] = [];
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) fortran.push(100 * i + 10 * j + k);
    }
    const header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }";
    const array = decodeNpy(rawNpy(header, packed(fortran, 8, f64, true)));
    const c: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) c.push(100 * i + 10 * j + k);
    expect(array.shape).toEqual(shape);
    expect(array.data).toEqual(new Float64Array(c));
  });

  it('transposes Fortran-order strings too', () => {
    const codes = ['a', 'd', 'b', 'e', 'c', 'f'].map((s) => s.codePointAt(0) as number);
    const header = "{'descr': '<U1', 'fortran_order': True, 'shape': (2, 3), }";
    const bytes = packed(codes, 4, (v, at, x, le) => v.setUint32(at, x, le), true);
    expect(decodeNpy(rawNpy(header, bytes)).data).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it("accepts Python 2 headers with long integers, e.g. (3L,), and double quotes", () => {
    const header = '{"descr": "<f8", "fortran_order": False, "shape": (2L,), }';
    expect(decodeNpy(rawNpy(header, packed([1, 2], 8, f64, true))).data).toEqual(new Float64Array([1, 2]));
  });

  it('returns a view when the data is aligned and a correct copy when it is not', () => {
    const file = encodeNpy({ data: new Float64Array([1, 2, 3]), shape: [3] });
    const aligned = decodeNpy(file);
    expect((aligned.data as Float64Array).buffer).toBe(file.buffer);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const unaligned = decodeNpy(shifted.subarray(3));
    expect(unaligned.data).toEqual(new Float64Array([1, 2, 3]));
    expect((unaligned.data as Float64Array).buffer).not.toBe(shifted.buffer);
  });
});

describe('.npy corrupt or unsupported input', () => {
  const good = encodeNpy({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] });
  const header = (descr: string, shape = '(2,)', fortran = 'False') =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  function expectError(bytes: Uint8Array, pattern: RegExp): void {
    let caught: unknown;
    try {
      decodeNpy(bytes, 'bad.npy');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FileFormatError);
    expect((caught as Error).message).toMatch(/^bad\.npy: /);
    expect((caught as Error).message).toMatch(pattern);
  }

  it('rejects a bad magic string, and points zip archives to loadNpz', () => {
    expectError(new TextEncoder().encode('hello world, not numpy'), /not a \.npy file: bad magic/);
    expectError(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0), /zip archive .*loadNpz/);
  });

  it('rejects truncated headers and data, and trailing bytes', () => {
    expectError(good.subarray(0, 9), /too short/);
    expectError(good.subarray(0, 60), /truncated header: it declares 118 bytes/);
    const cut = good.subarray(0, good.length - 1);
    expectError(cut, /truncated data: shape \[2, 2\] of '<f4' needs 16 data bytes but 15 /);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expectError(longer, /unexpected bytes after the data.*needs 16 data bytes but 20/);
  });

  it('rejects unknown format versions', () => {
    const bytes = good.slice();
    bytes[6] = 4;
    expectError(bytes, /unsupported \.npy format version 4\.0/);
  });

  it('rejects headers that are not a dict with the three keys', () => {
    expectError(rawNpy('[1, 2]'), /header is not a dict/);
    expectError(rawNpy("{'descr': '<f4', 'shape': (2,)"), /header is not a Python literal/);
    const missingKey = "{'descr': '<f4', 'shape': (0,), }";
    expectError(rawNpy(missingKey), /exactly the keys descr, fortran_order, shape; got descr, shape$/);
    const extraKey = "{'descr': '<f4', 'fortran_order': False, 'shape': (0,), 'x': 1}";
    expectError(rawNpy(extraKey), /got descr, fortran_order, shape, x/);
    expectError(rawNpy(header('<f4', '(2, -1)')), /'shape' must be a tuple of non-negative integers; got \[2,-1\]/);
    expectError(rawNpy(header('<f4', '5')), /'shape' must be a tuple/);
    expectError(rawNpy(header('<f4', '(2,)', "'no'")), /'fortran_order' must be True or False/);
    expectError(rawNpy(header('<f4', '(2.5,)')), /only integer numbers/);
  });

  it('rejects object arrays, structured and unknown dtypes, naming the dtype and what is supported', () => {
    expectError(rawNpy(header('|O')), /dtype '\|O' is an object array \(pickled Python objects\)/);
    expectError(
      rawNpy(header('<c16')),
      /unsupported dtype '<c16'; supported: '<f4', '<f8', '<i4', '<i8', '\|u1', '\|b1' and '<U\{n\}'/,
    );
    expectError(rawNpy(header('<f2')), /unsupported dtype '<f2'/);
    expectError(rawNpy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }"), /structured dtype/);
  });

  it('rejects a shape that does not match the byte length', () => {
    expectError(rawNpy(header('<f8', '(3,)'), new Uint8Array(16)), /needs 24 data bytes but 16/);
  });

  it('rejects invalid code points in unicode data', () => {
    const bytes = packed([0x110000], 4, (v, at, x, le) => v.setUint32(at, x, le), true);
    expectError(rawNpy(header('<U1', '(1,)'), bytes), /invalid character code 1114112/);
  });

  it('throws a TypeError for input that is not bytes', () => {
    expect(() => decodeNpy('abc' as never)).toThrow(/bytes must be a Uint8Array; got string/);
  });
});

describe('toNpyArray checks values for the writers', () => {
  it('names the argument and says what was expected', () => {
    expect(() => toNpyArray(42 as never, 'm')).toThrow(/m must be a tensor \{data, shape\}, an NpyArray .* got number/);
    expect(() => toNpyArray({ data: [1, 2], shape: [2] } as never, 'm')).toThrow(/m.data must be an array of strings/);
    expect(() => toNpyArray({ data: new Uint16Array(2), shape: [2] } as never, 'm')).toThrow(
      /m.data must be one of Float32Array, Float64Array, Int32Array, BigInt64Array, Uint8Array or string\[\]; got U/,
    );
    expect(() => toNpyArray({ dtype: 'int32', data: new Float32Array(2), shape: [2] } as never, 'm')).toThrow(
      /m.data must be of type Int32Array for dtype 'int32'; got Float32Array/,
    );
    expect(() => toNpyArray({ dtype: 'complex', data: new Float32Array(2), shape: [2] } as never, 'm')).toThrow(
      /m.dtype must be one of float32, .*unicode; got "complex"/,
    );
    expect(() => toNpyArray({ data: new Float32Array(5), shape: [2, 3] }, 'm')).toThrow(
      /m: shape \[2, 3\] needs 6 values but data has 5/,
    );
    expect(() => toNpyArray({ data: new Float32Array(1), shape: [1.5] }, 'm')).toThrow(
      /m.shape must be an array of non-negative integers/,
    );
    expect(() => toNpyArray({ dtype: 'bool', data: Uint8Array.of(0, 1, 2), shape: [3] }, 'm')).toThrow(
      /m: a bool array holds only 0 and 1; got 2 at flat index 2/,
    );
  });
});

describe('toFloatTensor', () => {
  it('keeps float arrays and converts on request', () => {
    const data = new Float32Array([0.5, 1.5]);
    expect(toFloatTensor({ dtype: 'float32', data, shape: [2] }, 'x').data).toBe(data);
    const widened = toFloatTensor({ dtype: 'float32', data, shape: [2] }, 'x', 'float64');
    expect(widened.data).toEqual(new Float64Array([0.5, 1.5]));
    expect(toFloatTensor({ dtype: 'float64', data: new Float64Array([0.1]), shape: [] }, 'x', 'float32').data).toEqual(
      new Float32Array([Math.fround(0.1)]),
    );
  });

  it('converts integers and bools to float64 by default', () => {
    expect(toFloatTensor({ dtype: 'int32', data: Int32Array.of(-7, 2 ** 31 - 1), shape: [2] }, 'x')).toEqual({
      data: new Float64Array([-7, 2 ** 31 - 1]),
      shape: [2],
    });
    expect(toFloatTensor({ dtype: 'int64', data: BigInt64Array.of(2n ** 53n, -3n), shape: [2] }, 'x').data).toEqual(
      new Float64Array([2 ** 53, -3]),
    );
    expect(toFloatTensor({ dtype: 'bool', data: Uint8Array.of(0, 1), shape: [2] }, 'x', 'float32').data).toEqual(
      new Float32Array([0, 1]),
    );
    const bytes = toFloatTensor({ dtype: 'uint8', data: Uint8Array.of(255), shape: [1] }, 'x');
    expect(bytes.data).toEqual(new Float64Array([255]));
  });

  it('refuses strings and int64 values no double holds exactly', () => {
    expect(() => toFloatTensor({ dtype: 'unicode', data: ['a'], shape: [] }, 'cfg.npy')).toThrow(
      /cfg\.npy holds strings \(numpy dtype '<U'\); expected a numeric array/,
    );
    const unsafe: NpyArray = { dtype: 'int64', data: BigInt64Array.of(0n, 2n ** 53n + 1n), shape: [2] };
    expect(() => toFloatTensor(unsafe, 'i')).toThrow(
      /i: int64 value 9007199254740993 at flat index 1 has no exact float value/,
    );
  });
});

describe('toStringScalar', () => {
  it('returns the string of a one-element unicode array and names the argument otherwise', () => {
    expect(toStringScalar({ dtype: 'unicode', data: ['{"a":1}'], shape: [] }, 'config')).toBe('{"a":1}');
    expect(() => toStringScalar({ dtype: 'float32', data: new Float32Array(1), shape: [] }, 'config')).toThrow(
      /config must be a string .* got dtype float32/,
    );
    expect(() => toStringScalar({ dtype: 'unicode', data: ['a', 'b'], shape: [2] }, 'config')).toThrow(
      /config must hold exactly one string; got shape \[2\]/,
    );
  });
});
