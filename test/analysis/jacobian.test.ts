// The vector field against the engine's own step, analytic Jacobians against double-precision finite differences,
// the structured and reduced low-rank forms against the dense ones, and eigendecompositions against closed forms.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, analysis, type AnyModel, type Tensor } from '../../ts/index.js';
import { perturbAll, randomTensor } from '../support/models.js';
import { maxAbsDiff } from '../support/analysis.js';

const ACTIVATIONS = ['tanh', 'relu', 'leaky-relu', 'softplus', 'linear'] as const;

function makeModel(kind: 'lowrank' | 'fullrank', formulation: 'current' | 'rate', activation: string, noAutapse = false): AnyModel {
  const common = { size: 14, inputs: 3, outputs: 2, dtype: 'float64' as const, biases: true, formulation, activation: activation as 'tanh', slope: 0.2, noAutapse, seed: 5 };
  const model = kind === 'lowrank' ? new LowRankRNN({ ...common, rank: 3 }) : new FullRankRNN({ ...common, rho: 1.3 });
  perturbAll(model, 9); // generic values for si, b, ...
  return model;
}

const CASES = ACTIVATIONS.flatMap((activation) =>
  (['current', 'rate'] as const).flatMap((formulation) => [
    { kind: 'lowrank' as const, formulation, activation, noAutapse: false },
    { kind: 'lowrank' as const, formulation, activation, noAutapse: true },
    { kind: 'fullrank' as const, formulation, activation, noAutapse: false },
  ]),
);

describe('the vector field is the engine step: x_{t+1} = x_t + alpha F(x_t)', () => {
  for (const c of CASES) {
    test(JSON.stringify(c), async () => {
      const model = makeModel(c.kind, c.formulation, c.activation, c.noAutapse);
      const N = model.size;
      const B = 5;
      const x0 = randomTensor([B, N], 21, 0.8);
      const u = randomTensor([B, 1, 3], 22, 0.7);
      const sim = await model.simulate(u, { initialStates: x0, drawNoise: false });
      const F = await analysis.velocity(model, x0, { inputs: { data: u.data, shape: [B, 3] } });
      const alpha = model.config.alpha;
      const step = new Float64Array(B * N);
      for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) step[b * N + i] = (sim.states!.data[(b * 2 + 1) * N + i] - x0.data[b * N + i]) / alpha;
      expect(maxAbsDiff(F.velocity.data, step)).toBeLessThan(1e-12);
      for (let b = 0; b < B; b++) {
        let sq = 0;
        for (let i = 0; i < N; i++) sq += F.velocity.data[b * N + i] ** 2;
        expect(F.q[b]).toBeCloseTo(sq / 2, 12);
      }
    });
  }
});

/** Central differences of F in double precision: column j = (F(x + h e_j) - F(x - h e_j)) / 2h. */
async function finiteDifferenceJacobian(model: AnyModel, x: Float64Array, u: Float64Array, h = 1e-6): Promise<Float64Array> {
  const N = x.length;
  const probes = new Float64Array(2 * N * N);
  for (let j = 0; j < N; j++) {
    probes.set(x, 2 * j * N);
    probes.set(x, (2 * j + 1) * N);
    probes[2 * j * N + j] += h;
    probes[(2 * j + 1) * N + j] -= h;
  }
  const F = (await analysis.velocity(model, { data: probes, shape: [2 * N, N] }, { inputs: u })).velocity.data;
  const J = new Float64Array(N * N);
  for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) J[i * N + j] = (F[2 * j * N + i] - F[(2 * j + 1) * N + i]) / (2 * h);
  return J;
}

describe('analytic Jacobians against finite differences (both formulations, every transfer function)', () => {
  for (const c of CASES) {
    test(JSON.stringify(c), async () => {
      const model = makeModel(c.kind, c.formulation, c.activation, c.noAutapse);
      const N = model.size;
      const x = randomTensor([N], 31, 0.9).data as Float64Array;
      const u = Float64Array.of(0.3, -0.5, 0.8);
      const J = await analysis.jacobian(model, x, { inputs: u });
      expect(J.shape).toEqual([N, N]);
      const fd = await finiteDifferenceJacobian(model, x, u);
      expect(maxAbsDiff(J.data, fd)).toBeLessThan(1e-7);
      if (c.kind === 'lowrank') {
        const s = await analysis.structuredJacobian(model, x, { inputs: u });
        const R = 3;
        const formed = new Float64Array(N * N);
        for (let i = 0; i < N; i++)
          for (let j = 0; j < N; j++) {
            let v = i === j ? s.diagonal[i] : 0;
            for (let r = 0; r < R; r++) v += s.u.data[i * R + r] * s.v.data[j * R + r];
            formed[i * N + j] = v;
          }
        expect(maxAbsDiff(formed, J.data)).toBeLessThan(1e-13);
        if (!c.noAutapse) expect(Array.from(s.diagonal).every((d) => d === -1)).toBe(true);
      }
    });
  }
});

