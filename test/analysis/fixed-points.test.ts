// Fixed and slow points against independent computations: the roots of a rank-1 net's self-consistency equation
// (bisection), the radius of a rank-2 ring (bisection), linear nets (a direct solve), and the dense path of a
// full-rank net holding the same connectivity.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, analysis, type AnyModel, type Tensor } from '../../ts/index.js';
import { randomTensor } from '../support/models.js';
import { makeTempDir, numpy, runPython } from '../support/io.js';
import { loadResult } from '../../ts/results/format.js';
import { bistable, maxAbsDiff, offSubspace, overlaps, ring, roots, solve } from '../support/analysis.js';

/** Trajectories [B, T + 1, N] from states m kappa0 + noise, at input u. */
async function trajectories(model: AnyModel, m: Float64Array, kappas: number[], u: number, steps = 40): Promise<Tensor> {
  const N = model.size;
  const noise = randomTensor([kappas.length, N], 77, 0.3).data;
  const init = new Float64Array(kappas.length * N);
  kappas.forEach((k, b) => {
    for (let i = 0; i < N; i++) init[b * N + i] = m[i] * k + noise[b * N + i];
  });
  const K = model.inputSize;
  const inputs = new Float64Array(kappas.length * steps * K).fill(u);
  const sim = await model.simulate({ data: inputs, shape: [kappas.length, steps, K] }, { initialStates: { data: init, shape: [kappas.length, N] }, drawNoise: false });
  return sim.states!;
}

function pointRow(fps: analysis.FixedPoints, p: number): Float64Array {
  const N = fps.points.shape[1];
  return fps.points.data.slice(p * N, (p + 1) * N);
}

