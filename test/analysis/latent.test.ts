// The latent flow against the full network's vector field (one noise-free Euler step of the engine), kappa fixed
// points against the roots of the 1-D self-consistency equation found by bisection, projections against the exact
// decomposition of a trajectory.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, svdReparametrize, type Tensor } from '../../ts/index.js';
import { STABILITY_LABELS, embedLatent, fixedPoints, latentFixedPoints, latentFlowField, latentVelocity, projectOnLatent, stabilityLabel } from '../../ts/analysis/index.js';
import { randomTensor } from '../support/models.js';

const alpha = 0.2;

/** (x1 - x0) / alpha from one noise-free engine step at constant input u: the network's vector field F(x0). */
async function vectorField(model: LowRankRNN | FullRankRNN, x0: Tensor, u: number[]): Promise<Float64Array> {
  const [P, N] = x0.shape;
  const K = u.length;
  const inputs = { data: Float64Array.from({ length: P * K }, (_, i) => u[i % K]), shape: [P, 1, K] };
  const sim = await model.simulate(inputs, { initialStates: x0, drawNoise: false });
  const s = sim.states!.data;
  const out = new Float64Array(P * N);
  for (let p = 0; p < P; p++) for (let i = 0; i < N; i++) out[p * N + i] = (s[(p * 2 + 1) * N + i] - s[p * 2 * N + i]) / alpha;
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function rank2(seed = 3): LowRankRNN {
  const model = new LowRankRNN({ size: 60, rank: 2, inputs: 2, outputs: 1, alpha, dtype: 'float64', seed, biases: true });
  const b = randomTensor([60], 9, 0.3);
  model.setParams({ b, n: { data: model.param('n').data.map((x, i) => 1.5 * x + 2 * model.param('m').data[i]), shape: [60, 2] } });
  return model;
}

describe('latent flow', () => {
  test.each(['coefficients', 'overlaps'] as const)('%s: F(x) of the full network equals m (scale o kappa\') at embedded points', async (coordinates) => {
    const model = rank2();
    if (coordinates === 'overlaps') await svdReparametrize(model);
    const u = [0.7, -0.4];
    const kappa = randomTensor([12, 2], 4, 1.5);
    const x0 = embedLatent(model, kappa, { inputs: u, coordinates });
    const F = await vectorField(model, x0, u);
    const { velocity } = await latentVelocity(model, kappa, { inputs: u, coordinates });
    const m = model.param('m').data;
    const N = 60;
    const norms2 = [0, 1].map((r) => Array.from({ length: N }, (_, i) => m[i * 2 + r] ** 2).reduce((a, b) => a + b));
    const scale = coordinates === 'overlaps' ? norms2.map((s) => N / s) : [1, 1];
    const diff = new Float64Array(12 * N);
    for (let p = 0; p < 12; p++)
      for (let i = 0; i < N; i++) {
        const predicted = m[i * 2] * scale[0] * velocity.data[p * 2] + m[i * 2 + 1] * scale[1] * velocity.data[p * 2 + 1];
        diff[p * N + i] = F[p * N + i] - predicted;
      }
    expect(maxAbs(F)).toBeGreaterThan(0.1);
    expect(maxAbs(diff)).toBeLessThan(1e-12);
    if (coordinates === 'overlaps') {
      // The reference's field F(x) . m_r equals N kappa'_r, and the embedded point's overlaps are kappa itself.
      for (let p = 0; p < 12; p++)
        for (let r = 0; r < 2; r++) {
          let fm = 0, xm = 0;
          for (let i = 0; i < N; i++) {
            fm += F[p * N + i] * m[i * 2 + r];
            xm += x0.data[p * N + i] * m[i * 2 + r];
          }
          expect(fm).toBeCloseTo(N * velocity.data[p * 2 + r], 9);
          expect(xm / N).toBeCloseTo(kappa.data[p * 2 + r], 12);
        }
    }
  });

  test('Jacobian matches central differences of the velocity', async () => {
    const model = rank2();
    const u = [0.3, 0.2];
    const kappa = randomTensor([5, 2], 6);
    const { jacobians } = await latentVelocity(model, kappa, { inputs: u, jacobians: true });
    const h = 1e-6;
    for (let s = 0; s < 2; s++) {
      const up = Float64Array.from(kappa.data), down = Float64Array.from(kappa.data);
      for (let p = 0; p < 5; p++) {
        up[p * 2 + s] += h;
        down[p * 2 + s] -= h;
      }
      const vu = (await latentVelocity(model, { data: up, shape: [5, 2] }, { inputs: u })).velocity.data;
      const vd = (await latentVelocity(model, { data: down, shape: [5, 2] }, { inputs: u })).velocity.data;
      for (let p = 0; p < 5; p++) for (let r = 0; r < 2; r++) expect(jacobians!.data[p * 4 + r * 2 + s]).toBeCloseTo((vu[p * 2 + r] - vd[p * 2 + r]) / (2 * h), 7);
    }
  });

  test('grid: cell centres of the reference plot_field, meshgrid xy order, slices for rank 3', async () => {
    const model = rank2();
    const f = await latentFlowField(model, { resolution: 4, ranges: [[-2, 2], [0, 1]] });
    expect(Array.from(f.axes[0])).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(Array.from(f.axes[1])).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(f.points.shape).toEqual([4, 4, 2]);
    expect(f.points.data[(1 * 4 + 2) * 2]).toBe(0.5); // row = y index 1, column = x index 2
    expect(f.points.data[(1 * 4 + 2) * 2 + 1]).toBe(0.375);
    const direct = await latentVelocity(model, f.points);
    expect(Array.from(f.velocity.data)).toEqual(Array.from(direct.velocity.data));
    expect(f.speed.data[5]).toBeCloseTo(Math.hypot(f.velocity.data[10], f.velocity.data[11]), 14);

    const r3 = new LowRankRNN({ size: 30, rank: 3, dtype: 'float64', seed: 2 });
    const slice = await latentFlowField(r3, { resolution: 3, axes: [2, 0], at: [9, 0.25, 9] });
    expect(slice.dims).toEqual([2, 0]);
    expect(Array.from(slice.points.data.slice(0, 3))).toEqual([-2, 0.25, -2]);
    expect(Array.from(slice.points.data.slice(3, 6))).toEqual([-2, 0.25, 0]);
  });
});

describe('latent fixed points', () => {
  test('rank-1 bistable net: the roots of -k + n^T tanh(m k + I) / N (bisection), x-space fixed points, stability', async () => {
    const N = 200;
    const rng = new Random(5);
    const m = Float64Array.from({ length: N }, () => rng.normal());
    const n = Float64Array.from(m, (x) => 2.2 * x + 0.5 * rng.normal());
    const wi = Float64Array.from({ length: N }, () => rng.normal());
    const model = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, alpha, dtype: 'float64', init: { m, n, wi } });
    const u = 0.05;
    const g = (k: number) => {
      let s = 0;
      for (let i = 0; i < N; i++) s += n[i] * Math.tanh(m[i] * k + u * wi[i]);
      return -k + s / N;
    };
    const bisect = (lo: number, hi: number) => {
      let glo = g(lo);
      for (let it = 0; it < 200; it++) {
        const mid = 0.5 * (lo + hi), gm = g(mid);
        if (Math.sign(gm) === Math.sign(glo)) {
          lo = mid;
          glo = gm;
        } else hi = mid;
      }
      return 0.5 * (lo + hi);
    };
    // Bracket every sign change of g on a fine grid.
    const roots: number[] = [];
    for (let k = -4; k < 4; k += 0.01) if (Math.sign(g(k)) !== Math.sign(g(k + 0.01))) roots.push(bisect(k, k + 0.01));
    expect(roots.length).toBe(3);

    const fps = await latentFixedPoints(model, { inputs: [u] });
    const found = Array.from(fps.points.data).sort((a, b) => a - b);
    expect(found.length).toBe(3);
    for (let i = 0; i < 3; i++) expect(Math.abs(found[i] - roots[i])).toBeLessThan(1e-10);
    for (let f = 0; f < 3; f++) {
      const k = fps.points.data[f];
      let slope = 0;
      for (let i = 0; i < N; i++) slope += (n[i] * (1 - Math.tanh(m[i] * k + u * wi[i]) ** 2) * m[i]) / N;
      expect(fps.eigenvalues.re.data[f]).toBeCloseTo(slope - 1, 12);
      // the other N - 1 eigenvalues are -1: the unstable point is a saddle of the network, as fixedPoints says
      expect(fps.stability[f]).toBe(slope - 1 < 0 ? 'stable' : 'saddle');
      expect(fps.unstableModes[f]).toBe(slope - 1 < 0 ? 0 : 1);
    }
    expect(fps.stability.filter((s) => s === 'stable').length).toBe(2);
    // Embedded, each is a fixed point of the full network.
    const x = embedLatent(model, fps.points, { inputs: [u] });
    expect(maxAbs(await vectorField(model, x, [u]))).toBeLessThan(1e-10);
    // Every start converged and is mapped to one of the points.
    expect(Array.from(fps.startPoint).every((i) => i >= 0 && i < 3)).toBe(true);
    expect(fps.starts.shape).toEqual([200, 1]);
  });

  test('rank-2: saddles between two stable points; eigenvalues against the x-space Jacobian -I + m diag(phi\') n^T / N', async () => {
    const model = rank2();
    const fps = await latentFixedPoints(model, { range: [[-4, 4], [-4, 4]] });
    expect(fps.points.shape[0]).toBeGreaterThanOrEqual(3);
    const N = 60, m = model.param('m').data, n = model.param('n').data, b = model.param('b').data;
    for (let f = 0; f < fps.points.shape[0]; f++) {
      const k = fps.points.data.subarray(f * 2, f * 2 + 2);
      // Trace and determinant of the reduced matrix from the x-space formula, against the eigenvalues.
      const red = [0, 0, 0, 0];
      for (let i = 0; i < N; i++) {
        const d = 1 - Math.tanh(m[i * 2] * k[0] + m[i * 2 + 1] * k[1] + b[i]) ** 2;
        for (let r = 0; r < 2; r++) for (let s = 0; s < 2; s++) red[r * 2 + s] += (n[i * 2 + r] * d * m[i * 2 + s]) / N;
      }
      const re = fps.eigenvalues.re.data, im = fps.eigenvalues.im.data;
      const l1 = [re[f * 2] + 1, im[f * 2]], l2 = [re[f * 2 + 1] + 1, im[f * 2 + 1]];
      expect(l1[0] + l2[0]).toBeCloseTo(red[0] + red[3], 10);
      expect(l1[0] * l2[0] - l1[1] * l2[1]).toBeCloseTo(red[0] * red[3] - red[1] * red[2], 10);
    }
    expect(fps.stability).toContain('stable');
    expect(fps.stability).toContain('saddle');
  });
});

