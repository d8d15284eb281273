import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import { encodeNpy, type NpyValue } from '../../ts/io/npy.js';
import { decodeNpz, encodeNpz } from '../../ts/io/npz.js';
import { unzip, zipChunks } from '../../ts/io/zip.js';
import { concatBytes } from '../../ts/io/bytes.js';

const arrays: Record<string, NpyValue> = {
  m: { data: Float32Array.from({ length: 40 }, (_, i) => i / 4), shape: [20, 2] },
  n: { data: new Float64Array([1, -2, 3.5]), shape: [3, 1] },
  labels: { dtype: 'int64', data: BigInt64Array.of(0n, 1n, -1n), shape: [3] },
  mask: { dtype: 'bool', data: Uint8Array.of(1, 0), shape: [2] },
  empty: { data: new Float32Array(0), shape: [0, 5] },
  config: JSON.stringify({ kind: 'lowrank', alpha: 0.2, note: 'é𝄞' }),
};

const expected = {
  m: { dtype: 'float32', data: Float32Array.from({ length: 40 }, (_, i) => i / 4), shape: [20, 2] },
  n: { dtype: 'float64', data: new Float64Array([1, -2, 3.5]), shape: [3, 1] },
  labels: { dtype: 'int64', data: BigInt64Array.of(0n, 1n, -1n), shape: [3] },
  mask: { dtype: 'bool', data: Uint8Array.of(1, 0), shape: [2] },
  empty: { dtype: 'float32', data: new Float32Array(0), shape: [0, 5] },
  config: { dtype: 'unicode', data: ['{"kind":"lowrank","alpha":0.2,"note":"é𝄞"}'], shape: [] },
};

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeNpz(bytes, 'model.npz');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FileFormatError);
  expect((caught as Error).message).toMatch(/^model\.npz[:,] /);
  expect((caught as Error).message).toMatch(pattern);
}

/** Offset of the first occurrence of `needle` in `bytes`. */
function indexOf(bytes: Uint8Array, needle: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(needle, 0, 'latin1');
}