describe('rank-1 bistable net: the points are the roots of kappa = <n tanh(m kappa + I)>', () => {
  const N = 300;
  const net = bistable(N, 1);
  const us = [0, 0.25];
  const search = (async () => {
    const from = await trajectories(net.model, net.m, [-3, -1.5, -0.4, 0.4, 1.5, 3], 0);
    return analysis.fixedPoints(net.model, { from, inputs: { data: Float64Array.from(us), shape: [2, 1] }, count: 96, perturbation: 0.4, seed: 3 });
  })();

  for (const [c, u] of us.entries()) {
    test(`input ${u}`, async () => {
      const fps = await search;
      const kappas = roots(net.selfConsistency(u), -6, 6);
      expect(kappas).toHaveLength(3);
      const mine = [...fps.condition.keys()].filter((p) => fps.condition[p] === c);
      expect(mine).toHaveLength(3);
      const found = mine
        .map((p) => ({ p, kappa: overlaps(net.m, 1, pointRow(fps, p).map((x, i) => x - net.wi[i] * u))[0] }))
        .sort((a, b) => a.kappa - b.kappa);
      found.forEach(({ p, kappa }, k) => {
        expect(Math.abs(kappa - kappas[k])).toBeLessThan(1e-10);
        expect(maxAbsDiff(pointRow(fps, p), net.state(kappas[k], u))).toBeLessThan(1e-10);
        expect(fps.q[p]).toBeLessThan(1e-24);
        expect(fps.eigenvalues.re.data[p]).toBeCloseTo(net.eigenvalue(kappas[k], u), 10);
        expect(fps.stability.type[p]).toBe(k === 1 ? 'saddle' : 'stable');
        expect(fps.stability.unstable[p]).toBe(k === 1 ? 1 : 0);
      });
      expect(fps.method).toBe('reduced');
      expect(fps.trivialEigenvalue).toEqual({ value: -1, multiplicity: N - 1 });
    });
  }

  test('every candidate is accounted for, and candidates that led to a point ended on it', async () => {
    const fps = await search;
    const P = fps.candidates.assignment.length;
    expect(P).toBe(2 * 96);
    for (let s = 0; s < P; s++) {
      const a = fps.candidates.assignment[s];
      expect(a).toBeGreaterThanOrEqual(-2);
      if (a < 0) continue;
      expect(fps.condition[a]).toBe(fps.candidates.condition[s]);
      const dist = Math.hypot(...pointRow(fps, a).map((v, i) => v - fps.candidates.final.data[s * N + i]));
      expect(dist).toBeLessThanOrEqual(fps.tolerances.unique);
    }
  });

  test('topology: restarts from the saddle split between the two stable points; stable points keep theirs', async () => {
    const fps = await search;
    const topo = await analysis.topology(net.model, fps, { restarts: 40, seed: 5 });
    const P = fps.points.shape[0];
    expect(topo.probabilities.shape).toEqual([P, P + 1]);
    for (let p = 0; p < P; p++) {
      const row = Array.from(topo.counts.slice(p * (P + 1), (p + 1) * (P + 1)));
      expect(row.reduce((a, b) => a + b, 0)).toBe(40);
      const sameCondition = (q: number) => q < P && fps.condition[q] === fps.condition[p];
      expect(row.every((k, q) => k === 0 || sameCondition(q))).toBe(true);
      if (fps.stability.type[p] === 'stable') expect(row[p]).toBe(40);
      else {
        expect(row[p]).toBe(0);
        const targets = row.map((k, q) => (k > 0 ? q : -1)).filter((q) => q >= 0);
        expect(targets).toHaveLength(2);
        for (const q of targets) expect(fps.stability.type[q]).toBe('stable');
      }
      const probs = topo.probabilities.data.slice(p * (P + 1), (p + 1) * (P + 1));
      row.forEach((k, q) => {
        expect(probs[q]).toBeCloseTo(k / 40, 14);
        expect(topo.lower.data[p * (P + 1) + q]).toBeLessThanOrEqual(probs[q]);
        expect(topo.upper.data[p * (P + 1) + q]).toBeGreaterThanOrEqual(probs[q]);
      });
    }
  });

  test('the rate formulation has the same kappa roots, at r = tanh(m kappa + I)', async () => {
    const rate = bistable(N, 1, { formulation: 'rate' });
    const from = await trajectories(rate.model, rate.m, [-2, 2, 0.2], 0);
    const fps = await analysis.fixedPoints(rate.model, { from, inputs: [0.25], count: 64, perturbation: 0.2, seed: 1 });
    const kappas = roots(rate.selfConsistency(0.25), -6, 6);
    expect(fps.points.shape[0]).toBe(3);
    for (let p = 0; p < 3; p++) {
      const r = pointRow(fps, p);
      let kappa = 0;
      for (let i = 0; i < N; i++) kappa += rate.n[i] * r[i];
      kappa /= N;
      const k = kappas.reduce((best, v) => (Math.abs(v - kappa) < Math.abs(best - kappa) ? v : best));
      expect(Math.abs(kappa - k)).toBeLessThan(1e-10);
      expect(maxAbsDiff(r, rate.state(k, 0.25).map(Math.tanh))).toBeLessThan(1e-10);
      expect(fps.eigenvalues.re.data[p]).toBeCloseTo(rate.eigenvalue(k, 0.25), 10);
    }
  });

  test('a full-rank net holding m n^T / N finds the same points through the dense path', async () => {
    const low = await search;
    const wrec = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) wrec[i * N + j] = (net.m[i] * net.n[j]) / N;
    const full = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', init: { wrec, wi: net.wi } });
    const fps = await analysis.fixedPoints(full, { initialStates: low.points, inputs: [0], polish: { maxIterations: 20 } });
    expect(fps.method).toBe('dense');
    expect(fps.eigenvalues.re.shape[1]).toBe(N);
    const lowZero = [...low.condition.keys()].filter((p) => low.condition[p] === 0);
    expect(fps.points.shape[0]).toBe(lowZero.length);
    for (let p = 0; p < fps.points.shape[0]; p++) {
      const x = pointRow(fps, p);
      const match = lowZero.find((q) => maxAbsDiff(pointRow(low, q), x) < 1e-9);
      expect(match).toBeDefined();
      expect(fps.eigenvalues.re.data[p * N]).toBeCloseTo(low.eigenvalues.re.data[match!], 9);
      expect(fps.stability.type[p]).toBe(low.stability.type[match!]);
    }
  });
});

