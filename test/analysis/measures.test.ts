// The measures of seed 001 against closed forms, hand-computed cases, independent constructions and numpy run side
// by side (skipped with a message when python3 lacks numpy).
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, schur, svd, type Tensor } from '../../ts/index.js';
import { matmul, thinQr, transpose } from '../../ts/core/linalg.js';
import { eigenvectorCentrality, nonNormality, pca, principalAngles, readoutAngles, weightChange } from '../../ts/analysis/index.js';
import { numpy, runPython } from '../support/io.js';
import { randomBatch, randomTensor } from '../support/models.js';

const mat = (rows: number[][]): Tensor => ({ data: Float64Array.from(rows.flat()), shape: [rows.length, rows[0].length] });

/** A random orthogonal n x n matrix (QR of a Gaussian matrix). */
function orthogonal(n: number, seed: number): Float64Array {
  return thinQr(randomTensor([n, n], seed).data as Float64Array, n, n).q;
}

/** Columns `cols` of a row-major n x c matrix. */
function columns(a: Float64Array, n: number, c: number, cols: number[]): Float64Array {
  return Float64Array.from({ length: n * cols.length }, (_, i) => a[Math.floor(i / cols.length) * c + cols[i % cols.length]]);
}

describe('pca', () => {
  test('matches numpy (eigh of np.cov) and reconstructs the data', async (ctx) => {
    const rng = new Random(1);
    const N = 6, B = 3, T = 40;
    const mix = randomTensor([N, N], 2).data;
    const data = new Float64Array(B * T * N);
    for (let s = 0; s < B * T; s++) {
      const z = Array.from({ length: N }, (_, i) => rng.normal() * (i + 1));
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) data[s * N + i] += mix[i * N + j] * z[j] + (i === 0 ? 3 : 0);
    }
    const p = await pca({ data, shape: [B, T, N] });
    expect(p.components.shape).toEqual([N, N]);
    expect(p.scores.shape).toEqual([B, T, N]);
    // scores components^T + mean = data
    let err = 0;
    for (let s = 0; s < B * T; s++)
      for (let i = 0; i < N; i++) {
        let x = p.mean[i];
        for (let j = 0; j < N; j++) x += p.scores.data[s * N + j] * p.components.data[i * N + j];
        err = Math.max(err, Math.abs(x - data[s * N + i]));
      }
    expect(err).toBeLessThan(1e-10);
    expect(p.variance.reduce((a, b) => a + b)).toBeCloseTo(p.totalVariance, 10);
    expect(p.varianceRatio.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    const top2 = await pca({ data, shape: [B * T, N] }, { components: 2 });
    expect(Array.from(top2.variance)).toEqual(Array.from(p.variance.slice(0, 2)).map((v) => expect.closeTo(v, 9)));

    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const ref = JSON.parse(runPython(
      'import numpy as np, json, sys; x = np.array(json.loads(sys.argv[1])).reshape(-1, 6); w, v = np.linalg.eigh(np.cov(x.T)); print(json.dumps([w[::-1].tolist(), v[:, ::-1].T.tolist()]))',
      [JSON.stringify(Array.from(data))],
    )) as [number[], number[][]];
    for (let j = 0; j < N; j++) {
      expect(p.variance[j]).toBeCloseTo(ref[0][j], 9);
      let dot = 0;
      for (let i = 0; i < N; i++) dot += p.components.data[i * N + j] * ref[1][j][i];
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
    }
  });
});

