// Mean-field theory: Gauss-Hermite against closed forms and an independent quadrature, the mean-field flow against
// closed forms (linear transfer: exact; zero-mean rank 1: the bistability threshold sigma_nm > 1) and against large
// random finite networks (error O(1 / sqrt(N))).
import { describe, expect, test } from 'vitest';
import { LowRankRNN, Random } from '../../ts/index.js';
import { cholesky } from '../../ts/core/linalg.js';
import {
  compareMeanField,
  estimateStatistics,
  gaussHermite,
  latentFlowField,
  meanFieldFlowField,
  meanFieldVelocity,
  transferMoments,
  type ConnectivityStatistics,
} from '../../ts/analysis/index.js';
import { numpy, runPython } from '../support/io.js';

/** E[f(z)], z ~ N(0, 1), by composite Simpson on [-14, 14] (independent of Gauss-Hermite). */
function simpsonGaussian(f: (z: number) => number, intervals = 40000): number {
  const a = -14, b = 14, h = (b - a) / intervals;
  let s = 0;
  for (let i = 0; i <= intervals; i++) {
    const z = a + i * h;
    const w = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * f(z) * Math.exp(-z * z / 2);
  }
  return (s * h) / 3 / Math.sqrt(2 * Math.PI);
}

/** A low-rank net whose per-unit vectors (m, n, I, b) are drawn from the statistics' Gaussian mixture. */
function sampleNet(stats: ConnectivityStatistics, N: number, seed: number): LowRankRNN {
  const { rank: R, inputs: K } = stats;
  const D = 2 * R + K + (stats.bias ? 1 : 0);
  const rng = new Random(seed);
  const m = new Float64Array(N * R), n = new Float64Array(N * R), wi = new Float64Array(K * N), b = new Float64Array(N);
  let unit = 0;
  stats.populations.forEach((pop, q) => {
    const count = q === stats.populations.length - 1 ? N - unit : Math.round(pop.fraction * N);
    const l = cholesky(pop.covariance, D)!;
    const z = new Float64Array(D), y = new Float64Array(D);
    for (let c = 0; c < count; c++, unit++) {
      for (let d = 0; d < D; d++) z[d] = rng.normal();
      for (let d = 0; d < D; d++) {
        y[d] = pop.mean[d];
        for (let e = 0; e <= d; e++) y[d] += l[d * D + e] * z[e];
      }
      for (let r = 0; r < R; r++) {
        m[unit * R + r] = y[r];
        n[unit * R + r] = y[R + r];
      }
      for (let k = 0; k < K; k++) wi[k * N + unit] = y[2 * R + k];
      if (stats.bias) b[unit] = y[D - 1];
    }
  });
  return new LowRankRNN({ size: N, rank: R, inputs: K, outputs: 1, dtype: 'float64', init: { m, n, wi, b } });
}

function gaussian(cov: number[][], mean?: number[]) {
  const D = cov.length;
  return { fraction: 1, mean: Float64Array.from(mean ?? new Array(D).fill(0)), covariance: Float64Array.from(cov.flat()) };
}