describe('rank-2 ring: a ring of slow points at the radius of the 1-D radial equation', () => {
  test('points spread around the ring, each with one marginal and one stable mode', async () => {
    const N = 256;
    const net = ring(N, 1.5, 2);
    const [rho] = roots(net.radial, 0.05, 10);
    expect(rho).toBeGreaterThan(0.5);
    const S = 300;
    const from = randomTensor([S, N], 12, 0.2);
    const angles = randomTensor([S, 2], 13, 1.5).data;
    for (let s = 0; s < S; s++) for (let i = 0; i < N; i++) from.data[s * N + i] += net.m[2 * i] * angles[2 * s] + net.m[2 * i + 1] * angles[2 * s + 1];
    const fps = await analysis.fixedPoints(net.model, { from, count: 120, seed: 2 });
    const P = fps.points.shape[0];
    expect(P).toBeGreaterThan(40);
    const thetas: number[] = [];
    let origins = 0;
    for (let p = 0; p < P; p++) {
      const x = pointRow(fps, p);
      const k = overlaps(net.m, 2, x);
      if (Math.hypot(...x) < 1e-8) {
        // the origin: both nontrivial eigenvalues -1 + g a^2 / 2, an index-2 saddle
        origins++;
        for (const v of fps.eigenvalues.re.data.slice(2 * p, 2 * p + 2)) expect(v).toBeCloseTo(-1 + (2 * 1.5 ** 2) / 2, 10);
        expect([fps.stability.type[p], fps.stability.unstable[p]]).toEqual(['saddle', 2]);
        continue;
      }
      expect(Math.abs(Math.hypot(k[0], k[1]) - rho)).toBeLessThan(1e-8);
      expect(offSubspace(net.m, 2, x)).toBeLessThan(1e-10);
      expect(fps.q[p]).toBeLessThan(1e-20);
      thetas.push(Math.atan2(k[1], k[0]));
      // eigenvalues: tangential 0, radial -1 + (g / N) sum_i phi'(m_i . kappa) (m_i . e)^2
      const e = [k[0] / rho, k[1] / rho];
      let radial = 0;
      for (let i = 0; i < N; i++) {
        const mk = net.m[2 * i] * k[0] + net.m[2 * i + 1] * k[1];
        radial += (1 - Math.tanh(mk) ** 2) * (net.m[2 * i] * e[0] + net.m[2 * i + 1] * e[1]) ** 2;
      }
      radial = -1 + (2 * radial) / N;
      const [first, second] = [fps.eigenvalues.re.data[2 * p], fps.eigenvalues.re.data[2 * p + 1]];
      expect(Math.abs(first)).toBeLessThan(1e-8);
      expect(second).toBeCloseTo(radial, 8);
      expect(fps.stability.type[p]).toBe('marginal');
    }
    expect(origins).toBeLessThanOrEqual(1);
    thetas.sort((a, b) => a - b);
    const gaps = thetas.map((t, i) => (i === 0 ? t + 2 * Math.PI - thetas[thetas.length - 1] : t - thetas[i - 1]));
    expect(Math.max(...gaps)).toBeLessThan(Math.PI / 4);
    // a continuous attractor: the line-attractor score of a ring point is large
    const onRing = fps.stability.type.indexOf('marginal');
    const las = await analysis.lineAttractorScore(analysis.pointEigenvalues(fps, onRing));
    expect(las.score).toBeGreaterThan(10);
  });
});

describe('linear networks: the one fixed point in closed form', () => {
  for (const formulation of ['current', 'rate'] as const) {
    test(formulation, async () => {
      const N = 30;
      const model = new FullRankRNN({ size: N, inputs: 2, dtype: 'float64', activation: 'linear', formulation, rho: 0.6, biases: true, seed: 9 });
      model.setParams({ b: randomTensor([N], 3, 0.5) });
      const p = model.params();
      const u = [0.7, -0.4];
      // (I - W) x = W_in^T u (+ b for the rate formulation; the current one has b inside phi: x = W (x + b) + W_in^T u)
      const A = new Float64Array(N * N);
      const rhs = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < N; j++) A[i * N + j] = (i === j ? 1 : 0) - p.wrec.data[i * N + j];
        for (let k = 0; k < 2; k++) rhs[i] += u[k] * p.si.data[k] * p.wi.data[k * N + i];
        if (formulation === 'rate') rhs[i] += p.b.data[i];
        else for (let j = 0; j < N; j++) rhs[i] += p.wrec.data[i * N + j] * p.b.data[j];
      }
      const expected = solve(A, rhs);
      const fps = await analysis.fixedPoints(model, { initialStates: randomTensor([20, N], 4, 2), inputs: u });
      expect(fps.points.shape[0]).toBe(1);
      expect(maxAbsDiff(fps.points.data, expected)).toBeLessThan(1e-9);
      expect(fps.stability.type[0]).toBe('stable');
      expect(Array.from(fps.candidates.assignment).every((a) => a === 0)).toBe(true);
    });
  }
});

