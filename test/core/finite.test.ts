// firstNonFinite (the finite check of every tensor the package takes) against a plain search, at every position of
// arrays whose lengths cover each remainder of its four-way first pass.
import { describe, expect, test } from 'vitest';
import { firstNonFinite } from '../../ts/core/finite.js';
import { checkTensor } from '../../ts/core/tensor.js';

const plain = (a: ArrayLike<number>) => Array.from(a).findIndex((x) => !Number.isFinite(x));

describe('firstNonFinite', () => {
  test('finds the first NaN or infinity wherever it is, in float32, float64 and plain arrays', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 33]) {
      const base: number[] = Array.from({ length: n }, (_, i): number => (i % 3 === 0 ? -0 : (i % 2 ? 3e38 : -3.5e-30)));
      for (const make of [(a: number[]) => Float64Array.from(a), (a: number[]) => Float32Array.from(a), (a: number[]) => a]) {
        expect(firstNonFinite(make(base))).toBe(plain(make(base)));
        for (let at = 0; at < n; at++) {
          for (const bad of [NaN, Infinity, -Infinity]) {
            const a = [...base];
            a[at] = bad;
            if (at + 2 < n) a[at + 2] = NaN; // a later one must not win
            expect(firstNonFinite(make(a))).toBe(at);
          }
        }
      }
    }
  });

  test('checkTensor names the first non-finite value and its index', () => {
    const data = new Float32Array(10).fill(1);
    data[6] = -Infinity;
    data[9] = NaN;
    expect(() => checkTensor({ data, shape: [2, 5] }, 'targets')).toThrow('targets contains -Infinity at flat index 6; all values must be finite');
    // Float32 overflow of a finite double is infinite, and found
    expect(firstNonFinite(Float32Array.of(1, 3e38 * 10, 2))).toBe(1);
  });
});