describe('Gauss-Hermite', () => {
  test('nodes and weights integrate moments and exponentials exactly', () => {
    const { nodes, weights } = gaussHermite(200);
    expect(nodes.length).toBe(200);
    // integral x^(2k) exp(-x^2) = Gamma(k + 1/2)
    let gamma = Math.sqrt(Math.PI);
    for (let k = 0; k <= 30; k++) {
      let s = 0;
      for (let i = 0; i < 200; i++) s += weights[i] * nodes[i] ** (2 * k);
      expect(Math.abs(s / gamma - 1)).toBeLessThan(1e-12);
      gamma *= k + 0.5;
    }
    // E[exp(a z)] = exp(a^2 / 2) with z = sqrt(2) x, weights / sqrt(pi); odd moments vanish.
    for (const a of [0.5, 1.5, 3]) {
      let s = 0, odd = 0;
      for (let i = 0; i < 200; i++) {
        s += (weights[i] / Math.sqrt(Math.PI)) * Math.exp(a * Math.SQRT2 * nodes[i]);
        odd += weights[i] * nodes[i] ** 3;
      }
      expect(Math.abs(s / Math.exp(a * a / 2) - 1)).toBeLessThan(1e-12);
      expect(Math.abs(odd)).toBeLessThan(1e-12);
    }
    for (let i = 1; i < 200; i++) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]);
    expect(() => gaussHermite(0)).toThrow("gaussHermite: option 'n' must be an integer in [1, 400]; got 0");
  });

  test('matches numpy.polynomial.hermite.hermgauss', (ctx) => {
    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const out = runPython('import numpy as np, json; x, w = np.polynomial.hermite.hermgauss(200); print(json.dumps([x.tolist(), w.tolist()]))');
    const [x, w] = JSON.parse(out) as number[][];
    const { nodes, weights } = gaussHermite(200);
    for (let i = 0; i < 200; i++) {
      expect(Math.abs(nodes[i] - x[i])).toBeLessThan(1e-12 * Math.max(1, Math.abs(x[i])));
      expect(Math.abs(weights[i] - w[i])).toBeLessThanOrEqual(1e-10 * w[i] + 1e-300);
    }
  });

  test('transfer moments against closed forms, symmetry and Simpson quadrature', async () => {
    const mu = [0, 0.7, -0.7, 1.3, 0];
    const delta = [2, 0.5, 0.5, 3, 0];
    const tanh = await transferMoments(mu, delta);
    expect(Math.abs(tanh.mean[0])).toBeLessThan(1e-15);
    expect(tanh.mean[2]).toBeCloseTo(-tanh.mean[1], 15);
    expect(tanh.meanDerivative[2]).toBeCloseTo(tanh.meanDerivative[1], 15);
    expect(tanh.meanDerivative[4]).toBeCloseTo(1, 14); // delta = 0: phi'(0), up to the rounding of the weights' sum
    // tanh has poles at distance pi / (2 sqrt(delta)) from the real axis: 200 points are good to ~2e-11 at delta = 3
    // (measured), 400 points to ~1e-14.
    const fine = await transferMoments(mu, delta, { quadraturePoints: 400 });
    for (let i = 0; i < mu.length; i++) {
      const s = Math.sqrt(delta[i]);
      const mean = simpsonGaussian((z) => Math.tanh(mu[i] + s * z));
      const slope = simpsonGaussian((z) => 1 - Math.tanh(mu[i] + s * z) ** 2);
      expect(Math.abs(tanh.mean[i] - mean)).toBeLessThan(1e-10);
      expect(Math.abs(tanh.meanDerivative[i] - slope)).toBeLessThan(1e-10);
      expect(Math.abs(fine.mean[i] - mean)).toBeLessThan(1e-12);
      expect(Math.abs(fine.meanDerivative[i] - slope)).toBeLessThan(1e-12);
    }
    const linear = await transferMoments(mu, delta, { activation: 'linear' });
    for (let i = 0; i < mu.length; i++) {
      expect(linear.mean[i]).toBeCloseTo(mu[i], 13);
      expect(linear.meanDerivative[i]).toBeCloseTo(1, 13);
    }
    const soft = await transferMoments([0.4], [1.7], { activation: 'softplus' });
    expect(soft.mean[0]).toBeCloseTo(simpsonGaussian((z) => Math.log1p(Math.exp(0.4 + Math.sqrt(1.7) * z))), 11);
    expect(soft.meanDerivative[0]).toBeCloseTo(simpsonGaussian((z) => 1 / (1 + Math.exp(-(0.4 + Math.sqrt(1.7) * z)))), 11);
    await expect(transferMoments([0], [-1])).rejects.toThrow(/delta must be finite and >= 0/);
  });
});