describe('principal angles', () => {
  test('known angles (down to 1e-9 rad) between subspaces given by mixed, non-orthogonal bases', async () => {
    const n = 8;
    const q = orthogonal(n, 3);
    const theta = [1e-9, 0.4, Math.PI / 2];
    const a = columns(q, n, n, [0, 1, 2]);
    const b = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) b[i * 3 + j] = Math.cos(theta[j]) * q[i * n + j] + Math.sin(theta[j]) * q[i * n + 3 + j];
    const mixA = [2, 1, 0, 0, 1, 0, 0.5, 0, 3], mixB = [1, 0, 0, 4, 1, 0, 0, 2, -1];
    const angles = await principalAngles({ data: matmul(a, mixA, n, 3, 3), shape: [n, 3] }, { data: matmul(b, mixB, n, 3, 3), shape: [n, 3] });
    expect(angles.length).toBe(3);
    expect(Math.abs(angles[0] - 1e-9)).toBeLessThan(1e-15);
    expect(angles[1]).toBeCloseTo(0.4, 13);
    expect(angles[2]).toBeCloseTo(Math.PI / 2, 13);
    // Subspaces of different dimension: a plane inside a 3-space has zero angles.
    const inside = await principalAngles({ data: a, shape: [n, 3] }, { data: columns(a, n, 3, [0, 2]), shape: [n, 2] });
    expect(Math.max(...Array.from(inside))).toBeLessThan(1e-14);
    await expect(principalAngles({ data: columns(a, n, 3, [0, 0]), shape: [n, 2] }, { data: a, shape: [n, 3] })).rejects.toThrow(/a's columns are linearly dependent/);
    await expect(principalAngles(randomTensor([5, 2], 1), randomTensor([6, 2], 1))).rejects.toThrow(/same number of rows/);
  });

  test('random subspaces: against numpy arccos(svd(Qa^T Qb))', async (ctx) => {
    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const a = randomTensor([20, 4], 5), b = randomTensor([20, 3], 6);
    const angles = await principalAngles(a, b);
    const ref = JSON.parse(runPython(
      'import numpy as np, json, sys; a = np.array(json.loads(sys.argv[1])).reshape(20, 4); b = np.array(json.loads(sys.argv[2])).reshape(20, 3); qa = np.linalg.qr(a)[0]; qb = np.linalg.qr(b)[0]; print(json.dumps(np.arccos(np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1, 1)).tolist()))',
      [JSON.stringify(Array.from(a.data)), JSON.stringify(Array.from(b.data))],
    )) as number[];
    for (let j = 0; j < 3; j++) expect(angles[j]).toBeCloseTo(ref[j], 10);
  });

  test('readout angles: a readout at 0.3 rad from a plane', async () => {
    const N = 10;
    const model = new FullRankRNN({ size: N, outputs: 2, dtype: 'float64', seed: 1 });
    const q = orthogonal(N, 7);
    const wo = new Float64Array(N * 2);
    for (let i = 0; i < N; i++) {
      wo[i * 2] = Math.cos(0.3) * q[i * N] + Math.sin(0.3) * q[i * N + 4];
      wo[i * 2 + 1] = q[i * N + 1];
    }
    model.setParams({ wo, so: Float64Array.of(2, -1) });
    const plane = { data: columns(q, N, N, [0, 1]), shape: [N, 2] };
    const r = await readoutAngles(model, plane);
    expect(r.perOutput[0]).toBeCloseTo(0.3, 13);
    expect(r.perOutput[1]).toBeLessThan(1e-14);
    expect(r.principal[0]).toBeLessThan(1e-14);
    expect(r.principal[1]).toBeCloseTo(0.3, 13);
    await expect(readoutAngles(model, randomTensor([9, 2], 1))).rejects.toThrow(/subspace must have 10 rows/);
  });
});

