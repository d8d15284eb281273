// Gaussian mixtures against scikit-learn run side by side on the same data: the best log-likelihood (EM) and lower
// bound (variational) over the same number of restarts, labelings, BIC/AIC, predict/predict_proba/score_samples on
// the same parameters; thread-count independence; bad input.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../ts/core/random.js';
import type { Tensor } from '../../ts/core/tensor.js';
import {
  fitMixture,
  predict,
  responsibilities,
  scoreSamples,
  selectComponents,
  type CovarianceType,
  type GaussianMixture,
} from '../../ts/populations/mixture.js';
import { pythonWith, runPython } from '../support/python.js';

const sk = pythonWith(['numpy', 'sklearn']);
const TYPES: CovarianceType[] = ['full', 'diag', 'tied', 'spherical'];

// Three well-separated clusters in D = 3 with different (anisotropic, correlated) covariances; `truth` is the cluster.
function clusters(n: number, seed: number): { x: Tensor; truth: Int32Array } {
  const rng = new Random(seed);
  const centres = [
    [0, 0, 0],
    [9, 1, -2],
    [-3, 8, 4],
  ];
  const factors = [
    [[1, 0, 0], [0.5, 0.7, 0], [0, 0.3, 0.4]],
    [[0.5, 0, 0], [0, 1.2, 0], [0.2, 0, 0.6]],
    [[0.8, 0, 0], [-0.4, 0.5, 0], [0.1, 0.1, 1]],
  ];
  const data = new Float64Array(n * 3);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    truth[i] = c;
    const z = [rng.normal(), rng.normal(), rng.normal()];
    for (let d = 0; d < 3; d++) {
      let v = centres[c][d];
      for (let e = 0; e <= d; e++) v += factors[c][d][e] * z[e];
      data[i * 3 + d] = v;
    }
  }
  return { x: { data, shape: [n, 3] }, truth };
}

const PY = String.raw`
import json, sys, numpy as np
from sklearn.mixture import GaussianMixture, BayesianGaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky
from sklearn.metrics import adjusted_rand_score
d = sys.argv[1]
x = np.fromfile(d + '/x.bin').reshape(-1, 3)
x2 = np.fromfile(d + '/x2.bin').reshape(-1, 3)
ours = json.load(open(d + '/ours.json'))
truth = np.array(ours['truth'])
def typed(cov, t):
    cov = np.array(cov)
    return {'full': cov, 'tied': cov[0], 'diag': np.array([np.diag(c) for c in cov]), 'spherical': np.array([c[0, 0] for c in cov])}[t]
def install(m, p, t):
    m.weights_ = np.array(p['weights']); m.means_ = np.array(p['means']); m.covariances_ = typed(p['covariances'], t)
    m.precisions_cholesky_ = _compute_precision_cholesky(m.covariances_, t)
    m.n_features_in_ = 3
out = {}
for t in ['full', 'diag', 'tied', 'spherical']:
    g = GaussianMixture(3, covariance_type=t, n_init=3, random_state=0).fit(x)
    p = ours['em'][t]
    m = GaussianMixture(len(p['weights']), covariance_type=t); install(m, p, t)
    out['em_' + t] = dict(score=g.score(x), ari_sklearn=adjusted_rand_score(p['labels'], g.predict(x)),
                          ari_truth_sklearn=adjusted_rand_score(truth, g.predict(x)),
                          bic=m.bic(x), aic=m.aic(x), score_samples=m.score_samples(x2).tolist(),
                          proba=m.predict_proba(x2).ravel().tolist(), predict=m.predict(x2).tolist())
    b = BayesianGaussianMixture(n_components=5, covariance_type=t, n_init=10, random_state=0, max_iter=500).fit(x)
    q = ours['vb'][t]
    v = BayesianGaussianMixture(n_components=len(q['weights']), covariance_type=t); install(v, q, t)
    v.mean_precision_ = np.array(q['meanPrecision']); dof = np.array(q['degreesOfFreedom'])
    v.degrees_of_freedom_ = dof[0] if t == 'tied' else dof
    lw = np.array(q['logWeights']); v._estimate_log_weights = lambda xp=None, lw=lw: lw
    out['vb_' + t] = dict(lower_bound=float(np.ravel(b.lower_bound_)[0]), score=b.score(x), used=int(len(np.unique(b.predict(x)))),
                          ari_sklearn=adjusted_rand_score(q['labels'], b.predict(x)),
                          score_samples=v.score_samples(x2).tolist(), proba=v.predict_proba(x2).ravel().tolist(),
                          predict=v.predict(x2).tolist())
# step by step from the same partition (row n starts in component n % 3), exactly 25 iterations (tol = 0)
start = np.zeros((len(x), 3)); start[np.arange(len(x)), np.arange(len(x)) % 3] = 1
class G(GaussianMixture):
    def _initialize_parameters(self, X, random_state, xp=None):
        self._initialize(X, start.copy())
class V(BayesianGaussianMixture):
    def _initialize_parameters(self, X, random_state, xp=None):
        self._initialize(X, start.copy())
for t in ['full', 'diag', 'tied', 'spherical']:
    for name, cls in [('em', G), ('vb', V)]:
        m = cls(n_components=3, covariance_type=t, max_iter=25, tol=0).fit(x)
        out['step_%s_%s' % (name, t)] = dict(lower_bound=float(np.ravel(m.lower_bound_)[0]), weights=m.weights_.tolist(),
                                             means=m.means_.ravel().tolist(), n_iter=int(m.n_iter_))
print(json.dumps(out))
`;

