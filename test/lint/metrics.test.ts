// LINT metrics against independent computations: sklearn's r2_score run side by side, explicitly formed N x N
// connectivities, and the invariances that define the effective connectivity.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, lint, saveNpy, type Tensor } from '../../ts/index.js';
import { randomTensor } from '../support/models.js';
import { pythonWith, runPython } from '../support/python.js';

const sklearn = pythonWith(['numpy', 'sklearn']);
const dir = mkdtempSync(join(tmpdir(), 'lowrank-lint-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lowRank(N: number, R: number, K: number, seed: number): LowRankRNN {
  return new LowRankRNN({ size: N, rank: R, inputs: K, outputs: 1, seed, dtype: 'float64' });
}

/** The dense J = m n^T of a low-rank net. */
function dense(m: ArrayLike<number>, n: ArrayLike<number>, N: number, R: number): Float64Array {
  const J = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let r = 0; r < R; r++) J[i * N + j] += m[i * R + r] * n[j * R + r];
  return J;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('trajectoryR2', () => {
  const reference = randomTensor([4, 6, 5], 1);
  const predicted: Tensor = { data: reference.data.map((v, i) => v + 0.3 * Math.sin(i)), shape: [4, 6, 5] };

  test.skipIf(!sklearn.available)(`global and per-neuron R² equal sklearn.metrics.r2_score (${sklearn.reason})`, async () => {
    const a = join(dir, 'ref.npy');
    const b = join(dir, 'pred.npy');
    await saveNpy(a, reference);
    await saveNpy(b, predicted);
    const out = JSON.parse(
      runPython(
        `import sys, json, numpy as np
from sklearn.metrics import r2_score
y = np.load(sys.argv[1]); p = np.load(sys.argv[2])
cols = [r2_score(y.reshape(-1, 5)[:, j], p.reshape(-1, 5)[:, j]) for j in range(5)]
print(json.dumps({'global': r2_score(y.ravel(), p.ravel()), 'cols': cols, 'masked': r2_score(y[:, 2:].ravel(), p[:, 2:].ravel())}))`,
        [a, b],
      ),
    );
    const r = lint.trajectoryR2(reference, predicted);
    expect(r.global).toBeCloseTo(out.global, 12);
    out.cols.forEach((c: number, j: number) => expect(r.perNeuron[j]).toBeCloseTo(c, 12));
    const sorted = [...out.cols].sort((x: number, y: number) => x - y);
    expect(r.perNeuronMedian).toBeCloseTo(sorted[2], 12);
    const mask = new Float64Array(4 * 6);
    for (let b = 0; b < 4; b++) mask.fill(1, b * 6 + 2, b * 6 + 6);
    expect(lint.trajectoryR2(reference, predicted, { mask: { data: mask, shape: [4, 6] } }).global).toBeCloseTo(out.masked, 12);
  });
  if (!sklearn.available) test.skip(`sklearn comparison: ${sklearn.reason}`, () => {});

  test('closed forms: exact prediction 1, predicting the mean 0, constant reference as sklearn', () => {
    expect(lint.trajectoryR2(reference, reference).global).toBe(1);
    const mean = Array.from(reference.data).reduce((a, b) => a + b, 0) / reference.data.length;
    expect(lint.trajectoryR2(reference, { data: reference.data.map(() => mean), shape: reference.shape }).global).toBeCloseTo(0, 12);
    const constant: Tensor = { data: new Float64Array(6).fill(2), shape: [1, 3, 2] };
    const r = lint.trajectoryR2(constant, { data: Float64Array.from([2, 2, 2, 2, 2, 3]), shape: [1, 3, 2] });
    expect(Array.from(r.perNeuron)).toEqual([1, 0]);
  });

  test('errors name the argument', () => {
    expect(() => lint.trajectoryR2(reference, randomTensor([4, 6, 4], 2))).toThrow(/same shape/);
    expect(() => lint.trajectoryR2(reference, predicted, { mask: { data: new Float64Array(24), shape: [4, 6] } })).toThrow(/no entries/);
    expect(() => lint.trajectoryR2(reference, predicted, { mask: { data: new Float64Array(5), shape: [5] } })).toThrow(/mask must have shape/);
  });
});

describe('connectivity correlations', () => {
  const N = 12;

  test('CC equals the cosine of the explicitly formed matrices (low-rank pairs, full-rank with low-rank)', () => {
    const a = lowRank(N, 2, 3, 1);
    const b = lowRank(N, 3, 3, 2);
    const Ja = dense(a.param('m').data, a.param('n').data, N, 2);
    const Jb = dense(b.param('m').data, b.param('n').data, N, 3);
    expect(lint.connectivityCorrelation(a, b)).toBeCloseTo(cosine(Ja, Jb), 12);
    const full = new FullRankRNN({ size: N, inputs: 3, seed: 3, dtype: 'float64' });
    const W = Float64Array.from(full.param('wrec').data);
    expect(lint.connectivityCorrelation(full, b)).toBeCloseTo(cosine(W, Jb), 12);
    expect(lint.connectivityCorrelation(a, full)).toBeCloseTo(cosine(Ja, W), 12);
    expect(lint.connectivityCorrelation(a, a)).toBeCloseTo(1, 12);
    expect(() => lint.connectivityCorrelation(a, lowRank(N + 1, 1, 3, 4))).toThrow(/same size/);
  });

  test('ECC ignores the part of n outside span{m, wi}, for every column of a rank-2 net (CC does not)', () => {
    const a = lowRank(N, 2, 2, 5);
    const m = a.param('m').data;
    const wi = a.param('wi').data;
    // a vector orthogonal to m_1, m_2, wi_1, wi_2: a random one minus its projection on an orthonormal basis of
    // their span (classical Gram-Schmidt, twice for accuracy)
    const rng = new Random(9);
    const dotv = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
    const orthonormal: number[][] = [];
    const vectors = [0, 1].map((r) => Array.from({ length: N }, (_, i) => m[i * 2 + r])).concat([0, 1].map((k) => Array.from(wi.subarray(k * N, (k + 1) * N))));
    const removeSpan = (v: number[]) => {
      for (let pass = 0; pass < 2; pass++) {
        for (const q of orthonormal) {
          const c = dotv(q, v);
          for (let i = 0; i < N; i++) v[i] -= c * q[i];
        }
      }
      return v;
    };
    for (const v of vectors) {
      const u = removeSpan([...v]);
      const norm = Math.sqrt(dotv(u, u));
      orthonormal.push(u.map((x) => x / norm));
    }
    const z = removeSpan(Array.from({ length: N }, () => rng.normal()));
    const n = Float64Array.from(a.param('n').data);
    for (let i = 0; i < N; i++) {
      n[i * 2 + 0] += 2 * z[i];
      n[i * 2 + 1] -= 3 * z[i];
    }
    const b = lowRank(N, 2, 2, 5);
    b.setParams({ n });
    expect(lint.effectiveConnectivityCorrelation(a, b)).toBeCloseTo(1, 10);
    expect(lint.connectivityCorrelation(a, b)).toBeLessThan(0.99);
    // only the second column changed: the reference notebook's bug (n2 = n[:, 0]) would not see it
    const c = lowRank(N, 2, 2, 5);
    const n2 = Float64Array.from(a.param('n').data);
    for (let i = 0; i < N; i++) n2[i * 2 + 1] = m[i * 2 + 0];
    c.setParams({ n: n2 });
    expect(lint.effectiveConnectivityCorrelation(a, c)).toBeLessThan(0.95);
  });

  test.skipIf(!sklearn.available)('ECC of two rank-2 nets equals numpy: lstsq projections and explicit N x N matrices', async () => {
    const a = lowRank(N, 2, 3, 21);
    const b = lowRank(N, 2, 3, 22);
    const files: string[] = [];
    for (const [k, net] of [a, b].entries()) {
      for (const name of ['m', 'n', 'wi'] as const) {
        const path = join(dir, `ecc-${k}-${name}.npy`);
        await saveNpy(path, net.param(name));
        files.push(path);
      }
    }
    const expected = Number(
      runPython(
        `import sys, numpy as np
def jeff(m, n, wi):
    span = np.hstack([m, wi.T])
    coef, *_ = np.linalg.lstsq(span, n, rcond=None)
    return m @ (span @ coef).T
ma, na, wa, mb, nb, wb = [np.load(f) for f in sys.argv[1:]]
A, B = jeff(ma, na, wa).ravel(), jeff(mb, nb, wb).ravel()
print(A @ B / np.linalg.norm(A) / np.linalg.norm(B))`,
        files,
      ),
    );
    expect(lint.effectiveConnectivityCorrelation(a, b)).toBeCloseTo(expected, 10);
  });

  test('the effective n is the least-squares projection on span{m, wi}', () => {
    const a = lowRank(N, 1, 2, 6);
    const { nEff } = lint.effectiveConnectivity(a);
    const n = a.param('n').data;
    const m = a.param('m').data;
    const wi = a.param('wi').data;
    const residual = Array.from({ length: N }, (_, i) => n[i] - nEff[i]);
    const dot = (v: ArrayLike<number>) => residual.reduce((s, r, i) => s + r * v[i], 0);
    expect(Math.abs(dot(m))).toBeLessThan(1e-10);
    expect(Math.abs(dot(wi.subarray(0, N)))).toBeLessThan(1e-10);
    expect(Math.abs(dot(wi.subarray(N, 2 * N)))).toBeLessThan(1e-10);
    // and nEff itself lies in the span: the residual of nEff after projecting out the residual direction is nEff
    expect(Math.abs(residual.reduce((s, r, i) => s + r * nEff[i], 0))).toBeLessThan(1e-10);
    expect(() => lint.effectiveConnectivity(new FullRankRNN({ size: 4 }) as unknown as LowRankRNN)).toThrow(/LowRankRNN/);
  });
});
