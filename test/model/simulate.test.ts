// The forward pass against the model equations evaluated independently here, in double precision.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, type AnyModel, type Tensor } from '../../ts/index.js';
import { perturbAll, randomTensor } from '../support/models.js';

const phi: Record<string, (x: number) => number> = {
  tanh: Math.tanh,
  relu: (x) => Math.max(0, x),
  linear: (x) => x,
  softplus: (x) => Math.log1p(Math.exp(x)),
};

/** Direct transcription of DESIGN.md §2 with loops, no noise. */
function referenceRun(model: AnyModel, inputs: Tensor) {
  const p = model.params();
  const c = model.config;
  const N = c.size, K = c.inputs, O = c.outputs, a = c.alpha;
  const f = phi[c.activation], fo = phi[c.outputActivation];
  const [B, T] = inputs.shape;
  const states = new Float64Array(B * (T + 1) * N);
  const outputs = new Float64Array(B * T * O);
  const J = (i: number, j: number) => {
    if (c.noAutapse && i === j) return 0;
    if (c.kind === 'fullrank') return p.wrec.data[i * N + j];
    let s = 0;
    for (let r = 0; r < c.rank; r++) s += p.m.data[i * c.rank + r] * p.n.data[j * c.rank + r];
    return s / N;
  };
  const readScale = c.kind === 'lowrank' ? 1 / N : 1;
  for (let b = 0; b < B; b++) {
    let x = Array.from(p.h0.data);
    states.set(x, b * (T + 1) * N);
    for (let t = 0; t < T; t++) {
      const u = Array.from({ length: K }, (_, k) => inputs.data[(b * T + t) * K + k]);
      const drive = (i: number) => u.reduce((s, uk, k) => s + uk * p.si.data[k] * p.wi.data[k * N + i], 0);
      const next = new Array<number>(N);
      if (c.formulation === 'current') {
        const r = x.map((xi, i) => f(xi + p.b.data[i]));
        for (let i = 0; i < N; i++) {
          let rec = 0;
          for (let j = 0; j < N; j++) rec += J(i, j) * r[j];
          next[i] = x[i] + a * (-x[i] + rec + drive(i));
        }
      } else {
        for (let i = 0; i < N; i++) {
          let rec = 0;
          for (let j = 0; j < N; j++) rec += J(i, j) * x[j];
          next[i] = (1 - a) * x[i] + a * f(rec + drive(i) + p.b.data[i]);
        }
      }
      x = next;
      states.set(x, (b * (T + 1) + t + 1) * N);
      const y = x.map((xi, i) => fo(c.formulation === 'current' ? xi + p.b.data[i] : xi));
      for (let o = 0; o < O; o++) {
        let z = 0;
        for (let i = 0; i < N; i++) z += y[i] * p.wo.data[i * O + o] * p.so.data[o];
        outputs[(b * T + t) * O + o] = z * readScale;
      }
    }
  }
  return { states, outputs };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

describe('simulate matches the model equations', () => {
  const cases = [
    { kind: 'lowrank', formulation: 'current', activation: 'tanh' },
    { kind: 'lowrank', formulation: 'current', activation: 'softplus', outputActivation: 'linear', noAutapse: true },
    { kind: 'lowrank', formulation: 'rate', activation: 'relu' },
    { kind: 'fullrank', formulation: 'current', activation: 'tanh' },
    { kind: 'fullrank', formulation: 'rate', activation: 'relu', noAutapse: true },
  ] as const;
  for (const c of cases) {
    test(JSON.stringify(c), async () => {
      const { kind, ...options } = c;
      const common = { size: 12, inputs: 2, outputs: 3, seed: 4, dtype: 'float64' as const, noise: 0.1, biases: true, ...options };
      const model = kind === 'lowrank' ? new LowRankRNN({ ...common, rank: 2 }) : new FullRankRNN(common);
      perturbAll(model, 9);
      const inputs = randomTensor([3, 7, 2], 1);
      const sim = await model.simulate(inputs, { drawNoise: false, rates: true });
      const ref = referenceRun(model, inputs);
      expect(sim.states!.shape).toEqual([3, 8, 12]);
      expect(sim.outputs!.shape).toEqual([3, 7, 3]);
      expect(maxRelDiff(sim.states!.data, ref.states)).toBeLessThan(1e-12);
      expect(maxRelDiff(sim.outputs!.data, ref.outputs)).toBeLessThan(1e-12);
      model.dispose();
    });
  }

  test('float32 agrees with float64 to single precision', async () => {
    const a = new LowRankRNN({ size: 64, rank: 2, inputs: 2, outputs: 1, seed: 5, dtype: 'float64' });
    const b = new LowRankRNN({ size: 64, rank: 2, inputs: 2, outputs: 1, seed: 5, dtype: 'float32' });
    const inputs = randomTensor([4, 30, 2], 3);
    const [sa, sb] = await Promise.all([a.simulate(inputs, { drawNoise: false }), b.simulate(inputs, { drawNoise: false })]);
    expect(sb.states!.data).toBeInstanceOf(Float32Array);
    expect(maxRelDiff(sb.states!.data, sa.states!.data)).toBeLessThan(1e-5);
  });
});

describe('noise', () => {
  test('per-step noise has the requested standard deviation, outside alpha (current formulation)', async () => {
    const sigma = 0.3;
    const model = new LowRankRNN({ size: 500, rank: 1, inputs: 1, outputs: 1, noise: sigma, seed: 2, dtype: 'float64' });
    model.setParams({ m: new Float64Array(500), n: new Float64Array(500) });
    const inputs = { data: new Float64Array(40), shape: [40, 1, 1] };
    const sim = await model.simulate(inputs, { seed: 8 });
    // x_0 = 0 and no recurrence or input: x_1 = sigma * xi
    const x1: number[] = [];
    for (let b = 0; b < 40; b++) for (let i = 0; i < 500; i++) x1.push(sim.states!.data[(b * 2 + 1) * 500 + i]);
    const mean = x1.reduce((s, v) => s + v, 0) / x1.length;
    const std = Math.sqrt(x1.reduce((s, v) => s + (v - mean) ** 2, 0) / x1.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - sigma) / sigma).toBeLessThan(0.01);
    // excess kurtosis of a Gaussian is 0
    const kurt = x1.reduce((s, v) => s + ((v - mean) / std) ** 4, 0) / x1.length - 3;
    expect(Math.abs(kurt)).toBeLessThan(0.1);
  });

  test('rate formulation: noise enters f with std sqrt(2 sigma^2 / alpha)', async () => {
    const sigma = 0.1, alpha = 0.5;
    const model = new FullRankRNN({ size: 400, inputs: 1, outputs: 1, noise: sigma, alpha, formulation: 'rate', activation: 'linear', seed: 2, dtype: 'float64' });
    model.setParams({ wrec: new Float64Array(400 * 400) });
    const sim = await model.simulate({ data: new Float64Array(50), shape: [50, 1, 1] }, { seed: 1 });
    const vals: number[] = [];
    for (let b = 0; b < 50; b++) for (let i = 0; i < 400; i++) vals.push(sim.states!.data[(b * 2 + 1) * 400 + i]);
    const std = Math.sqrt(vals.reduce((s, v) => s + v * v, 0) / vals.length);
    // r_1 = alpha * sqrt(2 sigma^2 / alpha) xi
    const expected = alpha * Math.sqrt((2 * sigma * sigma) / alpha);
    expect(Math.abs(std - expected) / expected).toBeLessThan(0.01);
  });

  test('same seed gives identical results, another seed differs, drawNoise: false is deterministic', async () => {
    const model = new LowRankRNN({ size: 64, rank: 2, inputs: 2, outputs: 1, noise: 0.05, seed: 3 });
    const inputs = randomTensor([5, 20, 2], 2, 1, 'float32');
    const a = await model.simulate(inputs, { seed: 10 });
    const b = await model.simulate(inputs, { seed: 10 });
    const c = await model.simulate(inputs, { seed: 11 });
    expect(Buffer.compare(Buffer.from(a.states!.data.buffer), Buffer.from(b.states!.data.buffer))).toBe(0);
    expect(maxRelDiff(a.states!.data, c.states!.data)).toBeGreaterThan(1e-3);
    const quiet = await model.simulate(inputs, { seed: 10, drawNoise: false });
    const quietOther = await model.simulate(inputs, { seed: 11, drawNoise: false });
    expect(Array.from(quietOther.states!.data)).toEqual(Array.from(quiet.states!.data));
    expect(maxRelDiff(a.states!.data, quiet.states!.data)).toBeGreaterThan(1e-3);
  });
});

