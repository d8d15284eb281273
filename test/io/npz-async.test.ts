// The asynchronous .npz path (saveNpz, loadNpz): entries of 1 MiB and more are deflated, inflated and checksummed by
// zlib streams on the thread pool. It must write the bytes the synchronous codec writes, read what it reads, and
// find the same corruptions; numpy must read its files and it must read numpy's (whose arrays are not aligned).

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFormatError } from '../../ts/io/errors.js';
import { loadNpz, saveNpz } from '../../ts/io/index.js';
import { decodeNpz, decodeNpzAsync, encodeNpz } from '../../ts/io/npz.js';
import type { NpyValue } from '../../ts/io/npy.js';
import { makeTempDir, numpy, runPython } from '../support/io.js';

/** Arrays above and below the 1 MiB threshold: a smooth signal (deflates well) and noise-like values. */
function arrays(): Record<string, NpyValue> {
  const smooth = Float32Array.from({ length: 600_000 }, (_, i) => Math.sin(i / 1000));
  let s = 12345;
  const noisy = Float64Array.from({ length: 200_000 }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5);
  return {
    smooth: { data: smooth, shape: [600, 1000] },
    noisy: { data: noisy, shape: [200_000] },
    small: { data: Float64Array.of(1, 2, 3), shape: [3] },
    config: JSON.stringify({ kind: 'test' }),
  };
}

function bytesOf(data: unknown): Uint8Array {
  const view = data as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await makeTempDir()));
afterAll(async () => remove());

describe('saveNpz and loadNpz on the thread pool', () => {
  for (const options of [{}, { compress: true }, { compress: true, forceZip64: true }]) {
    it(`write the bytes encodeNpz writes and read back every value (${JSON.stringify(options)})`, async () => {
      const input = arrays();
      const path = join(dir, `same-${JSON.stringify(options).replace(/\W/g, '')}.npz`);
      await saveNpz(path, input, options);
      const file = new Uint8Array(await readFile(path));
      expect(sameBytes(file, encodeNpz(input, options))).toBe(true);
      const back = await loadNpz(path);
      const sync = decodeNpz(file);
      expect(Object.keys(back)).toEqual(Object.keys(input));
      for (const name of Object.keys(input)) {
        expect(back[name].dtype).toBe(sync[name].dtype);
        expect(back[name].shape).toEqual(sync[name].shape);
      }
      expect(back.config.data).toEqual(['{"kind":"test"}']);
      expect(sameBytes(bytesOf(back.smooth.data), bytesOf((input.smooth as { data: Float32Array }).data))).toBe(true);
      expect(sameBytes(bytesOf(back.noisy.data), bytesOf((input.noisy as { data: Float64Array }).data))).toBe(true);
      expect(sameBytes(bytesOf(back.small.data), bytesOf(Float64Array.of(1, 2, 3)))).toBe(true);
      if (options.compress) expect(file.length).toBeLessThan(0.9 * encodeNpz(input).length);
    });
  }

  it('find a corrupt byte in a large stored entry, and in a large deflated one, by its CRC', async () => {
    const input = { x: arrays().noisy };
    for (const compress of [false, true]) {
      const bytes = encodeNpz(input, { compress });
      const bad = bytes.slice();
      // a byte in the middle of the data: a stored byte flipped, or a deflated literal changed
      bad[Math.floor(bytes.length / 2)] ^= 0x10;
      let caught: unknown;
      await decodeNpzAsync(bad, 'big.npz').catch((err: unknown) => (caught = err));
      expect(caught, `compress ${compress}`).toBeInstanceOf(FileFormatError);
      expect((caught as Error).message).toMatch(/^big\.npz, entry 'x\.npy': (CRC-32 mismatch|corrupt deflate data|data)/);
      expect(() => decodeNpz(bad, 'big.npz')).toThrow(FileFormatError);
    }
  });

  it('find a truncated deflated entry', async () => {
    const bytes = encodeNpz({ x: arrays().noisy }, { compress: true });
    const bad = bytes.slice();
    // the central directory says the entry is smaller than it is: the deflate stream ends early
    const central = Buffer.from(bad).indexOf('PK\x01\x02', 0, 'latin1');
    const view = new DataView(bad.buffer);
    view.setUint32(central + 20, view.getUint32(central + 20, true) - 1000, true);
    await expect(decodeNpzAsync(bad, 'cut.npz')).rejects.toThrow(/^cut\.npz, entry 'x\.npy': /);
  });
});

describe.skipIf(!numpy.available)('large archives and numpy', () => {
  it('numpy reads what saveNpz wrote; loadNpz reads numpy savez and savez_compressed (unaligned arrays)', async () => {
    const input = arrays();
    await saveNpz(join(dir, 'ours.npz'), input, { compress: true });
    const script = `
import sys, numpy as np
d = sys.argv[1]
f = np.load(d + '/ours.npz')
s = f['smooth']; n = f['noisy']
assert s.dtype == np.float32 and s.shape == (600, 1000), (s.dtype, s.shape)
i = np.arange(600000)
assert np.array_equal(s.ravel(), np.sin(i / 1000).astype(np.float32))
print(repr(float(n.sum())))
rng = np.random.default_rng(3)
big = rng.standard_normal((700, 500)).astype(np.float32)
np.savez(d + '/np_stored.npz', a=np.arange(3, dtype=np.uint8), big=big)
np.savez_compressed(d + '/np_deflated.npz', a=np.arange(3, dtype=np.uint8), big=big)
big.tofile(d + '/big.raw')
`;
    const sum = Number(runPython(script, [dir]).trim().split('\n').pop());
    const noisy = (input.noisy as { data: Float64Array }).data;
    expect(sum).toBeCloseTo(noisy.reduce((a, b) => a + b, 0), 6);
    const raw = new Float32Array(new Uint8Array(await readFile(join(dir, 'big.raw'))).buffer);
    for (const name of ['np_stored', 'np_deflated']) {
      const back = await loadNpz(join(dir, `${name}.npz`));
      expect(back.big.shape).toEqual([700, 500]);
      expect(sameBytes(bytesOf(back.big.data), bytesOf(raw))).toBe(true);
      expect((back.big.data as Float32Array).byteOffset % 4).toBe(0);
    }
  });

  it('a file numpy cannot have written (a flipped bit) is refused by loadNpz', async () => {
    const path = join(dir, 'flipped.npz');
    const bytes = encodeNpz({ x: arrays().noisy });
    bytes[bytes.length - 5000] ^= 1;
    await writeFile(path, bytes);
    await expect(loadNpz(path)).rejects.toThrow(/CRC-32 mismatch/);
  });
});