const plain = (m: GaussianMixture) => ({
  weights: Array.from(m.weights),
  means: toNested(m.means.data, [m.components, m.dims]),
  covariances: toNested(m.covariances.data, [m.components, m.dims, m.dims]),
  labels: Array.from(m.labels),
  ...(m.variational
    ? {
        logWeights: Array.from(m.variational.logWeights),
        meanPrecision: Array.from(m.variational.meanPrecision),
        degreesOfFreedom: Array.from(m.variational.degreesOfFreedom),
      }
    : {}),
});

function toNested(a: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 1) return Array.from(a).slice(0, shape[0]);
  const step = shape.slice(1).reduce((p, q) => p * q, 1);
  return Array.from({ length: shape[0] }, (_, i) => toNested(Array.from(a).slice(i * step, (i + 1) * step), shape.slice(1)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!sk.available)(`Gaussian mixtures against scikit-learn (${sk.reason})`, () => {
  const { x, truth } = clusters(600, 3);
  const { x: x2 } = clusters(90, 4);
  const em: Record<string, GaussianMixture> = {};
  const vb: Record<string, GaussianMixture> = {};
  const step: Record<string, GaussianMixture> = {};
  let ref: Record<string, Record<string, number & number[]>> = {};
  let dir = '';

  beforeAll(async () => {
    for (const t of TYPES) {
      em[t] = await fitMixture(x, { components: 3, covariance: t, restarts: 3, seed: 1 });
      vb[t] = await fitMixture(x, { components: 5, method: 'variational', covariance: t, restarts: 10, seed: 1, maxIterations: 500 });
      const initialLabels = Int32Array.from({ length: x.shape[0] }, (_, n) => n % 3);
      for (const method of ['em', 'variational'] as const) {
        step[`${method === 'em' ? 'em' : 'vb'}_${t}`] = await fitMixture(x, { components: 3, method, covariance: t, initialLabels, maxIterations: 25, tolerance: 0 });
      }
    }
    dir = mkdtempSync(join(tmpdir(), 'mixture-'));
    writeFileSync(join(dir, 'x.bin'), Buffer.from((x.data as Float64Array).buffer));
    writeFileSync(join(dir, 'x2.bin'), Buffer.from((x2.data as Float64Array).buffer));
    const ours = {
      truth: Array.from(truth),
      em: Object.fromEntries(TYPES.map((t) => [t, plain(em[t])])),
      vb: Object.fromEntries(TYPES.map((t) => [t, plain(vb[t])])),
    };
    writeFileSync(join(dir, 'ours.json'), JSON.stringify(ours));
    ref = JSON.parse(runPython(PY, [dir]));
  }, 120_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const t of TYPES) {
    it(`EM, ${t}: the best mean log-likelihood over 3 restarts is sklearn's or better (within 1e-4)`, () => {
      expect(em[t].logLikelihood).toBeGreaterThanOrEqual(ref[`em_${t}`].score - 1e-4);
      expect(em[t].method).toBe('em');
      expect(em[t].converged).toBe(true);
    });
    it(`EM, ${t}: BIC and AIC equal sklearn's bic/aic on our parameters; predict, predict_proba, score_samples within 1e-9`, async () => {
      const r = ref[`em_${t}`];
      expect(Math.abs(em[t].bic - r.bic)).toBeLessThan(1e-9 * Math.abs(r.bic));
      expect(Math.abs(em[t].aic - r.aic)).toBeLessThan(1e-9 * Math.abs(r.aic));
      expect(maxAbsDiff(await scoreSamples(em[t], x2), r.score_samples)).toBeLessThan(1e-9);
      expect(maxAbsDiff((await responsibilities(em[t], x2)).data, r.proba)).toBeLessThan(1e-9);
      expect(Array.from(await predict(em[t], x2))).toEqual(r.predict);
    });
    it(`variational (K = 5, Dirichlet process), ${t}: the best lower bound per sample over 10 restarts is sklearn's or better (within 1e-4); posterior scoring equals sklearn's`, async () => {
      const r = ref[`vb_${t}`];
      const N = x.shape[0];
      expect(vb[t].lowerBound / N).toBeGreaterThanOrEqual(r.lower_bound / N - 1e-4);
      if (t !== 'tied') {
        // three clusters with different covariances: both keep 3 components and agree. A tied covariance cannot
        // fit them, and both spread the data over all 5 components, in different local optima.
        expect(vb[t].components).toBe(3);
        expect(r.used).toBe(3);
        expect(r.ari_sklearn).toBeGreaterThanOrEqual(0.99);
      }
      expect(maxAbsDiff(await scoreSamples(vb[t], x2), r.score_samples)).toBeLessThan(1e-9);
      expect(maxAbsDiff((await responsibilities(vb[t], x2)).data, r.proba)).toBeLessThan(1e-9);
      expect(Array.from(await predict(vb[t], x2))).toEqual(r.predict);
    });
  }

  it('from the same partition, 25 iterations of EM and of the variational mixture equal sklearn\'s step by step (lower bound, weights, means within 1e-9)', () => {
    for (const t of TYPES) {
      for (const method of ['em', 'vb']) {
        const ours = step[`${method}_${t}`];
        const r = ref[`step_${method}_${t}`] as unknown as { lower_bound: number; weights: number[]; means: number[]; n_iter: number };
        expect(ours.iterations).toBe(25);
        expect(r.n_iter).toBe(25);
        expect(Math.abs(ours.lowerBound - r.lower_bound)).toBeLessThan(1e-9 * Math.max(1, Math.abs(r.lower_bound)));
        expect(maxAbsDiff(ours.weights, r.weights)).toBeLessThan(1e-9);
        expect(maxAbsDiff(ours.means.data, r.means)).toBeLessThan(1e-9);
      }
    }
  });

  it('well-separated data: labelings agree with sklearn and with the truth (ARI >= 0.99)', () => {
    for (const t of TYPES) {
      expect(ref[`em_${t}`].ari_sklearn).toBeGreaterThanOrEqual(0.99);
      expect(ref[`em_${t}`].ari_truth_sklearn).toBeGreaterThanOrEqual(0.99);
    }
  });
});

describe('Gaussian mixtures: structure, threads, selection', () => {
  const { x } = clusters(300, 7);

  it('labels are 0..K-1 with every label used; weights sum to 1; covariances are symmetric [K, D, D]', async () => {
    const m = await fitMixture(x, { components: 6, method: 'variational', restarts: 2, seed: 3 });
    expect(m.components).toBeLessThanOrEqual(6);
    const used = new Set(m.labels);
    expect([...used].sort()).toEqual(Array.from({ length: m.components }, (_, k) => k));
    expect(m.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(m.covariances.shape).toEqual([m.components, 3, 3]);
    for (let k = 0; k < m.components; k++)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(m.covariances.data[k * 9 + i * 3 + j]).toBe(m.covariances.data[k * 9 + j * 3 + i]);
  });

  it('restarts give the same result with 1 and 2 threads (EM and variational)', async () => {
    for (const method of ['em', 'variational'] as const) {
      const o = { components: 4, method, restarts: 6, seed: 11, init: 'random' as const };
      const a = await fitMixture(x, { ...o, threads: 1 });
      const b = await fitMixture(x, { ...o, threads: 2 });
      expect(b.bestRestart).toBe(a.bestRestart);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(Array.from(b.means.data)).toEqual(Array.from(a.means.data));
      expect(b.logLikelihood).toBe(a.logLikelihood);
    }
  });

  it('different seeds start differently; float32 input gives the float64 fit of the rounded data', async () => {
    const a = await fitMixture(x, { components: 3, init: 'random', seed: 1 });
    const b = await fitMixture(x, { components: 3, init: 'random', seed: 2 });
    expect(a.iterations !== b.iterations || a.logLikelihood !== b.logLikelihood).toBe(true);
    const f32 = { data: Float32Array.from(x.data), shape: x.shape };
    const c = await fitMixture(f32, { components: 3, seed: 5 });
    const d = await fitMixture({ data: Float64Array.from(f32.data), shape: x.shape }, { components: 3, seed: 5 });
    expect(c.logLikelihood).toBe(d.logLikelihood);
  });

  it('selectComponents picks K = 3 by BIC on three clusters and reports every candidate', async () => {
    const { best, candidates } = await selectComponents(x, { components: [1, 5], restarts: 2, seed: 1 });
    expect(best.components).toBe(3);
    expect(candidates.map((c) => c.components)).toEqual([1, 2, 3, 4, 5]);
    const minBic = Math.min(...candidates.map((c) => c.bic));
    expect(best.bic).toBe(minBic);
    // BIC - AIC = p (log N - 2) with p = K*D*(D+1)/2 + K*D + K - 1 for full covariances
    for (const c of candidates) {
      const p = (c.components * 3 * 4) / 2 + c.components * 3 + c.components - 1;
      expect(c.bic - c.aic).toBeCloseTo(p * (Math.log(300) - 2), 8);
    }
  });

  it('a constant column fits with regCovar (its variance is regCovar); with regCovar 0 it is an error naming regCovar', async () => {
    const data = Float64Array.from(x.data);
    for (let i = 0; i < 300; i++) data[i * 3 + 2] = 4;
    const t = { data, shape: [300, 3] };
    const m = await fitMixture(t, { components: 3, seed: 1 });
    for (let k = 0; k < m.components; k++) expect(m.covariances.data[k * 9 + 8]).toBeCloseTo(1e-6, 12);
    await expect(fitMixture(t, { components: 3, seed: 1, regCovar: 0 })).rejects.toThrow(/not positive definite.*'regCovar'/);
  });

  it('an aborted signal rejects with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(fitMixture(x, { components: 2, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const ac2 = new AbortController();
    const p = fitMixture(x, { components: 5, restarts: 200, init: 'random', threads: 1, signal: ac2.signal });
    ac2.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('Gaussian mixtures: bad input', () => {
  const { x } = clusters(30, 1);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['K < 1', () => fitMixture(x, { components: 0 }), /option 'components' must be an integer in \[1, 30\]; got 0/],
    ['K > N', () => fitMixture(x, { components: 31 }), /option 'components' must be an integer in \[1, 30\]; got 31/],
    ['K not an integer', () => fitMixture(x, { components: 2.5 }), /option 'components'/],
    ['missing K', () => fitMixture(x, {} as never), /option 'components' is required/],
    ['NaN in x', () => fitMixture({ data: Float64Array.of(1, 2, NaN, 4), shape: [2, 2] }, { components: 1 }), /argument 'x'.*NaN/],
    ['Infinity in x', () => fitMixture({ data: Float64Array.of(1, 2, 3, Infinity), shape: [2, 2] }, { components: 1 }), /argument 'x'.*Infinity/],
    ['1-D x', () => fitMixture({ data: new Float64Array(4), shape: [4] }, { components: 1 }), /argument 'x' must be a 2-D tensor \[N, D\]; got shape \[4\]/],
    ['one row', () => fitMixture({ data: new Float64Array(3), shape: [1, 3] }, { components: 1 }), /argument 'x' must have at least 2 rows; got 1/],
    ['not a tensor', () => fitMixture([[1, 2]] as never, { components: 1 }), /argument 'x' must be a tensor/],
    ['duplicate rows (fewer distinct rows than K)', () => fitMixture({ data: Float64Array.of(1, 1, 1, 1, 2, 2, 1, 1), shape: [4, 2] }, { components: 3 }), /only 2 distinct rows, fewer than option 'components' \(3\)/],
    ['unknown option', () => fitMixture(x, { components: 2, nInit: 3 } as never), /unknown option 'nInit'/],
    ['bad covariance', () => fitMixture(x, { components: 2, covariance: 'block' as never }), /option 'covariance' must be one of 'full', 'diag', 'tied', 'spherical'; got 'block'/],
    ['bad method', () => fitMixture(x, { components: 2, method: 'dpgmm' as never }), /option 'method'/],
    ['restarts 0', () => fitMixture(x, { components: 2, restarts: 0 }), /option 'restarts'/],
    ['negative regCovar', () => fitMixture(x, { components: 2, regCovar: -1 }), /option 'regCovar'/],
    ['a prior with method em', () => fitMixture(x, { components: 2, meanPrecisionPrior: 2 }), /option 'meanPrecisionPrior' does not apply here/],
    ['degrees of freedom <= D - 1', () => fitMixture(x, { components: 2, method: 'variational', degreesOfFreedomPrior: 1 }), /option 'degreesOfFreedomPrior' must be a finite number > 2/],
    ['mean prior of the wrong length', () => fitMixture(x, { components: 2, method: 'variational', meanPrior: Float64Array.of(1, 2) }), /option 'meanPrior'/],
    ['initial labels with restarts', () => fitMixture(x, { components: 2, restarts: 2, initialLabels: new Int32Array(30) }), /option 'restarts' must be 1 with 'initialLabels'/],
    ['initial labels out of range', () => fitMixture(x, { components: 2, initialLabels: new Int32Array(30).fill(2) }), /option 'initialLabels' must hold labels in \[0, 1\]; got 2 at row 0/],
    ['initial labels of the wrong length', () => fitMixture(x, { components: 2, initialLabels: new Int32Array(29) }), /option 'initialLabels' must be an Int32Array of 30 labels/],
    ['selectComponents range', () => selectComponents(x, { components: [3, 2] }), /option 'components' must be \[lo, hi\]/],
    ['predict with the wrong number of columns', async () => predict(await fitMixture(x, { components: 2 }), { data: new Float64Array(4), shape: [2, 2] }), /must have shape \[\*, 3\]; got \[2, 2\]/],
    ['predict with a broken model', () => predict({ components: 2, dims: 3 } as never, x), /argument 'm' must be a GaussianMixture/],
  ];
  for (const [name, run, message] of cases) {
    it(`rejects ${name}`, async () => {
      await expect(run()).rejects.toThrow(message);
    });
  }
  it('errors are RangeError for values and TypeError for types', async () => {
    await expect(fitMixture(x, { components: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(fitMixture(x, { components: 2, covariance: 3 as never })).rejects.toBeInstanceOf(TypeError);
  });
});