describe('low-rank and full-rank agree', () => {
  test('a full-rank net with W = m n^T / N gives the same trajectories, noise included', async () => {
    const N = 40, R = 3;
    for (const formulation of ['current', 'rate'] as const) {
      const lr = new LowRankRNN({ size: N, rank: R, inputs: 2, outputs: 2, noise: 0.05, seed: 6, dtype: 'float64', formulation, noAutapse: formulation === 'rate' });
      const p = lr.params();
      const w = new Float64Array(N * N);
      for (let i = 0; i < N; i++)
        for (let j = 0; j < N; j++) {
          if (formulation === 'rate' && i === j) continue;
          let s = 0;
          for (let r = 0; r < R; r++) s += p.m.data[i * R + r] * p.n.data[j * R + r];
          w[i * N + j] = s / N;
        }
      const fr = new FullRankRNN({
        size: N, inputs: 2, outputs: 2, noise: 0.05, dtype: 'float64', formulation, noAutapse: formulation === 'rate',
        init: { wrec: w, wi: p.wi, wo: { data: p.wo.data.map((v) => v / N), shape: p.wo.shape } },
      });
      const inputs = randomTensor([3, 25, 2], 7);
      const a = await lr.simulate(inputs, { seed: 4 });
      const b = await fr.simulate(inputs, { seed: 4 });
      expect(maxRelDiff(a.states!.data, b.states!.data)).toBeLessThan(1e-12);
      expect(maxRelDiff(a.outputs!.data, b.outputs!.data)).toBeLessThan(1e-12);
    }
  });
});
