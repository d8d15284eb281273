// The closed-form estimate, the Lyapunov solve and the long-time limit against numpy / scipy run side by side, and
// the simulation against the seed's equation and the Lyapunov limit.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { partialObservation as po } from '../../ts/index.js';
import { Random } from '../../ts/core/random.js';
import { pythonWith, runPython } from '../support/python.js';

const py = pythonWith(['numpy', 'scipy']);
const dir = mkdtempSync(join(tmpdir(), 'lowrank-po-'));

function write(name: string, data: Float64Array): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return path;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!py.available)(`closed form and Lyapunov against numpy / scipy (${py.reason})`, () => {
  test('ridge estimate = numpy lstsq (ridge 0) and the normal equations (ridge > 0), linear and tanh, several trials', async () => {
    const rng = new Random(3);
    const [B, T, d, a] = [3, 200, 6, 0.3];
    const x = rng.fillNormal(new Float64Array(B * T * d));
    const path = write('x.bin', x);
    for (const activation of ['linear', 'tanh'] as const) {
      for (const ridge of [0, 0.5]) {
        const e = await po.estimate({ data: x, shape: [B, T, d] }, { alpha: a, ridge, activation });
        const ref = JSON.parse(runPython(`
import sys, json, numpy as np
B, T, d, a, ridge, act = ${B}, ${T}, ${d}, ${a}, ${ridge}, '${activation}'
x = np.fromfile(sys.argv[1]).reshape(B, T, d)
prev = x[:, :-1].reshape(-1, d); nxt = x[:, 1:].reshape(-1, d)
phi = np.tanh(prev) if act == 'tanh' else prev
delta = nxt - (1 - a) * prev
if ridge == 0:
    # Delta_t = a A phi_t: least squares for (a A)^T
    sol, *_ = np.linalg.lstsq(phi, delta, rcond=None)
    A = sol.T / a
else:
    A = a * (delta.T @ phi) @ np.linalg.inv(ridge * np.eye(d) + a * a * phi.T @ phi)
print(json.dumps(A.ravel().tolist()))`, [path]));
        expect(maxAbsDiff(e.A.data, ref)).toBeLessThan(1e-9);
      }
    }
  });

  test('discrete Lyapunov = scipy.linalg.solve_discrete_lyapunov (a non-normal F), and the limit (B S)_oo S_oo^-1', async () => {
    const rng = new Random(5);
    const n = 30;
    const t = await po.teacher('feedforward', { size: n, beta: 0.5, seed: 2 });
    const a = 0.1;
    const f = Float64Array.from(t.weights.data, (v, i) => a * v + (i % (n + 1) === 0 ? 1 - a : 0));
    const g = rng.fillNormal(new Float64Array(n * n));
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) q[i * n + j] += g[i * n + k] * g[j * n + k];
    const s = await po.discreteLyapunov({ data: f, shape: [n, n] }, { data: q, shape: [n, n] });
    const ref = JSON.parse(runPython(`
import sys, json, numpy as np, scipy.linalg as sl
n = ${n}
f = np.fromfile(sys.argv[1]).reshape(n, n); q = np.fromfile(sys.argv[2]).reshape(n, n)
print(json.dumps(sl.solve_discrete_lyapunov(f, q).ravel().tolist()))`, [write('f.bin', f), write('q.bin', q)]));
    const scale = Math.max(...ref.map(Math.abs));
    expect(maxAbsDiff(s.data, ref) / scale).toBeLessThan(1e-10);

    const observed = [0, 3, 7, 11, 19];
    const lim = await po.stationaryLimit(t.weights, { alpha: a, noise: 0.3, observed });
    const refLim = JSON.parse(runPython(`
import sys, json, numpy as np, scipy.linalg as sl
n, a, s = ${n}, ${a}, 0.3
b = np.fromfile(sys.argv[1]).reshape(n, n)
F = (1 - a) * np.eye(n) + a * b
S = sl.solve_discrete_lyapunov(F, a * a * s * s * np.eye(n))
o = ${JSON.stringify(observed)}
L = (b @ S)[np.ix_(o, o)] @ np.linalg.inv(S[np.ix_(o, o)])
print(json.dumps(L.ravel().tolist()))`, [write('b.bin', t.weights.data)]));
    expect(maxAbsDiff(lim.A.data, refLim)).toBeLessThan(1e-8);
  });
});