describe('eigenvector centrality', () => {
  test('hand-computed graphs: a star, a two-cycle in both directions, absolute weights', async () => {
    const star = await eigenvectorCentrality(mat([[0, 1, 1], [1, 0, 0], [1, 0, 0]]));
    expect(star.eigenvalue).toBeCloseTo(Math.SQRT2, 12);
    expect(Array.from(star.centrality)).toEqual([Math.SQRT1_2, 0.5, 0.5].map((v) => expect.closeTo(v, 12)));
    // c_1 = 2 c_2 and c_2 = c_1 / lambda with lambda = sqrt(2) for 'in'; the transpose for 'out'.
    const cycle = mat([[0, 2], [1, 0]]);
    const inC = await eigenvectorCentrality(cycle, { direction: 'in' });
    const outC = await eigenvectorCentrality(cycle, { direction: 'out' });
    expect(Array.from(inC.centrality)).toEqual([Math.sqrt(2 / 3), Math.sqrt(1 / 3)].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(outC.centrality)).toEqual([Math.sqrt(1 / 3), Math.sqrt(2 / 3)].map((v) => expect.closeTo(v, 12)));
    expect(inC.eigenvalue).toBeCloseTo(Math.SQRT2, 12);
    const signed = await eigenvectorCentrality(mat([[0, -1, 1], [1, 0, 0], [-1, 0, 0]]));
    expect(Array.from(signed.centrality)).toEqual(Array.from(star.centrality).map((v) => expect.closeTo(v, 12)));
    await expect(eigenvectorCentrality(mat([[0, -1], [1, 0]]), { weights: 'as-is' })).rejects.toThrow(/matrix must be non-negative with weights 'as-is'; entry \[0, 1\] is -1/);
    await expect(eigenvectorCentrality(randomTensor([2, 3], 1))).rejects.toThrow(/matrix must be a square matrix/);
  });

  test('a random positive matrix: the leading right eigenvector from numpy', async (ctx) => {
    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const a = randomTensor([15, 15], 4);
    const c = await eigenvectorCentrality(a);
    const ref = JSON.parse(runPython(
      'import numpy as np, json, sys; a = np.abs(np.array(json.loads(sys.argv[1])).reshape(15, 15)); w, v = np.linalg.eig(a); i = np.argmax(w.real); x = np.abs(v[:, i].real); print(json.dumps([w[i].real, (x / np.linalg.norm(x)).tolist()]))',
      [JSON.stringify(Array.from(a.data))],
    )) as [number, number[]];
    expect(c.eigenvalue).toBeCloseTo(ref[0], 10);
    for (let i = 0; i < 15; i++) expect(c.centrality[i]).toBeCloseTo(ref[1][i], 10);
  });
});

