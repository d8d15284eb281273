// The teachers' constructions, and bad input.
import { describe, expect, test } from 'vitest';
import { partialObservation as po } from '../../ts/index.js';
import { FullRankRNN } from '../../ts/model/fullrank.js';
import { matmul } from '../../ts/core/linalg.js';

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
const transpose = (a: Float64Array, n: number) => Float64Array.from(a, (_, k) => a[(k % n) * n + Math.floor(k / n)]);

describe('teachers', () => {
  test('line attractor: symmetric, with the eigenvalues 1 - eps and the evenly spaced others (numerical check)', async () => {
    const t = await po.teacher('line-attractor', { size: 20, eps: 0.01, others: [-0.4, 0.4], seed: 1 });
    const b = t.weights.data;
    expect(maxAbs(b.map((v, k) => v - transpose(b, 20)[k]))).toBeLessThan(1e-12);
    const s = await po.spectrum(t.weights);
    const re = Array.from({ length: 20 }, (_, i) => s.eigenvalues.data[2 * i]);
    expect(re[0]).toBeCloseTo(0.99, 10);
    re.slice(1).forEach((v, i) => expect(v).toBeCloseTo(0.4 - (0.8 * i) / 18, 10));
  });

  test('feed-forward: U^T B U is the chain T_ij = delta_{i+1,j} + beta delta_{i1} (1 - delta_{1j}), U orthogonal; the chain is nilpotent', async () => {
    const D = 12, beta = 0.5;
    const t = await po.teacher('feedforward', { size: D, beta, seed: 2 });
    // B^D = 0 (nilpotent), while B itself is of order one.
    let p = t.weights.data;
    for (let k = 1; k < D; k++) p = matmul(p, t.weights.data, D, D, D);
    expect(maxAbs(p)).toBeLessThan(1e-10);
    expect(maxAbs(t.weights.data)).toBeGreaterThan(0.1);
    // The squared Frobenius norm is that of T: (D - 1) + beta^2 (D - 1) + 2 beta (the (1,2) entry is 1 + beta).
    const fro = t.weights.data.reduce((s, v) => s + v * v, 0);
    expect(fro).toBeCloseTo(D - 2 + (1 + beta) ** 2 + beta * beta * (D - 2), 9);
    expect(Array.from(t.eigenvalues!.data).every((v) => v === 0)).toBe(true);
  });

  test('low rank: B^2 = 0 (N^T M = 0), B B^T has r eigenvalues gamma^4 (M^T M = N^T N = gamma^2 I)', async () => {
    const D = 30, r = 2;
    const t = await po.teacher('low-rank', { size: D, rank: r, seed: 3 });
    const b = t.weights.data;
    const gamma2 = D / Math.sqrt(r);
    expect(maxAbs(matmul(b, b, D, D, D)) / gamma2 ** 2).toBeLessThan(1e-12);
    // trace(B B^T) = r gamma^4 and trace((B B^T)^2) = r gamma^8: exactly r singular values gamma^2.
    const bbt = matmul(b, transpose(b, D), D, D, D);
    const tr = (m: Float64Array) => Array.from({ length: D }, (_, i) => m[i * D + i]).reduce((x, y) => x + y, 0);
    expect(tr(bbt) / (r * gamma2 ** 2)).toBeCloseTo(1, 10);
    expect(tr(matmul(bbt, bbt, D, D, D)) / (r * gamma2 ** 4)).toBeCloseTo(1, 10);
  });

  test('oscillator: its numerical eigenvalues are 0.5 +- 0.5i and zeros', async () => {
    const t = await po.teacher('oscillator', { size: 20, shift: 2, seed: 4 });
    const s = await po.spectrum(t.weights);
    expect(s.eigenvalues.data[0]).toBeCloseTo(0.5, 8);
    expect(Math.abs(s.eigenvalues.data[1])).toBeCloseTo(0.5, 8);
    expect(maxAbs(s.eigenvalues.data.slice(4))).toBeLessThan(1e-6);
  });

  test('same seed, same teacher; another seed, another', async () => {
    const a = await po.teacher('feedforward', { size: 10, seed: 5 });
    const b = await po.teacher('feedforward', { size: 10, seed: 5 });
    const c = await po.teacher('feedforward', { size: 10, seed: 6 });
    expect(a.weights.data).toEqual(b.weights.data);
    expect(a.weights.data).not.toEqual(c.weights.data);
  });

  test('a user FullRankRNN or matrix is a teacher; a random subset of units is observed', async () => {
    const net = new FullRankRNN({ size: 8, inputs: 0, outputs: 0, rho: 0.5, dtype: 'float64', seed: 1 });
    const run = await po.simulateTeacher(net, { steps: 50, units: 3, select: 'random', seed: 2, keepStates: true });
    expect(run.units).toHaveLength(3);
    expect(new Set(run.units).size).toBe(3);
    const x = run.observed.data, z = run.states!.data;
    run.units.forEach((u, j) => expect(x[10 * 3 + j]).toBe(z[10 * 8 + u]));
    const m = await po.simulateTeacher(net.param('wrec'), { steps: 50, units: 8, seed: 2 });
    expect(m.observed.shape).toEqual([1, 50, 8]);
    net.dispose();
  });
});

