// Gaussian predictive information against closed forms: AR(1) (-1/2 log(1 - a^2) for every window), a
// non-symmetric VAR(1) (1/2 log det Sigma / det Sigma_noise), the maximising projection of an AR(1) hidden among
// white-noise coordinates, the gradient against central differences, estimates from simulated data, and value and
// gradient against numpy (slogdet of the block-Toeplitz covariances, central differences) at N = 12, d = 3.
import { describe, expect, test } from 'vitest';
import { Random, type Tensor } from '../../ts/index.js';
import { matmul, thinQr, transpose } from '../../ts/core/linalg.js';
import {
  crossCovariances,
  maximizePredictiveInformation,
  predictiveInformation,
  predictiveInformationGradient,
} from '../../ts/analysis/index.js';
import { randomTensor } from '../support/models.js';
import { pythonWith, runPython } from '../support/python.js';

const numpy = pythonWith(['numpy']);

/** numpy's PI_T of V^T x (slogdet of the block-Toeplitz covariances) and its gradient by central differences. */
const NUMPY_PI = `import sys, json, numpy as np
N, d, T = map(int, sys.argv[1:4]); C = np.array(json.loads(sys.argv[4])).reshape(2 * T, N, N); V = np.array(json.loads(sys.argv[5])).reshape(N, d)
def sigma(V, k):
    c = [V.T @ C[l] @ V for l in range(k)]
    return np.block([[c[j - i] if j >= i else c[i - j].T for j in range(k)] for i in range(k)])
def pi(V):
    return np.linalg.slogdet(sigma(V, T))[1] - 0.5 * np.linalg.slogdet(sigma(V, 2 * T))[1]
h = 1e-6; g = np.zeros_like(V)
for i in range(N):
    for a in range(d):
        up = V.copy(); up[i, a] += h; down = V.copy(); down[i, a] -= h
        g[i, a] = (pi(up) - pi(down)) / (2 * h)
print(json.dumps({"value": pi(V), "gradient": g.ravel().tolist()}))`;

function ar1Covariances(a: number, s2: number, lags: number): Tensor {
  return { data: Float64Array.from({ length: lags }, (_, d) => s2 * a ** d), shape: [lags, 1, 1] };
}

/** C(dt) = Sigma (A^T)^dt of x_{t+1} = A x_t + noise, with Sigma = A Sigma A^T + Q. */
function var1Covariances(A: number[], Q: number[], n: number, lags: number): { cov: Tensor; sigma: Float64Array } {
  let sigma: Float64Array = Float64Array.from(Q);
  for (let it = 0; it < 2000; it++) sigma = Float64Array.from(matmul(matmul(A, sigma, n, n, n), transpose(A, n, n), n, n, n), (x, i) => x + Q[i]);
  const out = new Float64Array(lags * n * n);
  let c: Float64Array = sigma;
  for (let d = 0; d < lags; d++) {
    out.set(c, d * n * n);
    c = matmul(c, transpose(A, n, n), n, n, n);
  }
  return { cov: { data: out, shape: [lags, n, n] }, sigma };
}

const det2 = (m: ArrayLike<number>) => m[0] * m[3] - m[1] * m[2];