describe('non-normality', () => {
  test('normal matrices give 0; [[a, b], [0, c]] gives |b| in any orthonormal basis', async () => {
    const n = 6;
    const q = orthogonal(n, 2);
    const d = [3, -1, 0.5, 2, 2, -4];
    const sym = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) sym[i * n + j] += q[i * n + k] * d[k] * q[j * n + k];
    const skew = randomTensor([n, n], 3).data.map((x, i, a) => x - a[(i % n) * n + Math.floor(i / n)]);
    for (const normal of [sym, q, skew]) {
      const r = await nonNormality({ data: Float64Array.from(normal), shape: [n, n] });
      expect(r.relative).toBeLessThan(1e-13);
      expect(r.strictUpperNorm2).toBeLessThan(1e-12);
    }
    const jordan = await nonNormality(mat([[1.5, -2.5], [0, 0.3]]));
    expect(jordan.henrici).toBeCloseTo(2.5, 13);
    expect(jordan.strictUpperNorm2).toBeCloseTo(2.5, 13);
    // Rotated: Q^T [[1.5, -2.5], [0, 0.3]] Q with a 2-D rotation Q.
    const c = Math.cos(0.7), s = Math.sin(0.7);
    const rot = [c, -s, s, c];
    const j = [1.5, -2.5, 0, 0.3];
    const rotated = matmul(matmul(transpose(rot, 2, 2), j, 2, 2, 2), rot, 2, 2, 2);
    const again = await nonNormality({ data: rotated, shape: [2, 2] });
    expect(again.henrici).toBeCloseTo(2.5, 13);
    expect(Array.from(again.eigenvalues.re).sort()).toEqual([0.3, 1.5].map((v) => expect.closeTo(v, 13)));
    // A normal matrix with complex eigenvalues: 0 in the complex form, |b| from the real form's 2 x 2 block.
    const spiral = mat([[0.5, -2], [2, 0.5]]);
    const complexForm = await nonNormality(spiral);
    const realForm = await nonNormality(spiral, { form: 'real' });
    expect(complexForm.henrici).toBeLessThan(1e-14);
    expect(complexForm.strictUpperNorm2).toBeLessThan(1e-14);
    expect(realForm.strictUpperNorm2).toBeCloseTo(2, 13);
  });

  test('schur: U unitary, U T U^H = A, T upper triangular; Henrici^2 = |A|_F^2 - sum |lambda|^2 with numpy eigenvalues', async (ctx) => {
    const n = 7;
    const a = randomTensor([n, n], 8).data as Float64Array;
    const { t, u } = await schur(a, n);
    let recon = 0, unitary = 0, lower = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i > j) lower = Math.max(lower, Math.hypot(t.re[i * n + j], t.im[i * n + j]));
        // (U T U^H)_ij and (U U^H)_ij
        let re = 0, im = 0, ure = 0, uim = 0;
        for (let k = 0; k < n; k++) {
          ure += u.re[i * n + k] * u.re[j * n + k] + u.im[i * n + k] * u.im[j * n + k];
          uim += u.im[i * n + k] * u.re[j * n + k] - u.re[i * n + k] * u.im[j * n + k];
          for (let l = 0; l < n; l++) {
            const ar = u.re[i * n + k] * t.re[k * n + l] - u.im[i * n + k] * t.im[k * n + l];
            const ai = u.re[i * n + k] * t.im[k * n + l] + u.im[i * n + k] * t.re[k * n + l];
            re += ar * u.re[j * n + l] + ai * u.im[j * n + l];
            im += ai * u.re[j * n + l] - ar * u.im[j * n + l];
          }
        }
        recon = Math.max(recon, Math.hypot(re - a[i * n + j], im));
        unitary = Math.max(unitary, Math.hypot(ure - (i === j ? 1 : 0), uim));
      }
    expect(recon).toBeLessThan(1e-12);
    expect(unitary).toBeLessThan(1e-12);
    expect(lower).toBe(0);
    await expect(schur(a, 6)).rejects.toThrow(/n x n values/);
    await expect(schur(Float64Array.of(1, NaN, 0, 1), 2)).rejects.toThrow(/schur: a contains NaN at flat index 1/);

    if (!numpy.available) return ctx.skip(`numpy reference skipped: ${numpy.reason}`);
    const eig = JSON.parse(runPython(
      'import numpy as np, json, sys; a = np.array(json.loads(sys.argv[1])).reshape(7, 7); print(json.dumps(float(np.sum(np.abs(np.linalg.eigvals(a)) ** 2))))',
      [JSON.stringify(Array.from(a))],
    )) as number;
    const r = await nonNormality({ data: a, shape: [n, n] });
    expect(r.henrici ** 2).toBeCloseTo(r.frobenius ** 2 - eig, 10);
  });
});

