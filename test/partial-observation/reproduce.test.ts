// Seed 003's claims, reproduced (docs/partial-observation.md gives the numbers and the commands of the larger runs).
import { describe, expect, test } from 'vitest';
import { partialObservation as po } from '../../ts/index.js';
import { Random } from '../../ts/core/random.js';
import { matmul, svd, transpose } from '../../ts/core/linalg.js';

const re = (s: po.Spectrum) => Array.from({ length: s.eigenvalues.shape[0] }, (_, i) => s.eigenvalues.data[2 * i]);

describe('normal teacher', () => {
  test('every student eigenvalue real part lies in [Re lambda_D, Re lambda_1] (limit: 16 seeds x 4 d/D; simulated: 2 runs)', async () => {
    const D = 40;
    for (let seed = 0; seed < 16; seed++) {
      const t = await po.teacher('line-attractor', { size: D, eps: 0.05, others: [-0.6, 0.5], seed });
      for (const d of [2, 4, 10, 20]) {
        const lim = await po.stationaryLimit(t.weights, { alpha: 0.1, noise: 0.3, units: d });
        const r = re(lim);
        expect(Math.max(...r)).toBeLessThanOrEqual(0.95 + 1e-9);
        expect(Math.min(...r)).toBeGreaterThanOrEqual(-0.6 - 1e-9);
      }
    }
    // Finite data: within the range up to the sampling error (about 0.03 at T = 20000, a = 0.2).
    for (const seed of [1, 2]) {
      const t = await po.teacher('line-attractor', { size: D, eps: 0.05, others: [-0.6, 0.5], seed });
      const run = await po.simulateTeacher(t, { steps: 20000, alpha: 0.2, noise: 0.3, units: 8, seed });
      const r = re(await po.estimate(run.observed, { alpha: 0.2, ridge: 1e-3 }));
      expect(Math.max(...r)).toBeLessThan(0.95 + 0.03);
      expect(Math.min(...r)).toBeGreaterThan(-0.6 - 0.03);
    }
  });

  test('a normal teacher with complex eigenvalues (rotation blocks in a random orthonormal basis): Re lambda_hat in range', async () => {
    const D = 30;
    for (let seed = 0; seed < 8; seed++) {
      const rng = new Random(seed);
      const q = (await svd(rng.fillNormal(new Float64Array(D * D)), D, D)).u;
      // K: 2 x 2 blocks [[r, -w], [w, r]] with r in [-0.5, 0.9], w in [0, 0.6]: eigenvalues r +- i w, normal.
      const k = new Float64Array(D * D);
      const re: number[] = [];
      for (let b = 0; b < D / 2; b++) {
        const r = -0.5 + 1.4 * rng.uniform(), w = 0.6 * rng.uniform();
        re.push(r);
        k[2 * b * D + 2 * b] = r;
        k[(2 * b + 1) * D + 2 * b + 1] = r;
        k[2 * b * D + 2 * b + 1] = -w;
        k[(2 * b + 1) * D + 2 * b] = w;
      }
      const b = matmul(matmul(q, k, D, D, D), transpose(q, D, D), D, D, D);
      for (const d of [3, 8, 15]) {
        const lim = await po.stationaryLimit({ data: b, shape: [D, D] }, { alpha: 0.1, noise: 0.3, units: d });
        const r = Array.from({ length: d }, (_, i) => lim.eigenvalues.data[2 * i]);
        expect(Math.max(...r)).toBeLessThanOrEqual(Math.max(...re) + 1e-9);
        expect(Math.min(...r)).toBeGreaterThanOrEqual(Math.min(...re) - 1e-9);
      }
    }
  });

  test('a symmetric line attractor is recovered: lambda_hat_1 >= 1 - eps - 2 eps D / d, lambda_hat_2 <= lambda_2', async () => {
    const D = 100, eps = 1e-3;
    const t = await po.teacher('line-attractor', { size: D, eps, others: [0.2, 0.2], seed: 1 });
    for (const d of [50, 20, 10, 5]) {
      const lim = await po.stationaryLimit(t.weights, { alpha: 0.01, noise: 0.2, units: d });
      const r = re(lim);
      expect(r[0]).toBeGreaterThanOrEqual(1 - eps - (2 * eps * D) / d);
      expect(r[0]).toBeLessThanOrEqual(1 - eps + 1e-9);
      expect(r[1]).toBeLessThanOrEqual(0.2 + 1e-9);
      expect(lim.lineAttractorScore).toBeGreaterThan(4.5); // the teacher's: log2(1000 / 1.25) = 9.64
    }
    expect((await po.spectrum(t.weights, t.eigenvalues)).lineAttractorScore).toBeCloseTo(Math.log2(1000 / 1.25), 10);
  });
});