describe('predictive information', () => {
  test('AR(1): -1/2 log(1 - a^2) for every window', async () => {
    for (const a of [0.9, -0.5, 0.2]) {
      for (const T of [1, 2, 5]) expect(await predictiveInformation(ar1Covariances(a, 2.5, 2 * T), T)).toBeCloseTo(-0.5 * Math.log(1 - a * a), 12);
    }
  });

  test('non-symmetric VAR(1): 1/2 log(det Sigma / det Q) for every window', async () => {
    const A = [0.6, 0.5, -0.3, 0.4], Q = [1, 0.3, 0.3, 0.5];
    for (const T of [1, 3]) {
      const { cov, sigma } = var1Covariances(A, Q, 2, 2 * T);
      expect(await predictiveInformation(cov, T)).toBeCloseTo(0.5 * Math.log(det2(sigma) / det2(Q)), 11);
    }
  });

  test('gradient against central differences', async () => {
    const A = [0.6, 0.5, 0.1, -0.3, 0.4, 0.2, 0.1, 0, 0.7], Q = [1, 0.3, 0, 0.3, 0.5, 0.1, 0, 0.1, 0.8];
    const { cov } = var1Covariances(A, Q, 3, 6);
    const v = randomTensor([3, 2], 4);
    const g = await predictiveInformationGradient(cov, 3, v);
    const h = 1e-6;
    for (let i = 0; i < 6; i++) {
      const up = Float64Array.from(v.data), down = Float64Array.from(v.data);
      up[i] += h;
      down[i] -= h;
      const fd = ((await predictiveInformation(cov, 3, { data: up, shape: [3, 2] })) - (await predictiveInformation(cov, 3, { data: down, shape: [3, 2] }))) / (2 * h);
      expect(g.data[i]).toBeCloseTo(fd, 7);
    }
  });

  test('the most predictive direction of an AR(1) hidden by a rotation among white-noise coordinates', async () => {
    const n = 5, a = 0.9, T = 3;
    const variances = [1, 2, 0.5, 1.5, 3];
    const q = thinQr(randomTensor([n, n], 7).data as Float64Array, n, n).q;
    const cov = new Float64Array(2 * T * n * n);
    for (let d = 0; d < 2 * T; d++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          for (let k = 0; k < n; k++) cov[d * n * n + i * n + j] += q[i * n + k] * variances[k] * (k === 0 ? a ** d : d === 0 ? 1 : 0) * q[j * n + k];
    const covariances = { data: cov, shape: [2 * T, n, n] };
    const best = await maximizePredictiveInformation(covariances, { dimension: 1, window: T, restarts: 3, seed: 1 });
    expect(best.predictiveInformation).toBeCloseTo(-0.5 * Math.log(1 - a * a), 8);
    let cos = 0;
    for (let i = 0; i < n; i++) cos += best.projection.data[i] * q[i * n];
    expect(Math.abs(cos)).toBeCloseTo(1, 6);
    expect(best.perRestart.length).toBe(3);
    // A 2-D projection containing the AR(1) direction and white noise has the same PI: no better plane exists.
    const plane = await maximizePredictiveInformation(covariances, { dimension: 2, window: T, seed: 2 });
    expect(plane.predictiveInformation).toBeCloseTo(-0.5 * Math.log(1 - a * a), 7);
  });

  test('estimated from a simulated AR(1): covariances and PI within sampling error', async () => {
    const a = 0.8, steps = 100000;
    const rng = new Random(3);
    const x = new Float64Array(2 * steps);
    for (let b = 0; b < 2; b++) {
      let v = rng.normal() / Math.sqrt(1 - a * a);
      for (let t = 0; t < steps; t++) {
        x[b * steps + t] = v;
        v = a * v + rng.normal();
      }
    }
    const cov = await crossCovariances({ data: x, shape: [2, steps, 1] }, 4);
    const s2 = 1 / (1 - a * a);
    for (let d = 0; d < 4; d++) expect(Math.abs(cov.data[d] - s2 * a ** d)).toBeLessThan(0.05 * s2);
    expect(Math.abs((await predictiveInformation(cov, 2)) + 0.5 * Math.log(1 - a * a))).toBeLessThan(0.02);
  });

  test('cross-covariances of a short multivariate series against the direct sums', async () => {
    const x = randomTensor([2, 6, 3], 5);
    const cov = await crossCovariances(x, 3);
    const mean = [0, 1, 2].map((i) => Array.from({ length: 12 }, (_, s) => x.data[s * 3 + i]).reduce((p, q) => p + q) / 12);
    let direct = 0;
    for (let b = 0; b < 2; b++) for (let t = 0; t + 2 < 6; t++) direct += (x.data[(b * 6 + t) * 3] - mean[0]) * (x.data[(b * 6 + t + 2) * 3 + 1] - mean[1]);
    expect(cov.data[2 * 9 + 1]).toBeCloseTo(direct / 8, 14);
    expect(cov.data[1]).toBeCloseTo(cov.data[3], 15); // C(0) symmetric
  });

  test.skipIf(!numpy.available)(`value and gradient against numpy at N = 12, d = 3, T = 3 (${numpy.reason})`, async () => {
    const [N, d, T] = [12, 3, 3];
    // an AR(1)-smoothed random series: covariances with structure at every lag
    const rng = new Random(11);
    const x = new Float64Array(600 * N);
    for (let t = 1; t < 600; t++) for (let i = 0; i < N; i++) x[t * N + i] = 0.7 * x[(t - 1) * N + i] + 0.2 * x[(t - 1) * N + ((i + 1) % N)] + rng.normal();
    const cov = await crossCovariances({ data: x, shape: [600, N] }, 2 * T);
    const v = { data: thinQr(randomTensor([N, d], 3).data as Float64Array, N, d).q, shape: [N, d] };
    const ref = JSON.parse(runPython(NUMPY_PI, [N, d, T].map(String).concat(JSON.stringify(Array.from(cov.data)), JSON.stringify(Array.from(v.data))))) as { value: number; gradient: number[] };
    expect(await predictiveInformation(cov, T, v)).toBeCloseTo(ref.value, 10);
    const g = await predictiveInformationGradient(cov, T, v);
    let worst = 0;
    for (let k = 0; k < g.data.length; k++) worst = Math.max(worst, Math.abs(g.data[k] - ref.gradient[k]));
    expect(worst).toBeLessThan(1e-6);
    expect(Math.max(...ref.gradient.map(Math.abs))).toBeGreaterThan(1e-2); // a gradient worth comparing
  });

  test('bad input names the argument', async () => {
    const cov = ar1Covariances(0.5, 1, 4);
    await expect(predictiveInformation(cov, 3)).rejects.toThrow(/covariances must have at least 2 window = 6 lags; got 4/);
    await expect(predictiveInformation(cov, 0)).rejects.toThrow("predictiveInformation: option 'window' must be an integer >= 1; got 0");
    await expect(predictiveInformation(cov, 1, randomTensor([2, 1], 1))).rejects.toThrow(/projection must have shape \[1, d\]/);
    await expect(predictiveInformation({ data: Float64Array.of(1, 2, 0, 0), shape: [4, 1, 1] }, 2)).rejects.toThrow(
      'the covariance of 2 consecutive projected samples is not positive definite; use more data, a smaller window or a lower dimension',
    );
    await expect(predictiveInformation({ data: Float64Array.of(NaN, 2, 0, 0), shape: [4, 1, 1] }, 1)).rejects.toThrow(/covariances contains NaN/);
    await expect(predictiveInformationGradient(cov, 1, randomTensor([1, 2], 1))).rejects.toThrow(/projection must have shape \[1, d\] with 1 <= d <= 1/);
    await expect(crossCovariances(randomTensor([5, 2], 1), 5)).rejects.toThrow("crossCovariances: option 'lags' must be an integer in [1, 4]; got 5");
    await expect(maximizePredictiveInformation(cov, { dimension: 2, window: 2 })).rejects.toThrow("maximizePredictiveInformation: option 'dimension' must be an integer in [1, 1]; got 2");
  });
});