/** Matches each of `a` to the nearest unused value of `b`; returns the largest distance. */
function matchComplex(a: { re: ArrayLike<number>; im: ArrayLike<number> }, b: { re: ArrayLike<number>; im: ArrayLike<number> }): { worst: number; unused: number[] } {
  const used = new Set<number>();
  let worst = 0;
  for (let i = 0; i < a.re.length; i++) {
    let best = -1;
    let dist = Infinity;
    for (let j = 0; j < b.re.length; j++) {
      if (used.has(j)) continue;
      const d = Math.hypot(a.re[i] - b.re[j], a.im[i] - b.im[j]);
      if (d < dist) {
        dist = d;
        best = j;
      }
    }
    used.add(best);
    worst = Math.max(worst, dist);
  }
  return { worst, unused: Array.from({ length: b.re.length }, (_, j) => j).filter((j) => !used.has(j)) };
}

/** max_i |M v_i - lambda_i v_i| (right) or |w_i^T M - lambda_i w_i^T| (left) for a dense row-major M. */
function residual(M: Float64Array, N: number, e: analysis.Eigendecomposition, side: 'right' | 'left'): number {
  const vec = side === 'right' ? e.right! : e.left!;
  let worst = 0;
  for (let k = 0; k < e.re.length; k++) {
    for (let i = 0; i < N; i++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < N; j++) {
        const a = side === 'right' ? M[i * N + j] : M[j * N + i];
        re += a * vec.re.data[k * N + j];
        im += a * vec.im.data[k * N + j];
      }
      const vr = vec.re.data[k * N + i];
      const vi = vec.im.data[k * N + i];
      re -= e.re[k] * vr - e.im[k] * vi;
      im -= e.re[k] * vi + e.im[k] * vr;
      worst = Math.max(worst, Math.hypot(re, im));
    }
  }
  return worst;
}

/** w_k^T v_k for every pair (should be 1). */
function biorthogonality(e: analysis.Eigendecomposition, N: number): number {
  let worst = 0;
  for (let k = 0; k < e.re.length; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < N; i++) {
      const [a, b, c, d] = [e.left!.re.data[k * N + i], e.left!.im.data[k * N + i], e.right!.re.data[k * N + i], e.right!.im.data[k * N + i]];
      re += a * c - b * d;
      im += a * d + b * c;
    }
    worst = Math.max(worst, Math.hypot(re - 1, im));
  }
  return worst;
}

describe('reduced R x R eigenproblem against the dense N x N one (double)', () => {
  for (const [formulation, N, R] of [
    ['current', 60, 3],
    ['rate', 60, 2],
    ['current', 400, 4],
  ] as const) {
    test(`${formulation}, N = ${N}, R = ${R}`, async () => {
      const model = new LowRankRNN({ size: N, rank: R, inputs: 2, dtype: 'float64', formulation, biases: true, seed: 3 });
      perturbAll(model, 4);
      const x = randomTensor([N], 8, 1).data as Float64Array;
      const u = Float64Array.of(0.4, -0.2);
      const [reduced] = await analysis.linearize(model, x, { inputs: u, vectors: 'both' });
      const [dense] = await analysis.linearize(model, x, { inputs: u, method: 'dense', vectors: 'none' });
      expect(reduced.re.length).toBe(R);
      expect(reduced.trivial).toEqual({ value: -1, multiplicity: N - R });
      expect(dense.re.length).toBe(N);
      const { worst, unused } = matchComplex(reduced, dense);
      expect(worst).toBeLessThan(1e-8);
      for (const j of unused) expect(Math.hypot(dense.re[j] + 1, dense.im[j])).toBeLessThan(1e-8);
      // the lifted eigenvectors are eigenvectors of the dense Jacobian
      const J = await analysis.jacobian(model, x, { inputs: u });
      expect(residual(J.data, N, reduced, 'right')).toBeLessThan(1e-10);
      expect(residual(J.data, N, reduced, 'left')).toBeLessThan(1e-10);
      expect(biorthogonality(reduced, N)).toBeLessThan(1e-10);
      // the R x R matrix is (1/N) n^T diag(phi') m
      const s = await analysis.structuredJacobian(model, x, { inputs: u });
      const ev = await analysis.eigen(s.reduced);
      expect(maxAbsDiff(ev.re.map((v) => v - 1), reduced.re)).toBeLessThan(1e-12);
    });
  }

  test('no-autapse nets use the dense problem (their Jacobian is not -I plus rank R)', async () => {
    const model = new LowRankRNN({ size: 20, rank: 2, dtype: 'float64', noAutapse: true, seed: 2 });
    const [e] = await analysis.linearize(model, new Float64Array(20).fill(0.1));
    expect(e.re.length).toBe(20);
    expect(e.trivial).toBeUndefined();
    await expect(analysis.linearize(model, new Float64Array(20), { method: 'reduced' })).rejects.toThrow(/no-autapse/);
  });
});