describe('.npz round trip', () => {
  for (const options of [{}, { compress: true }, { forceZip64: true }, { compress: true, forceZip64: true }]) {
    it(`keeps every array and the key order (${JSON.stringify(options)})`, () => {
      const back = decodeNpz(encodeNpz(arrays, options));
      expect(back).toEqual(expected);
      expect(Object.keys(back)).toEqual(Object.keys(arrays));
    });
  }

  it('deflates when asked, and the output is reproducible', () => {
    const big = { x: { data: new Float64Array(10_000), shape: [10_000] } };
    const stored = encodeNpz(big);
    const deflated = encodeNpz(big, { compress: true });
    expect(stored.length).toBeGreaterThan(80_000);
    expect(deflated.length).toBeLessThan(1_000);
    expect(encodeNpz(big, { compress: true })).toEqual(deflated);
  });

  it('stores each entry as NAME.npy holding exactly the .npy bytes', () => {
    const entries = unzip(encodeNpz({ a: 'x', b: { data: new Float32Array([1]), shape: [] } }), 't');
    expect(entries.map((e) => e.name)).toEqual(['a.npy', 'b.npy']);
    expect(entries[1].data).toEqual(encodeNpy({ data: new Float32Array([1]), shape: [] }));
  });

  it('aligns stored arrays so that they load as views of the file, without a copy', () => {
    const bytes = encodeNpz({ a: 'x', m: { data: new Float64Array([1, 2, 3]), shape: [3] } });
    const back = decodeNpz(bytes);
    expect(back.m.data).toEqual(new Float64Array([1, 2, 3]));
    expect((back.m.data as Float64Array).buffer).toBe(bytes.buffer);
  });

  it('treats a "__proto__" array name as an ordinary key', () => {
    const back = decodeNpz(encodeNpz({ ['__proto__']: 'p', q: 'q' }));
    expect(Object.keys(back)).toEqual(['__proto__', 'q']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('decodes an empty archive to an empty record', () => {
    expect(decodeNpz(encodeNpz({}))).toEqual({});
  });
});

describe('.npz writer argument checks', () => {
  it('names the bad argument', () => {
    expect(() => encodeNpz(null as never)).toThrow(/arrays must be an object mapping names to arrays; got null/);
    expect(() => encodeNpz({ '': 'x' })).toThrow(/an array name must not be empty/);
    expect(() => encodeNpz({ m: { data: new Float32Array(3), shape: [2] } })).toThrow(
      /arrays\["m"\]: shape \[2\] needs 2 values but data has 3/,
    );
  });
});

describe('.npz corrupt or unsupported input', () => {
  const stored = encodeNpz(arrays);

  it('rejects bytes that are not a zip archive, and points .npy files to loadNpy', () => {
    expectError(new TextEncoder().encode('x'.repeat(100)), /not a zip archive, or truncated/);
    expectError(new Uint8Array(3), /not a zip archive/);
    expectError(encodeNpy('x'), /it is a \.npy file; load it with loadNpy/);
  });

  it('rejects truncated archives', () => {
    expectError(stored.subarray(0, stored.length - 30), /not a zip archive, or truncated/);
    expectError(stored.subarray(200), /central directory lies outside the file|truncated or corrupt/);
  });

  it('detects a corrupt byte in stored data by its CRC, naming the entry', () => {
    const bad = stored.slice();
    const utf32 = '{"kind"'.split('').join('\0\0\0');
    expect(indexOf(bad, utf32)).toBeGreaterThan(0);
    bad[indexOf(bad, utf32) + 4] ^= 0x01;
    expectError(bad, /model\.npz, entry 'config\.npy': CRC-32 mismatch/);
  });

  it('detects corrupt deflate data, naming the entry', () => {
    const deflated = encodeNpz({ x: { data: new Float64Array(1000).fill(1.25), shape: [1000] } }, { compress: true });
    const bad = deflated.slice();
    const start = 30 + 'x.npy'.length;
    for (let i = start + 5; i < start + 25; i++) bad[i] ^= 0x5a;
    expectError(bad, /entry 'x\.npy': (corrupt deflate data|CRC-32 mismatch|data is \d+ bytes)/);
  });

  it('rejects entries that are not .npy arrays, and names a corrupt array', () => {
    const text = new TextEncoder().encode('hello');
    const readme = concatBytes(zipChunks([{ name: 'readme.txt', chunks: [text] }]));
    expectError(readme, /entry 'readme\.txt' is not a \.npy array/);
    expectError(concatBytes(zipChunks([{ name: 'm.npy', chunks: [text] }])), /model\.npz, array 'm': not a \.npy file/);
    const twice = zipChunks([
      { name: 'm.npy', chunks: [encodeNpy('a')] },
      { name: 'm.npy', chunks: [encodeNpy('b')] },
    ]);
    expectError(concatBytes(twice), /array 'm' appears twice/);
  });

  it('rejects encrypted entries and unknown compression methods', () => {
    const one = encodeNpz({ a: 'x' });
    const central = indexOf(one, 'PK\x01\x02');
    const encrypted = one.slice();
    encrypted[central + 8] |= 1;
    expectError(encrypted, /entry 'a\.npy': encrypted entries are not supported/);
    const bzip2 = one.slice();
    bzip2[central + 10] = 12;
    expectError(bzip2, /entry 'a\.npy': compression method 12 is not supported/);
  });

  it('rejects a zip64 size marker without its zip64 field', () => {
    const one = encodeNpz({ a: 'x' });
    const central = indexOf(one, 'PK\x01\x02');
    const bad = one.slice();
    new DataView(bad.buffer).setUint32(central + 24, 0xffffffff, true);
    expectError(bad, /sizes are marked zip64 but the zip64 extra field is missing/);
  });
});