describe('weight change', () => {
  test('full-rank: singular values, means and the loss against truncation rank of a planted rank-2 change', async () => {
    const N = 12;
    const initial = new FullRankRNN({ size: N, inputs: 2, outputs: 1, dtype: 'float64', seed: 3, rho: 0.8 });
    const q = orthogonal(N, 4), r = orthogonal(N, 5);
    const w0 = initial.param('wrec').data;
    const planted = (k: number) => {
      const w = Float64Array.from(w0);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let p = 0; p < k; p++) w[i * N + j] += [3, 1][p] * q[i * N + p] * r[j * N + p];
      return w;
    };
    const others = initial.params();
    const trained = new FullRankRNN({ size: N, inputs: 2, outputs: 1, dtype: 'float64', init: { ...others, wrec: planted(2) } });
    const batch = randomBatch(initial, 'outputs', 3, 8, 9);
    const wc = await weightChange(initial, trained, { batch, ranks: [0, 1, 2, N] });
    expect(wc.singularValues[0]).toBeCloseTo(3, 12);
    expect(wc.singularValues[1]).toBeCloseTo(1, 12);
    expect(wc.singularValues[2]).toBeLessThan(1e-12);
    expect(wc.participationRatio).toBeCloseTo(100 / 82, 12);
    expect(wc.frobenius).toBeCloseTo(Math.sqrt(10), 12);
    const sum = (w: ArrayLike<number>) => Array.from(w).reduce((a, b) => a + b, 0) / (N * N);
    expect(wc.meanChange).toBeCloseTo(sum(planted(2)) - sum(w0), 14);
    const t = wc.truncation!;
    expect(t.loss[0]).toBeCloseTo(t.lossInitial, 12);
    expect(t.loss[2]).toBeCloseTo(t.lossTrained, 12);
    expect(t.loss[3]).toBeCloseTo(t.lossTrained, 12);
    const rank1 = new FullRankRNN({ size: N, inputs: 2, outputs: 1, dtype: 'float64', init: { ...others, wrec: planted(1) } });
    expect(t.loss[1]).toBeCloseTo(await rank1.loss(batch, { drawNoise: false }), 12);
    expect(t.lossTrained).not.toBeCloseTo(t.lossInitial, 3);
  });

  test('low-rank: the 2R singular values of Delta J against the SVD of the formed N x N matrix; truncations rebuild both nets', async () => {
    const N = 30, R = 2;
    const initial = new LowRankRNN({ size: N, rank: R, inputs: 1, outputs: 1, dtype: 'float64', seed: 6 });
    const init = initial.params();
    const trained = new LowRankRNN({
      size: N, rank: R, inputs: 1, outputs: 1, dtype: 'float64',
      init: { ...init, m: { data: init.m.data.map((x, i) => x + 0.3 * Math.sin(i)), shape: [N, R] }, n: { data: init.n.data.map((x, i) => x * 1.2), shape: [N, R] } },
    });
    const dense = (model: LowRankRNN) => {
      const m = model.param('m').data, n = model.param('n').data;
      return Float64Array.from({ length: N * N }, (_, k) => {
        let s = 0;
        for (let r = 0; r < R; r++) s += m[Math.floor(k / N) * R + r] * n[(k % N) * R + r];
        return s / N;
      });
    };
    const j0 = dense(initial), j1 = dense(trained);
    const delta = Float64Array.from(j1, (x, i) => x - j0[i]);
    const ref = await svd(delta, N, N, N);
    const batch = randomBatch(initial, 'outputs', 2, 6, 3);
    const wc = await weightChange(initial, trained, { batch });
    expect(wc.singularValues.length).toBe(2 * R);
    for (let k = 0; k < 2 * R; k++) expect(wc.singularValues[k]).toBeCloseTo(ref.s[k], 12);
    expect(ref.s[2 * R]).toBeLessThan(1e-12);
    const frob = (a: Float64Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
    expect(wc.relative).toBeCloseTo(frob(delta) / frob(j0), 12);
    expect(wc.meanInitial).toBeCloseTo(j0.reduce((a, b) => a + b) / (N * N), 14);
    expect(wc.meanTrained).toBeCloseTo(j1.reduce((a, b) => a + b) / (N * N), 14);
    const t = wc.truncation!;
    expect(Array.from(t.ranks)).toEqual([0, 1, 2, 3, 4]);
    expect(t.loss[0]).toBeCloseTo(t.lossInitial, 12);
    expect(t.loss[4]).toBeCloseTo(t.lossTrained, 12);
    await expect(weightChange(initial, new LowRankRNN({ size: N, rank: 1, dtype: 'float64' }))).rejects.toThrow(/same rank/);
    await expect(weightChange(initial, new FullRankRNN({ size: N, dtype: 'float64' }))).rejects.toThrow(/same kind and size/);
    await expect(weightChange(initial, trained, { batch, ranks: [5] })).rejects.toThrow("weightChange: option 'ranks' must be an array of integers in [0, 4]; got [5]");
  });
});