describe('student windows', () => {
  test('horizon h: non-overlapping windows per trial, the start injected as x_s / a, targets x_s..x_{s+h}, mask [0, 1, ..., 1]', () => {
    const [B, T, d, a, h] = [2, 8, 2, 0.5, 3];
    const x = Float64Array.from({ length: B * T * d }, (_, i) => i);
    const w = po.studentWindows({ data: x, shape: [B, T, d] }, a, h);
    // Starts 0 and 3 in each trial (3 + 3 <= 7; 6 + 3 > 7).
    expect(w.inputs.shape).toEqual([4, 4, 2]);
    expect(Array.from(w.mask.data.slice(0, 4))).toEqual([0, 1, 1, 1]);
    const second = 3 * d; // trial 0, start 3
    expect(w.inputs.data[1 * 4 * d]).toBe(x[second] / a);
    expect(w.inputs.data[1 * 4 * d + d]).toBe(0);
    expect(Array.from(w.targets.data.slice(1 * 4 * d, 2 * 4 * d))).toEqual(Array.from(x.slice(second, second + 4 * d)));
    const third = (T + 0) * d; // trial 1, start 0
    expect(w.targets.data[2 * 4 * d]).toBe(x[third]);
  });
});

describe('bad input names the argument', () => {
  test('d > D, d < 1', async () => {
    const t = await po.teacher('feedforward', { size: 10 });
    await expect(po.simulateTeacher(t, { units: 11 })).rejects.toThrow(/option 'units' must be an integer in \[1, 10\] \(the observed units d cannot exceed the teacher's D = 10\); got 11/);
    await expect(po.simulateTeacher(t, { units: 0 })).rejects.toThrow(/option 'units' must be an integer in \[1, 10\]/);
    await expect(po.stationaryLimit(t.weights, { alpha: 0.1, noise: 1, units: 11 })).rejects.toThrow(/option 'units' must be an integer in \[1, 10\]; got 11/);
  });

  test('ridge < 0, NaN states, fewer time steps than observed units, missing alpha', async () => {
    const x = { data: new Float64Array(40).map((_, i) => Math.sin(i)), shape: [10, 4] };
    await expect(po.estimate(x, { alpha: 0.1, ridge: -1 })).rejects.toThrow(/option 'ridge' must be a finite number >= 0; got -1/);
    const bad = { data: Float64Array.from(x.data), shape: [10, 4] };
    bad.data[7] = NaN;
    await expect(po.estimate(bad, { alpha: 0.1 })).rejects.toThrow(/argument 'states' must be finite; got NaN at flat index 7/);
    await expect(po.estimate({ data: new Float64Array(12), shape: [3, 4] }, { alpha: 0.1 })).rejects.toThrow(/argument 'states' must hold at least as many transitions.*more time steps than observed units/);
    await expect(po.estimate(x, {})).rejects.toThrow(/option 'alpha' must be/);
    await expect(po.estimate({ data: new Float64Array(8), shape: [8] }, { alpha: 0.1 })).rejects.toThrow(/argument 'states' must be observed activity of shape \[T, d\] or \[B, T, d\]/);
    // ridge 0 with a rank-deficient Gram matrix: a clear error, not a NaN matrix.
    await expect(po.estimate({ data: new Float64Array(40), shape: [10, 4] }, { alpha: 0.1, ridge: 0 })).rejects.toThrow(/Gram matrix .* is singular/);
  });

  test('an unstable linear teacher (checked before simulating), unknown kinds and options', async () => {
    const unstable = { data: Float64Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? 1.5 : 0)), shape: [3, 3] };
    await expect(po.simulateTeacher(unstable, { alpha: 0.1 })).rejects.toThrow(/argument 'teacher' must give stable linear dynamics.*spectral radius 1\.05/);
    await expect(po.stationaryLimit(unstable, { alpha: 0.1, noise: 1 })).rejects.toThrow(/unstable \(spectral radius 1\.05/);
    // @ts-expect-error an unknown kind
    await expect(po.teacher('ring', { size: 10 })).rejects.toThrow(/argument 'kind' must be one of 'line-attractor', 'feedforward', 'low-rank', 'oscillator'; got 'ring'/);
    // @ts-expect-error an unknown option
    await expect(po.teacher('feedforward', { size: 10, bta: 1 })).rejects.toThrow(/unknown option 'bta'/);
    await expect(po.runExperiment({ teacher: { kind: 'ring', size: 4 } as never })).rejects.toThrow(/option 'teacher.kind' must be one of/);
    await expect(po.fitStudent({ data: new Float64Array(40), shape: [10, 4] }, { alpha: 0.1, rank: 5 })).rejects.toThrow(/option 'rank' must be an integer in \[1, 4\] or 'full'; got 5/);
  });
});