describe('mean-field flow', () => {
  test('linear transfer: equals the finite-N flow exactly with ddof-0 statistics of two populations, inputs and a bias', async () => {
    const N = 300;
    const rng = new Random(3);
    const model = new LowRankRNN({ size: N, rank: 2, inputs: 2, outputs: 1, dtype: 'float64', activation: 'linear', seed: 4 });
    const b = Float64Array.from({ length: N }, () => 0.3 * rng.normal() + 0.1);
    const m = model.param('m').data.map((x, i) => x + (i < N ? 0.5 : 0)); // a non-zero mean in the first population
    model.setParams({ b, m });
    const labels = Int32Array.from({ length: N }, (_, i) => (i < 100 ? 0 : 1));
    const cmp = await compareMeanField(model, { labels, ddof: 0, inputs: [0.4, -1.1], resolution: 7 });
    expect(cmp.statistics.populations.map((p) => p.fraction)).toEqual([1 / 3, 2 / 3]);
    expect(cmp.statistics.bias).toBe(true);
    expect(Math.max(...Array.from(cmp.finite.speed.data))).toBeGreaterThan(0.5);
    expect(cmp.maxError).toBeLessThan(1e-12);
  });

  test('zero-mean rank 1, tanh: only kappa = 0 for sigma_nm <= 1; for sigma_nm > 1 a root where <phi\'>(sigma_m^2 kappa^2) = 1 / sigma_nm', async () => {
    const stats = (snm: number): ConnectivityStatistics => ({
      rank: 1, inputs: 0, bias: false, activation: 'tanh', slope: 0.01,
      populations: [gaussian([[1.3, snm], [snm, 4]])],
    });
    const line = { data: Float64Array.from({ length: 60 }, (_, i) => 0.1 * (i + 1)), shape: [60, 1] };
    const below = await meanFieldVelocity(stats(0.9), line);
    expect(Array.from(below.velocity.data).every((v) => v < 0)).toBe(true);

    const snm = 1.6;
    const slopeAt = (k: number) => simpsonGaussian((z) => 1 - Math.tanh(Math.sqrt(1.3) * k * z) ** 2);
    let lo = 0.01, hi = 10;
    for (let it = 0; it < 100; it++) {
      const mid = 0.5 * (lo + hi);
      if (slopeAt(mid) > 1 / snm) lo = mid;
      else hi = mid;
    }
    const root = 0.5 * (lo + hi);
    const at = (k: number) => meanFieldVelocity(stats(snm), { data: Float64Array.of(k), shape: [1, 1] }).then((r) => r.velocity.data[0]);
    expect(Math.abs(await at(root))).toBeLessThan(1e-10);
    expect(await at(root / 2)).toBeGreaterThan(0.01);
    expect(await at(2 * root)).toBeLessThan(-0.01);
    expect(await at(-root)).toBeCloseTo(-(await at(root)), 14);
  });

  /** maxError sqrt(N) at N = 2000 and 32000: bounded, and the error shrinks about 4-fold (2-fold at least). */
  async function errorScaling(stats: ConnectivityStatistics, seed: number, resolution: number, bound: number) {
    const errors: number[] = [];
    for (const N of [2000, 32000]) {
      const cmp = await compareMeanField(sampleNet(stats, N, seed), { statistics: stats, inputs: [0.5], resolution });
      expect(cmp.maxError * Math.sqrt(N)).toBeLessThan(bound);
      errors.push(cmp.maxError);
    }
    expect(errors[0] / errors[1]).toBeGreaterThan(2);
  }

  test('rank 2, one Gaussian population with an input: finite-N flows approach the mean field as 1 / sqrt(N)', async () => {
    const stats: ConnectivityStatistics = {
      rank: 2, inputs: 1, bias: false, activation: 'tanh', slope: 0.01,
      populations: [gaussian([
        [1, 0, 1.2, 0.5, 0.2],
        [0, 1, -0.6, 1.1, 0],
        [1.2, -0.6, 4, 0, 0.3],
        [0.5, 1.1, 0, 4, 0],
        [0.2, 0, 0.3, 0, 1],
      ])],
    };
    // Measured: maxError sqrt(N) = 4.2 (N = 2000) and 4.5 (N = 32000); the flow's speeds reach about 3.
    await errorScaling(stats, 11, 7, 9);
  });

  test('rank 1, a mixture of two Gaussian populations with means and a bias: the same 1 / sqrt(N) approach', async () => {
    const stats: ConnectivityStatistics = {
      rank: 1, inputs: 1, bias: true, activation: 'tanh', slope: 0.01,
      populations: [
        { ...gaussian([[1, 0.8, 0.3, 0], [0.8, 2, 0, 0], [0.3, 0, 1, 0], [0, 0, 0, 0.1]], [0.5, 1, 0, 0.2]), fraction: 0.3 },
        { ...gaussian([[2, 2.5, 0, 0], [2.5, 4, 0.5, 0], [0, 0.5, 1, 0], [0, 0, 0, 0.2]], [0, -0.3, 0.5, 0]), fraction: 0.7 },
      ],
    };
    // Measured: maxError sqrt(N) = 1.0 and 1.4.
    await errorScaling(stats, 12, 20, 3);
    // Statistics estimated back from a sampled net are close to the true ones.
    const est = estimateStatistics(sampleNet(stats, 32000, 12), { labels: Int32Array.from({ length: 32000 }, (_, i) => (i < 9600 ? 0 : 1)) });
    expect(est.bias).toBe(true);
    est.populations.forEach((p, q) => {
      expect(p.fraction).toBeCloseTo(stats.populations[q].fraction, 12);
      for (let i = 0; i < 16; i++) expect(Math.abs(p.covariance[i] - stats.populations[q].covariance[i])).toBeLessThan(0.1);
      for (let i = 0; i < 4; i++) expect(Math.abs(p.mean[i] - stats.populations[q].mean[i])).toBeLessThan(0.05);
    });
  });

  test('zero means (the reference resampling default) and bad statistics', async () => {
    const model = new LowRankRNN({ size: 50, rank: 1, inputs: 1, dtype: 'float64', seed: 2 });
    const est = estimateStatistics(model, { zeroMeans: true });
    expect(Array.from(est.populations[0].mean)).toEqual([0, 0, 0]);
    expect(est.bias).toBe(false);
    const flow = await meanFieldFlowField(est, { resolution: 5 });
    expect(flow.points.shape).toEqual([5, 1]);
    const finite = await latentFlowField(model, { resolution: 5 });
    expect(Array.from(finite.axes[0])).toEqual(Array.from(flow.axes[0]));
    const bad = { ...est, populations: [{ ...est.populations[0], fraction: 1.5 }] };
    await expect(meanFieldVelocity(bad, { data: new Float64Array(1), shape: [1, 1] })).rejects.toThrow("statistics.populations[0]: option 'fraction' must be a finite number in (0, 1]; got 1.5");
    const asym = { ...est, populations: [{ ...est.populations[0], covariance: Float64Array.of(1, 0.5, 0, 0.4, 1, 0, 0, 0, 1) }] };
    await expect(meanFieldVelocity(asym, { data: new Float64Array(1), shape: [1, 1] })).rejects.toThrow(/covariance must be symmetric/);
    expect(() => estimateStatistics(model, { labels: [0, 1] })).toThrow("estimateStatistics: option 'labels' must be one entry per unit (50); got [0, 1]");
    expect(() => estimateStatistics(model, { labels: Int32Array.from({ length: 50 }, () => 2) })).toThrow(/population 0 has no units/);
  });
});
