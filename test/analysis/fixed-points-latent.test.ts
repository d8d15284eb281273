// The latent and Newton searches of fixedPoints against independent computations: the roots of a rank-1 net's
// self-consistency equation (bisection), the N-dimensional full search (Adam + Levenberg-Marquardt), the Jacobian's
// eigenvalues from numpy, and the search that must run where the reduction is not exact (no-autapse).
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, analysis, type Tensor } from '../../ts/index.js';
import { randomTensor } from '../support/models.js';
import { makeTempDir, numpy, runPython } from '../support/io.js';
import { bistable, maxAbsDiff, roots } from '../support/analysis.js';

const row = (t: Tensor, p: number) => t.data.slice(p * t.shape[1], (p + 1) * t.shape[1]) as Float64Array;

/** For every point of `a`, the distance to the nearest point of `b`. */
function nearest(a: Tensor, b: Tensor): number[] {
  return [...Array(a.shape[0]).keys()].map((p) => Math.min(...[...Array(b.shape[0]).keys()].map((q) => maxAbsDiff(row(a, p), row(b, q)))));
}

/** States m kappa + I + noise for the given kappas (rank 1), as initial states. */
function near(net: ReturnType<typeof bistable>, kappas: number[], u: number, noise: number, seed: number): Tensor<Float64Array> {
  const N = net.m.length;
  const rng = new Random(seed);
  const data = new Float64Array(kappas.length * N);
  kappas.forEach((k, s) => {
    for (let i = 0; i < N; i++) data[s * N + i] = net.m[i] * k + net.wi[i] * u + noise * rng.normal();
  });
  return { data, shape: [kappas.length, N] };
}

describe('latent search: the roots of kappa = <n tanh(m kappa + I)>', () => {
  const N = 200;
  const net = bistable(N, 7);

  for (const u of [0, 0.3]) {
    test(`input ${u}: every root, whichever start, to 1e-12, with q < 1e-26 in N dimensions`, async () => {
      const kappas = roots(net.selfConsistency(u), -6, 6);
      expect(kappas).toHaveLength(3);
      // every start near the upper stable point: the spread starts find the other two roots
      const fps = await analysis.fixedPoints(net.model, { initialStates: near(net, [kappas[2], kappas[2]], u, 0.1, 1), inputs: [u] });
      expect(fps.search).toBe('latent');
      expect(fps.points.shape[0]).toBe(3);
      const found = [...Array(3).keys()].map((p) => {
        let k = 0;
        let mm = 0;
        const x = row(fps.points, p);
        for (let i = 0; i < N; i++) (k += net.m[i] * (x[i] - net.wi[i] * u)), (mm += net.m[i] ** 2);
        return { p, kappa: k / mm };
      });
      found.sort((a, b) => a.kappa - b.kappa);
      found.forEach(({ p, kappa }, j) => {
        expect(Math.abs(kappa - kappas[j])).toBeLessThan(1e-12);
        expect(maxAbsDiff(row(fps.points, p), net.state(kappas[j], u))).toBeLessThan(1e-12);
        expect(fps.q[p]).toBeLessThan(1e-26);
        expect(fps.eigenvalues.re.data[p]).toBeCloseTo(net.eigenvalue(kappas[j], u), 11);
      });
      // both candidates led to the upper point, by Levenberg-Marquardt steps on the latent equation only
      const upper = found[2].p;
      expect(Array.from(fps.candidates.assignment)).toEqual([upper, upper]);
      expect(Array.from(fps.candidates.adamIterations)).toEqual([0, 0]);
      expect(Math.min(...fps.candidates.latentIterations)).toBeGreaterThan(0);
      // without the spread starts only the root the candidates lead to
      const alone = await analysis.fixedPoints(net.model, { initialStates: near(net, [kappas[2]], u, 0.1, 1), inputs: [u], latent: { starts: 0 } });
      expect(alone.points.shape[0]).toBe(1);
      expect(maxAbsDiff(row(alone.points, 0), net.state(kappas[2], u))).toBeLessThan(1e-12);
    });
  }

  test('the full N-dimensional search finds the same points', async () => {
    const initialStates = near(net, [-2, -0.2, 0.2, 2, -1, 1], 0.3, 0.3, 2);
    const latent = await analysis.fixedPoints(net.model, { initialStates, inputs: [0.3] });
    const full = await analysis.fixedPoints(net.model, { initialStates, inputs: [0.3], search: 'full' });
    expect(full.search).toBe('full');
    expect(full.points.shape[0]).toBe(3);
    expect(latent.points.shape[0]).toBe(3);
    for (const d of nearest(full.points, latent.points)) expect(d).toBeLessThan(1e-9);
    expect(Math.max(...full.candidates.adamIterations)).toBeGreaterThan(0);
  });

  test('rate formulation with biases: r = tanh(m kappa + I + b), the same points as the full search', async () => {
    const rate = new LowRankRNN({ size: 120, rank: 2, inputs: 1, outputs: 1, dtype: 'float64', formulation: 'rate', biases: true, seed: 4, init: { n: randomTensor([120, 2], 5, 2.2).data } });
    rate.setParams({ b: randomTensor([120], 6, 0.2) });
    const initialStates = randomTensor([40, 120], 8, 0.6);
    const latent = await analysis.fixedPoints(rate, { initialStates, inputs: [0.4] });
    const full = await analysis.fixedPoints(rate, { initialStates, inputs: [0.4], search: 'full' });
    expect(latent.search).toBe('latent');
    expect(full.points.shape[0]).toBeGreaterThan(0);
    // every point the full search found is one of the latent search's, and the latent points are fixed points of F
    for (const d of nearest(full.points, latent.points)) expect(d).toBeLessThan(1e-8);
    const v = await analysis.velocity(rate, latent.points, { inputs: [0.4] });
    expect(Math.max(...v.q)).toBeLessThan(1e-26);
  });

  test('the Jacobian eigenvalues at the points match numpy on the dense matrix', async (ctx) => {
    if (!numpy.available) ctx.skip();
    const fps = await analysis.fixedPoints(net.model, { initialStates: near(net, [-2, 0, 2], 0, 0.2, 3) });
    const dir = await makeTempDir();
    try {
      const path = join(dir.dir, 'j.json');
      const jac = await Promise.all([...Array(fps.points.shape[0]).keys()].map((p) => analysis.jacobian(net.model, row(fps.points, p))));
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path, JSON.stringify(jac.map((j) => Array.from(j.data))));
      const out = JSON.parse(
        runPython(
          `import json, sys, numpy as np
js = json.load(open(sys.argv[1]))
n = int(round(len(js[0]) ** 0.5))
print(json.dumps([float(np.max(np.linalg.eigvals(np.array(j).reshape(n, n)).real)) for j in js]))`,
          [path],
        ),
      );
      out.forEach((top: number, p: number) => expect(fps.eigenvalues.re.data[p]).toBeCloseTo(top, 9));
    } finally {
      await dir.remove();
    }
  });
});

