// SVD re-parametrisation and the low-rank-from-full-rank recipe, against products formed here.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, lowRankFromFullRank, svd, svdReparametrize } from '../../ts/index.js';
import { randomTensor } from '../support/models.js';

function outer(m: ArrayLike<number>, n: ArrayLike<number>, N: number, R: number): Float64Array {
  const out = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let r = 0; r < R; r++) out[i * N + j] += m[i * R + r] * n[j * R + r];
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('svd', () => {
  test('reconstructs a matrix and orders singular values', async () => {
    const a = randomTensor([7, 5], 1).data as Float64Array;
    const { u, s, v } = await svd(a, 7, 5);
    const rebuilt = new Float64Array(35);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 5; k++) rebuilt[i * 5 + j] += u[i * 5 + k] * s[k] * v[j * 5 + k];
    expect(maxAbsDiff(rebuilt, a)).toBeLessThan(1e-12);
    for (let k = 1; k < 5; k++) expect(s[k]).toBeLessThanOrEqual(s[k - 1]);
    await expect(svd(a, 7, 5, 6)).rejects.toThrow(/svd: argument 'k' must be an integer in \[1, 5\]/);
  });
});

describe('svdReparametrize', () => {
  test('keeps m n^T, makes the columns orthogonal with equal norms sqrt(s_r)', async () => {
    const N = 30, R = 3;
    const model = new LowRankRNN({ size: N, rank: R, dtype: 'float64', seed: 2 });
    const before = outer(model.param('m').data, model.param('n').data, N, R);
    await svdReparametrize(model);
    const m = model.param('m').data, n = model.param('n').data;
    expect(maxAbsDiff(outer(m, n, N, R), before)).toBeLessThan(1e-10);
    const col = (x: ArrayLike<number>, r: number) => Array.from({ length: N }, (_, i) => x[i * R + r]);
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
    const norms: number[] = [];
    for (let r = 0; r < R; r++) {
      for (let q = r + 1; q < R; q++) {
        expect(Math.abs(dot(col(m, r), col(m, q)))).toBeLessThan(1e-9);
        expect(Math.abs(dot(col(n, r), col(n, q)))).toBeLessThan(1e-9);
      }
      const nm = Math.sqrt(dot(col(m, r), col(m, r)));
      expect(Math.abs(nm - Math.sqrt(dot(col(n, r), col(n, r))))).toBeLessThan(1e-9);
      norms.push(nm);
    }
    const { s } = await svd(before, N, N, R);
    for (let r = 0; r < R; r++) expect(norms[r] ** 2).toBeCloseTo(s[r], 9);
  });
});

describe('lowRankFromFullRank', () => {
  test('a full-rank net with an exactly rank-2 wrec gives a rank-2 net with the same trajectories', async () => {
    const N = 24, R = 2;
    const a = randomTensor([N, R], 3).data, b = randomTensor([N, R], 4).data;
    const w = outer(a, b, N, R).map((x) => x / N);
    const full = new FullRankRNN({ size: N, inputs: 2, outputs: 1, dtype: 'float64', seed: 1, noise: 0.05, init: { wrec: w } });
    const low = await lowRankFromFullRank(full, R);
    expect(low.rank).toBe(R);
    expect(low.config.noise).toBe(0.05);
    const inputs = randomTensor([3, 20, 2], 5);
    const x = await full.simulate(inputs, { seed: 2 });
    const y = await low.simulate(inputs, { seed: 2 });
    expect(maxAbsDiff(y.states!.data, x.states!.data)).toBeLessThan(1e-10);
    expect(maxAbsDiff(y.outputs!.data, x.outputs!.data)).toBeLessThan(1e-10);
  });

  test('a truncation keeps the leading singular directions', async () => {
    const N = 20;
    const full = new FullRankRNN({ size: N, dtype: 'float64', seed: 3 });
    const low = await lowRankFromFullRank(full, 1);
    const { u, s, v } = await svd(Float64Array.from(full.param('wrec').data), N, N, 1);
    const j = outer(low.param('m').data, low.param('n').data, N, 1).map((x) => x / N);
    const expected = outer(u.map((x) => x * s[0]), v, N, 1);
    expect(maxAbsDiff(j, expected)).toBeLessThan(1e-10);
  });

  test('keeps every option that applies to a low-rank net: train flags, noAutapse, dtype, threads, activation', async () => {
    const N = 10;
    const full = new FullRankRNN({ size: N, inputs: 2, outputs: 2, seed: 2, dtype: 'float64', threads: 1, noAutapse: true, activation: 'softplus', alpha: 0.3, noise: 0.01, train: { wrec: false, wi: true, h0: true }, dale: { excitatory: 0.8 } });
    const low = await lowRankFromFullRank(full, 2);
    expect(low.dtype).toBe('float64');
    expect(low.options()).toMatchObject({ threads: 1, device: full.device, noAutapse: true, activation: 'softplus', alpha: 0.3, noise: 0.01 });
    expect(low.config.train).toEqual({ m: false, n: false, wrec: false, wi: true, si: false, wo: false, so: true, h0: true, b: false });
    expect(low.config.daleSigns).toBeUndefined();
    const trained = await lowRankFromFullRank(new FullRankRNN({ size: N, seed: 1 }), 1, { train: { wo: true } });
    expect(trained.config.train).toMatchObject({ m: true, n: true, wo: true, so: false });
  });

  test('checks the rank and its options', async () => {
    const full = new FullRankRNN({ size: 6, seed: 1 });
    await expect(lowRankFromFullRank(full, 7)).rejects.toThrow(/lowRankFromFullRank: argument 'rank' must be an integer in \[1, 6\]; got 7/);
    // @ts-expect-error misspelt on purpose
    await expect(lowRankFromFullRank(full, 1, { nosie: 0 })).rejects.toThrow(/lowRankFromFullRank: unknown option 'nosie'/);
    // @ts-expect-error a full-rank option on purpose
    await expect(lowRankFromFullRank(full, 1, { mask: new Uint8Array(36) })).rejects.toThrow(/option 'mask' does not apply here: Dale's law and fixed masks apply to full-rank nets/);
  });
});