describe('projection on kappa', () => {
  test('a noise-free trajectory from 0 is m kappa + sum_k v_k I_k with v the leaky-filtered input, kappa stepping by alpha kappa\'', async () => {
    const model = rank2();
    const T = 15;
    const inputs = randomTensor([2, T, 2], 8, 0.8);
    const sim = await model.simulate(inputs, { drawNoise: false });
    const proj = await projectOnLatent(model, sim.states!);
    expect(proj.kappa.shape).toEqual([2, T + 1, 2]);
    expect(maxAbs(proj.residual!.data)).toBeLessThan(1e-12);
    for (let b = 0; b < 2; b++) {
      const v = [0, 0];
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < 2; k++) expect(proj.inputs!.data[(b * (T + 1) + t) * 2 + k]).toBeCloseTo(v[k], 11);
        const kappa = { data: proj.kappa.data.slice((b * (T + 1) + t) * 2, (b * (T + 1) + t) * 2 + 2), shape: [1, 2] };
        const { velocity } = await latentVelocity(model, kappa, { inputs: v });
        for (let r = 0; r < 2; r++) {
          expect(proj.kappa.data[(b * (T + 1) + t + 1) * 2 + r]).toBeCloseTo(kappa.data[r] + alpha * velocity.data[r], 11);
        }
        for (let k = 0; k < 2; k++) v[k] += alpha * (-v[k] + inputs.data[(b * T + t) * 2 + k]);
      }
    }
  });

  test('overlaps are x . m / N and need orthogonal m', async () => {
    const model = rank2();
    const states = randomTensor([3, 60], 2);
    await expect(projectOnLatent(model, states, { coordinates: 'overlaps' })).rejects.toThrow(/orthogonal m columns.*svdReparametrize/);
    await svdReparametrize(model);
    const p = await projectOnLatent(model, states, { coordinates: 'overlaps' });
    const m = model.param('m').data;
    let dot = 0;
    for (let i = 0; i < 60; i++) dot += states.data[60 + i] * m[i * 2 + 1];
    expect(p.kappa.data[3]).toBeCloseTo(dot / 60, 13);
  });
});