describe('search mechanics', () => {
  const net = bistable(80, 4);
  const from = trajectories(net.model, net.m, [-2, 2, 0.1, -0.1], 0);

  test('same seed, same result, whatever the thread count; float64 first phase gives the same points', async () => {
    const opts = { count: 50, perturbation: 0.3, seed: 8 };
    const a = await analysis.fixedPoints(net.model, { from: await from, ...opts, threads: 1 });
    const b = await analysis.fixedPoints(net.model, { from: await from, ...opts, threads: 2 });
    expect(b.points.data).toEqual(a.points.data);
    expect(b.candidates.final.data).toEqual(a.candidates.final.data);
    const c = await analysis.fixedPoints(net.model, { from: await from, ...opts, adam: { precision: 'float64' } });
    expect(c.points.shape).toEqual(a.points.shape);
    for (let p = 0; p < c.points.shape[0]; p++) {
      const x = pointRow(c, p);
      expect([...Array(a.points.shape[0]).keys()].some((q) => maxAbsDiff(pointRow(a, q), x) < 1e-9)).toBe(true);
    }
  });

  test('without polishing, Adam alone stops at its tolerance; a strict q tolerance then rejects candidates', async () => {
    const fps = await analysis.fixedPoints(net.model, { from: await from, count: 30, seed: 1, polish: false, tolerance: { qAbsolute: 1e-30 } });
    expect(fps.points.shape[0]).toBe(0);
    expect(Array.from(fps.candidates.assignment).every((a) => a === -1)).toBe(true);
    expect(Array.from(fps.candidates.polishIterations).every((k) => k === 0)).toBe(true);
    expect(Math.max(...fps.candidates.adamIterations)).toBeGreaterThan(0);
  });

  test('distance outliers are dropped', async () => {
    const init = (await from).data.slice(0, 80 * 3);
    const fps = await analysis.fixedPoints(net.model, { initialStates: { data: init, shape: [3, 80] }, tolerance: { outlier: 1e-6 } });
    expect(Array.from(fps.candidates.assignment)).toEqual([-2, -2, -2]);
  });

  test('progress reports every phase; an abort rejects with an AbortError', async () => {
    const phases = new Set<string>();
    await analysis.fixedPoints(net.model, { from: await from, count: 70, search: 'full', onProgress: (p) => phases.add(p.phase) });
    expect([...phases]).toEqual(['adam', 'polish', 'linearize']);
    phases.clear();
    await analysis.fixedPoints(net.model, { from: await from, count: 70, onProgress: (p) => phases.add(p.phase) });
    expect([...phases]).toEqual(['latent', 'linearize']);
    const big = new FullRankRNN({ size: 200, inputs: 1, rho: 1.5, dtype: 'float64', seed: 3 });
    const controller = new AbortController();
    const t0 = performance.now();
    const run = analysis.fixedPoints(big, { initialStates: randomTensor([512, 200], 1, 1), adam: { maxIterations: 100000, minLr: 0, tolQ: 0 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(5000);
    await expect(analysis.fixedPoints(big, { initialStates: randomTensor([2, 200], 1, 1), signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('an exception in onProgress stops the search and rejects with it', async () => {
    const run = analysis.fixedPoints(net.model, {
      from: await from,
      count: 10,
      onProgress: () => {
        throw new Error('from the callback');
      },
    });
    await expect(run).rejects.toThrow('from the callback');
  });
});

describe('files', () => {
  const dir = makeTempDir();
  afterAll(async () => (await dir).remove());
  const net = bistable(40, 2);

  test('saveFixedPoints / loadFixedPoints round trip; numpy reads the arrays', async () => {
    const from = await trajectories(net.model, net.m, [-2, 2, 0.1], 0);
    const fps = await analysis.fixedPoints(net.model, { from, count: 40, perturbation: 0.3, seed: 1 });
    const path = join((await dir).dir, 'fp.npz');
    await analysis.saveFixedPoints(path, fps);
    const back = await analysis.loadFixedPoints(path);
    expect(back.points).toEqual(fps.points);
    expect(back.eigenvalues).toEqual(fps.eigenvalues);
    expect(back.eigenvectors).toEqual(fps.eigenvectors);
    expect(back.stability).toEqual(fps.stability);
    expect(back.candidates).toEqual(fps.candidates);
    expect(back.trivialEigenvalue).toEqual(fps.trivialEigenvalue);
    expect(back.tolerances).toEqual(fps.tolerances);
    expect(back.scales).toEqual(fps.scales);
    expect(back.method).toBe(fps.method);
    const file = await loadResult(path, 'fixed-points');
    expect(file.meta).toMatchObject({ kind: 'fixed-points', method: 'reduced', convention: 'continuous', scales: fps.scales });
    expect(file.arrays.info).toBeUndefined();
    if (!numpy.available) {
      console.log(`skipping the numpy check: ${numpy.reason}`);
      return;
    }
    const out = runPython(
      `import json, sys, numpy as np
f = np.load(sys.argv[1])
meta = json.loads(str(f['meta']))
ev = f['eigenvalues.re'] + 1j * f['eigenvalues.im']
print(json.dumps({'points': list(f['points'].shape), 'stability': [str(s) for s in f['stability.type']], 'ev': ev.real.ravel().tolist(),
  'assignment': f['candidates.assignment'].dtype.str, 'method': meta['method'], 'right': list(f['eigenvectors.right.re'].shape)}))`,
      [path],
    );
    const r = JSON.parse(out);
    expect(r.points).toEqual(fps.points.shape);
    expect(r.stability).toEqual(fps.stability.type);
    expect(r.ev).toEqual(Array.from(fps.eigenvalues.re.data));
    expect(r.assignment).toBe('<i4');
    expect(r.method).toBe('reduced');
    expect(r.right).toEqual([fps.points.shape[0], 1, 40]);
  });
});