describe('the simulation', () => {
  test('noise off: the seed equation z_t = (1 - a) z_{t-1} + a B tanh(z_{t-1}) step by step', async () => {
    const t = await po.teacher('oscillator', { size: 12, shift: 2, seed: 4 });
    const a = 0.2;
    const run = await po.simulateTeacher(t, { steps: 30, alpha: a, noise: 0, activation: 'tanh', units: 12, seed: 1 });
    const z = run.observed.data;
    const D = 12, B = t.weights.data;
    let worst = 0;
    for (let s = 1; s < 30; s++)
      for (let i = 0; i < D; i++) {
        let acc = 0;
        for (let j = 0; j < D; j++) acc += B[i * D + j] * Math.tanh(z[(s - 1) * D + j]);
        worst = Math.max(worst, Math.abs(z[s * D + i] - ((1 - a) * z[(s - 1) * D + i] + a * acc)));
      }
    expect(worst).toBeLessThan(1e-12);
  });

  test('noise on: residuals have std a s, and the observed covariance and the estimate approach the Lyapunov limit', async () => {
    const D = 16, d = 6, a = 0.3, s = 0.5;
    const t = await po.teacher('line-attractor', { size: D, eps: 0.2, others: [-0.4, 0.4], seed: 7 });
    const run = await po.simulateTeacher(t, { steps: 40000, trials: 2, alpha: a, noise: s, units: d, burnIn: 200, seed: 3, keepStates: true });
    const z = run.states!.data, B = t.weights.data;
    let sum = 0, count = 0;
    for (let step = 1; step < 2000; step++)
      for (let i = 0; i < D; i++) {
        let acc = 0;
        for (let j = 0; j < D; j++) acc += B[i * D + j] * z[(step - 1) * D + j];
        sum += (z[step * D + i] - (1 - a) * z[(step - 1) * D + i] - a * acc) ** 2;
        count++;
      }
    // 32000 draws: the std's relative standard error is about 0.4 %.
    expect(Math.sqrt(sum / count) / (a * s)).toBeCloseTo(1, 1);
    const lim = await po.stationaryLimit(t.weights, { alpha: a, noise: s, units: d });
    const x = run.observed.data;
    const n = x.length / d;
    const cov = new Float64Array(d * d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] += (x[r * d + i] * x[r * d + j]) / n;
    const soo = Float64Array.from({ length: d * d }, (_, k) => lim.covariance.data[Math.floor(k / d) * D + (k % d)]);
    expect(po.relativeDistance(cov, soo)).toBeLessThan(0.05);
    const e = await po.estimate(run.observed, { alpha: a, ridge: 0 });
    expect(po.relativeDistance(e.A.data, lim.A.data)).toBeLessThan(0.1);
  });

  test('measurement noise: the estimate follows the errors-in-variables limit [(B S)_oo - (1 - a) / a m^2 I] (S_oo + m^2 I)^-1', async () => {
    const D = 16, d = 6, a = 0.3, s = 0.5, m = 0.2;
    const t = await po.teacher('line-attractor', { size: D, eps: 0.2, others: [-0.4, 0.4], seed: 7 });
    const run = await po.simulateTeacher(t, { steps: 40000, trials: 2, alpha: a, noise: s, units: d, burnIn: 200, measurementNoise: m, seed: 3 });
    const e = await po.estimate(run.observed, { alpha: a, ridge: 0 });
    const noisy = await po.stationaryLimit(t.weights, { alpha: a, noise: s, units: d, measurementNoise: m });
    const clean = await po.stationaryLimit(t.weights, { alpha: a, noise: s, units: d });
    expect(po.relativeDistance(e.A.data, noisy.A.data)).toBeLessThan(0.1);
    expect(po.relativeDistance(e.A.data, clean.A.data)).toBeGreaterThan(0.3);
  });
});