describe('bad input', () => {
  test('errors name the argument', async () => {
    const full = new FullRankRNN({ size: 10, dtype: 'float64', seed: 1 });
    await expect(latentVelocity(full, randomTensor([1, 1], 1))).rejects.toThrow(/model must be a LowRankRNN/);
    const rate = new LowRankRNN({ size: 10, formulation: 'rate', dtype: 'float64', seed: 1 });
    await expect(latentVelocity(rate, randomTensor([1, 1], 1))).rejects.toThrow(/'current' formulation/);
    const model = rank2();
    await expect(latentVelocity(model, randomTensor([4, 3], 1))).rejects.toThrow(/kappa must have shape \[\.\.\., 2\]/);
    await expect(latentVelocity(model, randomTensor([4, 2], 1), { inputs: [1] })).rejects.toThrow("latentVelocity: option 'inputs' must be one finite number per input channel (2); got [1]");
    await expect(latentVelocity(model, randomTensor([4, 2], 1), { coordinates: 'polar' as never })).rejects.toThrow("latentVelocity: option 'coordinates' must be one of 'coefficients', 'overlaps'; got 'polar'");
    await expect(latentFlowField(model, { resolution: 0 })).rejects.toThrow("latentFlowField: option 'resolution' must be an integer in [1, 4096]; got 0");
    await expect(latentFlowField(model, { ranges: [[1, 0], [0, 1]] })).rejects.toThrow("latentFlowField: option 'ranges[0]' must be [min, max] with finite min < max; got [1, 0]");
    await expect(latentFlowField(model, { ranges: [[0, 1]] })).rejects.toThrow("latentFlowField: option 'ranges' must be 2 [min, max] pairs (one per axis); got [[0, 1]]");
    await expect(latentFixedPoints(model, { tolerance: -1 })).rejects.toThrow("latentFixedPoints: option 'tolerance' must be a finite number > 0; got -1");
    const nan = randomTensor([2, 2], 1);
    nan.data[1] = NaN;
    await expect(latentFixedPoints(model, { starts: nan })).rejects.toThrow(/starts contains NaN/);
  });
});