describe('non-normal teachers', () => {
  test('feed-forward chain (all eigenvalues 0, score 0): a student of d << D units has a line-attractor score well above 1', async () => {
    const t = await po.teacher('feedforward', { size: 200, beta: 0.5, seed: 1 });
    expect((await po.spectrum(t.weights, t.eigenvalues)).lineAttractorScore).toBe(0);
    const lim = await po.stationaryLimit(t.weights, { alpha: 0.01, noise: 0.2, units: 10 });
    expect(lim.lineAttractorScore).toBeGreaterThan(4);
    expect(re(lim)[0]).toBeGreaterThan(0.99);
    // Finite data (T = 5000, a = 0.01): the score itself is noisy (docs: 1.4 +- 1.9 over seeds at D = 500), but
    // every student has the spurious slow mode, tau_1 = 1 / (1 - Re lambda_hat_1) > 20 against the teacher's 1.
    for (const seed of [0, 1, 2]) {
      const run = await po.simulateTeacher(t, { steps: 5000, alpha: 0.01, noise: 0.2, units: 25, seed });
      const e = await po.estimate(run.observed, { alpha: 0.01, ridge: 1e-3 });
      expect(e.timeConstants[0]).toBeGreaterThan(20);
      if (seed === 1) expect(e.lineAttractorScore).toBeGreaterThan(2);
    }
  });

  test('low-rank M N^T (N^T M = 0): the r = 2 leading student eigenvalues approach 1 as d / D falls', async () => {
    const D = 200;
    const t = await po.teacher('low-rank', { size: D, rank: 2, seed: 1 });
    const means: number[] = [];
    for (const d of [50, 20, 10]) {
      const r = re(await po.stationaryLimit(t.weights, { alpha: 0.01, noise: 0.2, units: d }));
      means.push((r[0] + r[1]) / 2);
      expect(Math.abs(r[2])).toBeLessThan(1e-6); // the rest stay at the teacher's 0
    }
    expect(means[0]).toBeGreaterThan(0.8);
    expect(means[1]).toBeGreaterThan(means[0]);
    expect(means[2]).toBeGreaterThan(means[1]);
    expect(means[2]).toBeGreaterThan(0.95);
  });

  test('tanh: the closed-form student of a low-rank oscillator has a spurious limit cycle the teacher lacks', async () => {
    const t = await po.teacher('oscillator', { size: 200, shift: 3, seed: 1 });
    const run = await po.simulateTeacher(t, { steps: 20000, alpha: 0.01, noise: 1, units: 5, activation: 'tanh', seed: 1 });
    const e = await po.estimate(run.observed, { alpha: 0.01, ridge: 1e-3, activation: 'tanh' });
    const student = await po.limitCycle({ weights: e.A, activation: 'tanh', alpha: 0.01 });
    expect(student.cycle).toBe(true);
    expect(student.unstableComplexPair).toBe(true);
    expect(student.persistence).toBeGreaterThan(0.97);
    // The pair 1.06 +- 0.079i turns by a * 0.079 rad per step: a period near 2 pi / 0.00079 = 8000 steps.
    expect(student.period).toBeGreaterThan(4000);
    expect(student.period).toBeLessThan(12000);
    const teacher = await po.limitCycle({ weights: t.weights, activation: 'tanh', alpha: 0.01 }, { runs: 1 });
    expect(teacher.cycle).toBe(false);
    expect(teacher.amplitude).toBeLessThan(1e-6);
  });
});

describe('BPTT students', () => {
  test('the full-rank student fitted by BPTT agrees with the closed form (ridge 0), linear and tanh; a rank-2 student has rank 2', async () => {
    const t = await po.teacher('line-attractor', { size: 30, eps: 0.05, others: [-0.5, 0.5], seed: 3 });
    const run = await po.simulateTeacher(t, { steps: 3000, alpha: 0.2, noise: 0.5, units: 5, seed: 2 });
    const closed = await po.estimate(run.observed, { alpha: 0.2, ridge: 0 });
    const fit = await po.fitStudent(run.observed, { alpha: 0.2 });
    expect(po.relativeDistance(fit.A.data, closed.A.data)).toBeLessThan(1e-3);
    expect(Math.abs(fit.eigenvalues.data[0] - closed.eigenvalues.data[0])).toBeLessThan(1e-3);
    fit.model.dispose();
    // tanh: x_2 = (1 - a) x_s + a W tanh(x_s) is linear in W, so the tanh student meets the tanh closed form too.
    const tanhRun = await po.simulateTeacher(t, { steps: 3000, alpha: 0.2, noise: 0.5, units: 5, activation: 'tanh', seed: 2 });
    const tanhClosed = await po.estimate(tanhRun.observed, { alpha: 0.2, ridge: 0, activation: 'tanh' });
    const tanhFit = await po.fitStudent(tanhRun.observed, { alpha: 0.2, activation: 'tanh' });
    expect(po.relativeDistance(tanhFit.A.data, tanhClosed.A.data)).toBeLessThan(1e-3);
    tanhFit.model.dispose();
    const low = await po.fitStudent(run.observed, { alpha: 0.2, rank: 2, epochs: 60 });
    const nonzero = re(low).filter((x, i) => Math.hypot(x, low.eigenvalues.data[2 * i + 1]) > 1e-8).length;
    expect(nonzero).toBeLessThanOrEqual(2);
    expect(low.training.bestLoss).toBeLessThan(low.training.epochs[0].loss);
    low.model.dispose();
  });
});