describe('where the reduction is not exact', () => {
  test('no-autapse: auto runs the full search, latent is refused', async () => {
    const net = bistable(60, 3, { noAutapse: true });
    const fps = await analysis.fixedPoints(net.model, { initialStates: near(net, [-2, 2], 0, 0.1, 4) });
    expect(fps.search).toBe('full');
    expect(fps.method).toBe('dense');
    await expect(analysis.fixedPoints(net.model, { initialStates: near(net, [2], 0, 0.1, 4), search: 'latent' })).rejects.toThrow(
      "fixedPoints: option 'search' must be 'auto', 'full' or 'newton' ('latent' needs a low-rank net without noAutapse); got 'latent'",
    );
  });

  test('adam or polish options select the full search; latent with adam is refused', async () => {
    const net = bistable(40, 5);
    const fps = await analysis.fixedPoints(net.model, { initialStates: near(net, [2], 0, 0.1, 4), polish: { maxIterations: 50 } });
    expect(fps.search).toBe('full');
    await expect(analysis.fixedPoints(net.model, { initialStates: near(net, [2], 0, 0.1, 4), search: 'latent', adam: { lr: 0.1 } })).rejects.toThrow(
      /fixedPoints: option 'adam' must be undefined with search: 'latent'/,
    );
    await expect(analysis.fixedPoints(net.model, { initialStates: near(net, [2], 0, 0.1, 4), latent: { starts: -1 } })).rejects.toThrow(
      "fixedPoints: option 'latent.starts' must be an integer >= 0; got -1",
    );
  });
});

describe('Newton search (dense nets)', () => {
  test('a full-rank net holding m n^T / N: the rank-1 roots, as the full search finds them', async () => {
    const N = 150;
    const net = bistable(N, 9);
    const wrec = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) wrec[i * N + j] = (net.m[i] * net.n[j]) / N;
    const full = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', init: { wrec, wi: net.wi } });
    const kappas = roots(net.selfConsistency(0.2), -6, 6);
    const initialStates = near(net, [-2.5, -1.5, -0.3, 0, 0.3, 1.5, 2.5], 0.2, 0.2, 5);
    const fps = await analysis.fixedPoints(full, { initialStates, inputs: [0.2], search: 'newton' });
    expect(fps.search).toBe('newton');
    expect(fps.points.shape[0]).toBe(kappas.length);
    for (const d of nearest({ data: Float64Array.from(kappas.flatMap((k) => Array.from(net.state(k, 0.2)))), shape: [kappas.length, N] }, fps.points)) {
      expect(d).toBeLessThan(1e-10);
    }
    expect(Math.max(...fps.q)).toBeLessThan(1e-24);
    expect(Math.max(...fps.candidates.polishIterations)).toBeGreaterThan(0);
    const auto = await analysis.fixedPoints(full, { initialStates, inputs: [0.2] });
    expect(auto.search).toBe('newton');
    expect(Math.max(...auto.candidates.adamIterations)).toBeGreaterThan(0);
    for (const d of nearest(auto.points, fps.points)) expect(d).toBeLessThan(1e-9);
  });

  test('a linear rate net: the one solution of (I - W) r = W_in^T u + b', async () => {
    const N = 40;
    const model = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', activation: 'linear', formulation: 'rate', rho: 0.7, biases: true, seed: 3 });
    model.setParams({ b: randomTensor([N], 4, 0.5) });
    const fps = await analysis.fixedPoints(model, { initialStates: randomTensor([6, N], 5, 2), inputs: [0.5], search: 'newton' });
    expect(fps.points.shape[0]).toBe(1);
    const v = await analysis.velocity(model, fps.points, { inputs: [0.5] });
    expect(v.q[0]).toBeLessThan(1e-26);
    expect(Array.from(fps.candidates.assignment)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('files', () => {
  const dir = makeTempDir();
  afterAll(async () => (await dir).remove());

  test('the search and the latent iterations survive a round trip', async () => {
    const net = bistable(30, 2);
    const fps = await analysis.fixedPoints(net.model, { initialStates: near(net, [-2, 2], 0, 0.1, 6) });
    const path = join((await dir).dir, 'fp.npz');
    await analysis.saveFixedPoints(path, fps);
    const back = await analysis.loadFixedPoints(path);
    expect(back.search).toBe('latent');
    expect(back.candidates.latentIterations).toEqual(fps.candidates.latentIterations);
    expect(back.points).toEqual(fps.points);
  });
});