describe('the two fixed-point searches', () => {
  test('latentFixedPoints and fixedPoints give the same labels to the same points (all R latent directions growing: a saddle)', async () => {
    // Two latent axes with gains 3 and 2: stable points, saddles with one growing direction, and the origin with two.
    const N = 200;
    const rng = new Random(11);
    const m = Float64Array.from({ length: 2 * N }, () => rng.normal());
    const n = Float64Array.from(m, (x, j) => (j % 2 === 0 ? 3 : 2) * x);
    const model = new LowRankRNN({ size: N, rank: 2, dtype: 'float64', init: { m, n } });
    const latent = await latentFixedPoints(model, { range: [[-4, 4], [-4, 4]], startCount: 400 });
    const F = latent.points.shape[0];
    expect(F).toBeGreaterThanOrEqual(3);
    const origin = Array.from(latent.unstableModes).indexOf(2);
    expect(origin).toBeGreaterThanOrEqual(0);
    expect(latent.stability[origin]).toBe('saddle');
    const x = embedLatent(model, latent.points);
    const full = await fixedPoints(model, { initialStates: x, adam: { maxIterations: 0 }, tolerance: { qAbsolute: 1e-20 } });
    expect(full.points.shape[0]).toBe(F);
    for (let f = 0; f < F; f++) {
      const row = x.data.subarray(f * N, (f + 1) * N);
      const p = [...Array(F).keys()].find((q) => maxAbs(full.points.data.subarray(q * N, (q + 1) * N).map((v, i) => v - row[i])) < 1e-8);
      expect(p).toBeDefined();
      expect(full.stability.type[p!]).toBe(latent.stability[f]);
      expect(full.stability.unstable[p!]).toBe(latent.unstableModes[f]);
    }
    expect([...new Set(latent.stability)].sort()).toEqual(['saddle', 'stable']);
  });
});

describe('stability labels', () => {
  test('one classifier: stable, marginal, saddle, unstable', () => {
    expect(STABILITY_LABELS).toEqual(['stable', 'saddle', 'unstable', 'marginal']);
    expect(stabilityLabel({ unstable: 0, marginal: 0, stable: 3 })).toBe('stable');
    expect(stabilityLabel({ unstable: 0, marginal: 1, stable: 3 })).toBe('marginal');
    expect(stabilityLabel({ unstable: 2, marginal: 0, stable: 3 })).toBe('saddle');
    expect(stabilityLabel({ unstable: 2, marginal: 1, stable: 0 })).toBe('saddle');
    expect(stabilityLabel({ unstable: 2, marginal: 0, stable: 0 })).toBe('unstable');
  });
});