describe('linear networks: eigenvalues in closed form', () => {
  test('circulant full-rank net: lambda_k = -1 + sum_j c_j exp(2 pi i j k / N), with eigenvectors', async () => {
    const N = 9;
    const c = [0.1, 0.5, -0.3, 0.2, 0, 0.05, -0.4, 0.3, 0.15];
    const wrec = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) wrec[i * N + j] = c[(j - i + N) % N];
    const model = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', activation: 'linear', init: { wrec } });
    const [e] = await analysis.linearize(model, new Float64Array(N).fill(0.7), { vectors: 'both' });
    const re = new Float64Array(N);
    const im = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      re[k] = -1;
      for (let j = 0; j < N; j++) {
        re[k] += c[j] * Math.cos((2 * Math.PI * j * k) / N);
        im[k] += c[j] * Math.sin((2 * Math.PI * j * k) / N);
      }
    }
    expect(matchComplex(e, { re, im }).worst).toBeLessThan(1e-12);
    for (let k = 1; k < N; k++) expect(e.re[k]).toBeLessThanOrEqual(e.re[k - 1]);
    const J = (await analysis.jacobian(model, new Float64Array(N))).data;
    expect(residual(J, N, e, 'right')).toBeLessThan(1e-12);
    expect(residual(J, N, e, 'left')).toBeLessThan(1e-12);
    expect(biorthogonality(e, N)).toBeLessThan(1e-12);
    expect(e.rcond).toBeGreaterThan(0.01); // normal matrix: well-conditioned eigenvectors
  });

  test('rank-1 linear net: the nontrivial eigenvalue is -1 + n.m / N at every state', async () => {
    const N = 50;
    const rng = new Random(6);
    const m = rng.fillNormal(new Float64Array(N));
    const n = rng.fillNormal(new Float64Array(N));
    const model = new LowRankRNN({ size: N, rank: 1, dtype: 'float64', activation: 'linear', init: { m, n } });
    const expected = -1 + m.reduce((s, v, i) => s + v * n[i], 0) / N;
    const states: Tensor = randomTensor([3, N], 7);
    const all = await analysis.linearize(model, states);
    expect(all).toHaveLength(3);
    for (const e of all) {
      expect(e.re[0]).toBeCloseTo(expected, 13);
      expect(e.im[0]).toBe(0);
    }
  });

  test('linearize returns one decomposition per state, always as an array', async () => {
    const model = new LowRankRNN({ size: 8, rank: 2, dtype: 'float64', seed: 4 });
    const x = randomTensor([8], 2).data as Float64Array;
    const one = await analysis.linearize(model, x);
    const row = await analysis.linearize(model, { data: x, shape: [1, 8] });
    expect(Array.isArray(one)).toBe(true);
    expect(one).toHaveLength(1);
    expect(one).toEqual(row);
    const two = await analysis.linearize(model, { data: Float64Array.of(...x, ...x), shape: [2, 8] });
    expect(two).toHaveLength(2);
    expect(two[1]).toEqual(one[0]);
  });

  test('eigen() of a rotation-scaling matrix: a +- b i', async () => {
    const e = await analysis.eigen({ data: Float64Array.of(0.3, -2, 2, 0.3), shape: [2, 2] }, { vectors: 'right' });
    expect(Array.from(e.re)).toEqual([0.3, 0.3].map((v) => expect.closeTo(v, 14)));
    expect(Array.from(e.im)).toEqual([2, -2].map((v) => expect.closeTo(v, 14)));
    expect(e.left).toBeUndefined();
    expect(e.right!.re.shape).toEqual([2, 2]);
  });
});
