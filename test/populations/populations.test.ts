// Populations: connectivity space, resampling, inactivation, gains and cluster statistics, each against an
// independent computation (closed forms, hand-computed weights, numpy / scipy / sklearn run side by side).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../ts/model/files.js';
import { loadResult } from '../../ts/results/format.js';
import { saveNpz } from '../../ts/io/index.js';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, tasks } from '../../ts/index.js';
import { STREAMS, streamSeed } from '../../ts/core/random.js';
import { estimateStatistics } from '../../ts/analysis/index.js';
import {
  adjustedRandIndex,
  chooseTask,
  intactAccuracyWarning,
  populationName,
  columnKurtosis,
  connectivitySpace,
  covarianceFactor,
  epairs,
  gains,
  inactivate,
  inactivationAccuracy,
  mixtureStatistics,
  populationGroups,
  populationMeans,
  populationSizes,
  populationStatistics,
  rankSums,
  resample,
  selectivityPopulations,
} from '../../ts/populations/index.js';
import { pythonWith, runPython } from '../support/python.js';

const sklearn = pythonWith(['numpy', 'scipy', 'sklearn']);

function smallNet(seed = 1, size = 6): LowRankRNN {
  const net = new LowRankRNN({ size, rank: 2, inputs: 2, outputs: 1, seed, dtype: 'float64', threads: 1 });
  net.setParams({ si: Float64Array.of(2, -0.5), so: Float64Array.of(3) });
  return net;
}

describe('connectivity space', () => {
  test('rows are neurons, columns m, n, si wi, so wo with names; scaled: false keeps the raw wi, wo', async () => {
    const net = smallNet();
    const p = net.params();
    const s = await connectivitySpace(net);
    expect(s.columns).toEqual(['m1', 'm2', 'n1', 'n2', 'wi1', 'wi2', 'wo1']);
    expect(s.space.shape).toEqual([6, 7]);
    for (let i = 0; i < 6; i++) {
      const row = Array.from(s.space.data.subarray(i * 7, i * 7 + 7));
      expect(row).toEqual([p.m.data[2 * i], p.m.data[2 * i + 1], p.n.data[2 * i], p.n.data[2 * i + 1], 2 * p.wi.data[i], -0.5 * p.wi.data[6 + i], 3 * p.wo.data[i]]);
    }
    const raw = await connectivitySpace(net, { scaled: false });
    expect(raw.space.data[4]).toBe(p.wi.data[0]);
    // after the SVD re-parametrisation m n^T is unchanged and the m columns are orthogonal
    const svd = await connectivitySpace(net, { svd: true });
    let orth = 0;
    for (let i = 0; i < 6; i++) {
      orth += svd.space.data[i * 7] * svd.space.data[i * 7 + 1];
      for (let j = 0; j < 6; j++) {
        const before = p.m.data[2 * i] * p.n.data[2 * j] + p.m.data[2 * i + 1] * p.n.data[2 * j + 1];
        const after = svd.space.data[i * 7] * svd.space.data[j * 7 + 2] + svd.space.data[i * 7 + 1] * svd.space.data[j * 7 + 3];
        expect(after).toBeCloseTo(before, 10);
      }
    }
    expect(Math.abs(orth)).toBeLessThan(1e-10);
    net.dispose();
  });

  test('a full-rank net and NaN parameters are clear errors', async () => {
    const full = new FullRankRNN({ size: 4, threads: 1 });
    await expect(connectivitySpace(full)).rejects.toThrow(/low-rank net.*FullRankRNN \(full rank/);
    const net = smallNet();
    const flat = net.flatParams();
    flat[3] = Number.NaN; // a diverged net (setParams refuses NaN, the engine's flat setter does not check)
    net.setFlatParams(flat);
    await expect(connectivitySpace(net)).rejects.toThrow(/model has a non-finite parameter \(NaN\)/);
    full.dispose();
    net.dispose();
  });
});

describe('resampling', () => {
  test('population sizes by largest remainder add up to N', () => {
    expect(Array.from(populationSizes([0.5, 0.3, 0.2], 7))).toEqual([4, 2, 1]); // 3.5, 2.1, 1.4 -> 3,2,1 + 1 to the .5
    expect(Array.from(populationSizes([1 / 3, 1 / 3, 1 / 3], 10))).toEqual([4, 3, 3]);
    expect(Array.from(populationSizes([0.999, 0.001], 5)).reduce((a, b) => a + b)).toBe(5);
  });

  test('labels of the wrong length or with an empty population are errors naming labels', () => {
    const space = { data: new Float64Array(12), shape: [4, 3] };
    expect(() => populationStatistics(space, [0, 1, 1])).toThrow(/labels' must be an array of 4 integers/);
    expect(() => populationStatistics(space, [0, 2, 2, 0])).toThrow(/population 1 of 0..2 has no neuron/);
  });

  test('the covariance factor is exact, and safe for a singular covariance with rounding below zero', async () => {
    const c = Float64Array.of(4, 2, 0.6, 2, 3, 0.4, 0.6, 0.4, 1);
    const L = await covarianceFactor(c, 3);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += L[a * 3 + k] * L[b * 3 + k];
      expect(s).toBeCloseTo(c[a * 3 + b], 12);
    }
    // rank 1 with a tiny negative eigenvalue (-1e-12): v v^T - 1e-12 I
    const v = [1, -2, 0.5];
    const sing = Float64Array.from({ length: 9 }, (_, i) => v[Math.floor(i / 3)] * v[i % 3] - (i % 4 === 0 ? 1e-12 : 0));
    const Ls = await covarianceFactor(sing, 3);
    expect(Ls.every(Number.isFinite)).toBe(true);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += Ls[a * 3 + k] * Ls[b * 3 + k];
      expect(s).toBeCloseTo(v[a] * v[b], 10);
    }
  });

  test('resampled rows follow the target covariance (tolerance 5 standard errors), keep si and so, and fill every neuron', async () => {
    const net = smallNet(3, 400);
    const { space } = await connectivitySpace(net);
    const labels = Int32Array.from({ length: 400 }, (_, i) => (i < 100 ? 1 : 0));
    const target = populationStatistics(space, labels, { zeroMeans: true });
    const size = 20001;
    const { model, labels: newLabels } = await resample(net, labels, { size, seed: 5 });
    expect(model.size).toBe(size);
    expect(Array.from(model.param('si').data)).toEqual([2, -0.5]);
    expect(Array.from(model.param('so').data)).toEqual([3]);
    const sizes = populationSizes(target.weights, size);
    expect([0, 1].map((k) => newLabels.filter((l) => l === k).length)).toEqual(Array.from(sizes));
    const got = await connectivitySpace(model);
    const D = 7;
    const rows0 = Array.from(newLabels, (l, i) => (l === 0 ? i : -1)).filter((i) => i >= 0);
    const n0 = rows0.length;
    const C = target.covariances.data;
    let worst = 0;
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) {
      let s = 0;
      for (const i of rows0) s += got.space.data[i * D + a] * got.space.data[i * D + b]; // zero means: E[x_a x_b] = C_ab
      const se = Math.sqrt((C[a * D + a] * C[b * D + b] + C[a * D + b] ** 2) / n0);
      worst = Math.max(worst, Math.abs(s / n0 - C[a * D + b]) / se);
    }
    expect(worst).toBeLessThan(5);
    model.dispose();
    net.dispose();
  });

  test('from a mixture with fitted means: the sample means match (5 standard errors); a mixture of the wrong width is an error', async () => {
    const net = smallNet(6, 20);
    const D = 7;
    const means = Float64Array.from({ length: 2 * D }, (_, i) => (i < D ? 1 : -2) * ((i % D) - 3) * 0.5);
    const covariances = new Float64Array(2 * D * D);
    for (let k = 0; k < 2; k++) for (let d = 0; d < D; d++) covariances[(k * D + d) * D + d] = 0.5 + d * 0.1;
    const mix = { weights: Float64Array.of(0.25, 0.75), means: { data: means, shape: [2, D] }, covariances: { data: covariances, shape: [2, D, D] } };
    const { model, labels } = await resample(net, mix, { size: 8000, means: 'fitted', seed: 2 });
    const { space } = await connectivitySpace(model);
    for (let k = 0; k < 2; k++) {
      const rows = Array.from(labels, (l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
      expect(rows.length).toBe(k === 0 ? 2000 : 6000);
      for (let d = 0; d < D; d++) {
        const mean = rows.reduce((a, i) => a + space.data[i * D + d], 0) / rows.length;
        expect(Math.abs(mean - means[k * D + d])).toBeLessThan(5 * Math.sqrt(covariances[(k * D + d) * D + d] / rows.length));
      }
    }
    const narrow = { ...mix, means: { data: new Float64Array(12), shape: [2, 6] } };
    await expect(resample(net, narrow)).rejects.toThrow(/mixture of K components over the 7 columns/);
    model.dispose();
    net.dispose();
  });

  test('the empirical mixture feeds the mean-field analysis as estimateStatistics does', async () => {
    const net = smallNet(4, 50);
    const labels = Int32Array.from({ length: 50 }, (_, i) => i % 2);
    const ours = await mixtureStatistics(net, labels);
    const theirs = estimateStatistics(net, { labels });
    expect(ours.populations.length).toBe(2);
    for (let q = 0; q < 2; q++) {
      expect(ours.populations[q].fraction).toBeCloseTo(theirs.populations[q].fraction, 12);
      ours.populations[q].mean.forEach((v, i) => expect(v).toBeCloseTo(theirs.populations[q].mean[i], 12));
      ours.populations[q].covariance.forEach((v, i) => expect(v).toBeCloseTo(theirs.populations[q].covariance[i], 12));
    }
    net.dispose();
  });
});

describe('inactivation', () => {
  test('zero, silence and delete change exactly the weights they name; delete scales the 1/N by N / N\'', async () => {
    const net = smallNet(5);
    const p = net.params();
    const z = inactivate(net, [1, 4], { mode: 'zero' }).params();
    const s = inactivate(net, [1, 4], { mode: 'silence' }).params();
    for (let i = 0; i < 6; i++) {
      const off = i === 1 || i === 4;
      for (let r = 0; r < 2; r++) {
        expect(z.m.data[2 * i + r]).toBe(off ? 0 : p.m.data[2 * i + r]);
        expect(s.n.data[2 * i + r]).toBe(off ? 0 : p.n.data[2 * i + r]);
      }
      expect(z.wo.data[i]).toBe(off ? 0 : p.wo.data[i]);
      expect(z.wi.data[i]).toBe(p.wi.data[i]);
      expect(s.wi.data[6 + i]).toBe(off ? 0 : p.wi.data[6 + i]);
      expect(s.wo.data[i]).toBe(p.wo.data[i]);
    }
    // delete: effective J_ij = m_i . n_j / N' for the kept neurons, i.e. N / N' = 6 / 4 times the original
    const keep = [0, 2, 3, 5];
    const J = (q: Record<string, { data: ArrayLike<number> }>, i: number, j: number, N: number) => (q.m.data[2 * i] * q.n.data[2 * j] + q.m.data[2 * i + 1] * q.n.data[2 * j + 1]) / N;
    for (const rescale of [false, true]) {
      const d = inactivate(net, [1, 4], { mode: 'delete', rescale });
      expect(d.size).toBe(4);
      const q = d.params();
      keep.forEach((i, a) => keep.forEach((j, b) => expect(J(q, a, b, 4)).toBeCloseTo(J(p, i, j, 6) * (rescale ? 1 : 6 / 4), 12)));
      keep.forEach((i, a) => expect(q.wo.data[a] / 4).toBeCloseTo((p.wo.data[i] / 6) * (rescale ? 1 : 6 / 4), 12));
      d.dispose();
    }
    // silenced neurons stay at rest (x = h0 = 0) whatever the input
    const silenced = inactivate(net, [1, 4], { mode: 'silence' });
    const inputs = { data: new Float32Array(1 * 5 * 2).fill(1), shape: [1, 5, 2] };
    const sim = await silenced.simulate(inputs, { states: true });
    for (let t = 0; t <= 5; t++) expect([sim.states!.data[t * 6 + 1], sim.states!.data[t * 6 + 4]]).toEqual([0, 0]);
    expect(() => inactivate(net, [6])).toThrow(/neurons\[0\] must be an integer in \[0, 5\]; got 6/);
    expect(() => inactivate(net, [0, 1, 2, 3, 4, 5])).toThrow(/at least one/);
    silenced.dispose();
    net.dispose();
  });

  test('a full-rank net loses rows and columns of wrec; selectivity populations are the top |si wi|', () => {
    const full = new FullRankRNN({ size: 5, inputs: 2, seed: 2, threads: 1, dtype: 'float64' });
    const w = full.param('wrec').data;
    const d = inactivate(full, [2], { mode: 'delete' }).param('wrec').data;
    const keep = [0, 1, 3, 4];
    keep.forEach((i, a) => keep.forEach((j, b) => expect(d[a * 4 + b]).toBe(w[i * 5 + j])));
    const z = inactivate(full, [2], { mode: 'zero' }).param('wrec').data;
    for (let j = 0; j < 5; j++) expect([z[2 * 5 + j], z[j * 5 + 2]]).toEqual([0, 0]);
    full.setParams({ wi: Float64Array.of(0.1, -3, 0.2, 2, 0, 5, 0, 0, -4, 0.1) });
    expect(Array.from(selectivityPopulations(full, [0, 1], 2))).toEqual([2, 1, 0, 2, 0]); // input 0: neurons 1, 3; input 1: neurons 0, 3 (3 overwritten)
    full.dispose();
  });

  test('inactivationAccuracy: CDM per context on the coherence grid; a net with no readout left scores 0 or 1 by sign', async () => {
    const net = new LowRankRNN({ size: 20, rank: 1, inputs: 4, outputs: 1, seed: 1, threads: 1 });
    const task = tasks.cdm();
    const labels = Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1));
    const groups = populationGroups(labels);
    expect(groups.map((g) => g.name)).toEqual(['population 0', 'population 1', 'random']);
    const r = await inactivationAccuracy(net, task, groups, { fraction: 0.5, draws: 2, trialsPerCell: 2 });
    expect(r.contexts).toEqual(['A', 'B']);
    expect(r.accuracy.shape).toEqual([3, 2]);
    expect(r.accuracy_draws.shape).toEqual([3, 2, 2]);
    expect(Array.from(r.inactivated)).toEqual([5, 5, 10]);
    for (let g = 0; g < 3; g++) for (let c = 0; c < 2; c++) expect(r.accuracy.data[g * 2 + c]).toBeCloseTo((r.accuracy_draws.data[(g * 2) * 2 + c] + r.accuracy_draws.data[(g * 2 + 1) * 2 + c]) / 2, 12);
    // every neuron's readout zeroed: outputs are exactly 0, whose sign 0 counts as wrong
    const all = await inactivationAccuracy(net, task, [{ name: 'all but one', neurons: Array.from({ length: 19 }, (_, i) => i) }], { trialsPerCell: 1 });
    const lone = net.param('wo');
    lone.data[19] = 0;
    net.setParams({ wo: lone });
    const none = await inactivationAccuracy(net, task, [{ name: 'all but one', neurons: Array.from({ length: 19 }, (_, i) => i) }], { trialsPerCell: 1 });
    expect(Array.from(none.accuracy.data)).toEqual([0.5, 0.5]); // the score 1 - |correct - 0| / 2
    expect(all.accuracy.data.every((a) => a >= 0 && a <= 1)).toBe(true);
    net.dispose();
  });
});

describe('gains', () => {
  test('phi\'(mean x) and mean phi\'(x) over the window, checked against the states; the window is checked', async () => {
    const net = new LowRankRNN({ size: 8, rank: 1, inputs: 4, outputs: 1, seed: 3, threads: 1, dtype: 'float64' });
    const task = tasks.cdm();
    const g = await gains(net, task, { trials: 3, window: [10, 20], seed: 4 });
    expect(g.contexts).toEqual(['A', 'B']);
    for (const [c, context] of [[0, 1], [1, 2]]) {
      const seed = streamSeed(4, STREAMS.populationTrials, c);
      const batch = task.trials({ context, coherenceA: 0, coherenceB: 0 }, { repeats: 3, seed });
      const x = (await net.simulate(batch.inputs, { states: true, seed })).states!.data;
      for (const i of [0, 5]) {
        let mean = 0, slope = 0;
        for (let b = 0; b < 3; b++) for (let t = 10; t < 20; t++) {
          const v = x[(b * 69 + t) * 8 + i];
          mean += v / 30;
          slope += 1 / Math.cosh(v) ** 2 / 30;
        }
        expect(g.gains.data[i * 2 + c]).toBeCloseTo(1 / Math.cosh(mean) ** 2, 12);
        expect(g.meanGains.data[i * 2 + c]).toBeCloseTo(slope, 12);
      }
    }
    await expect(gains(net, task, { window: [10, 100] })).rejects.toThrow(/window' must lie within the 69 states of a 68-step trial/);
    const pm = populationMeans(g.gains, Int32Array.from({ length: 8 }, (_, i) => i % 2));
    expect(pm.data[0]).toBeCloseTo((g.gains.data[0] + g.gains.data[4] + g.gains.data[8] + g.gains.data[12]) / 4, 12);
    net.dispose();
  });
});

describe('cluster statistics', () => {
  test('adjusted Rand index: closed form on a hand example and identical partitions', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    // contingency [[2,1],[0,2]]: sum C(nij,2) = 2, a = C(3,2)+C(2,2) = 4, b = C(2,2)+C(3,2) = 4, C(5,2) = 10
    // ARI = (2 - 4*4/10) / ((4+4)/2 - 4*4/10) = 0.4 / 2.4
    expect(adjustedRandIndex([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])).toBeCloseTo(0.4 / 2.4, 14);
  });

  test.skipIf(!sklearn.available)(`ARI, kurtosis, rank sums and ePAIRS angles against sklearn / scipy (${sklearn.reason})`, async () => {
    const rng = new Random(7);
    const a = Array.from({ length: 300 }, () => rng.int(4)), b = a.map((x) => (rng.uniform() < 0.3 ? rng.int(3) : x));
    const N = 200, D = 4;
    const x = new Float64Array(N * D);
    for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) x[i * D + d] = (i % 2 ? 2 : -2) * (d === 0 ? 1 : 0) + rng.normal() * (d + 1) + (d === 3 ? rng.normal() ** 3 : 0);
    const y = Array.from({ length: 150 }, () => rng.normal() + 0.3);
    const py = `import json, sys, numpy as np
from sklearn.metrics import adjusted_rand_score
from sklearn.neighbors import NearestNeighbors
from scipy import stats
d = json.load(sys.stdin) if False else json.loads(sys.argv[1])
x = np.array(d['x']).reshape(${N}, ${D})
xc = x - x.mean(0)
w, v = np.linalg.eigh(np.cov(xc.T))
z = xc @ v / np.sqrt(w)
nn = NearestNeighbors(n_neighbors=4, metric='cosine').fit(z)
dist, idx = nn.kneighbors(z)
ang = np.arccos(np.clip(np.mean(1 - dist[:, 1:], 1), -1, 1))
r = stats.ranksums(d['y1'], d['y2'])
print(json.dumps({'ari': adjusted_rand_score(d['a'], d['b']), 'kurt': stats.kurtosis(x, axis=0).tolist(), 'ang': ang.tolist(), 'rs': [r.statistic, r.pvalue]}))`;
    const y2 = Array.from({ length: 170 }, () => rng.normal());
    const out = JSON.parse(runPython(py, [JSON.stringify({ a, b, x: Array.from(x), y1: y, y2 })]));
    expect(adjustedRandIndex(a, b)).toBeCloseTo(out.ari, 12);
    Array.from(columnKurtosis({ data: x, shape: [N, D] })).forEach((k, d) => expect(k).toBeCloseTo(out.kurt[d], 10));
    const rs = rankSums(y, y2);
    expect(rs.statistic).toBeCloseTo(out.rs[0], 10);
    expect(rs.pvalue).toBeCloseTo(out.rs[1], 6);
    const e = await epairs({ data: x, shape: [N, D] }, { nullDraws: 5 });
    e.angles.forEach((v, i) => expect(v).toBeCloseTo(out.ang[i], 8));
    // two separated clusters along one axis: neighbours are closer in angle than in a Gaussian
    expect(e.effectSize).toBeGreaterThan(0);
  });

  test('ePAIRS of Gaussian data is not significant; of clustered directions it is', async () => {
    const rng = new Random(3);
    const N = 300, D = 3;
    const gauss = rng.fillNormal(new Float64Array(N * D));
    const g = await epairs({ data: gauss, shape: [N, D] }, { nullDraws: 20, seed: 1 });
    expect(g.pvalue).toBeGreaterThan(0.001);
    const oneThread = await epairs({ data: gauss, shape: [N, D] }, { nullDraws: 20, seed: 1, threads: 1 });
    expect(Array.from(oneThread.angles)).toEqual(Array.from(g.angles));
    expect(oneThread.pvalue).toBe(g.pvalue);
    const dirs = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1]];
    const clustered = Float64Array.from({ length: N * D }, (_, k) => dirs[Math.floor(k / D) % 6][k % D] * (1 + rng.uniform()) + 0.05 * rng.normal());
    const c = await epairs({ data: clustered, shape: [N, D] }, { nullDraws: 20, seed: 1 });
    expect(c.pvalue).toBeLessThan(1e-6);
    expect(c.effectSize).toBeGreaterThan(1);
    await expect(epairs({ data: new Float64Array(6).fill(1), shape: [2, 3] })).rejects.toThrow(/N >= 3/);
    const constant = Float64Array.from({ length: N * D }, (_, k) => (k % D === 2 ? 5 : rng.normal()));
    await expect(epairs({ data: constant, shape: [N, D] }, { nullDraws: 1 })).rejects.toThrow(/linearly dependent/);
  });
});

describe('the task a command scores on', () => {
  const canonical = (n: string) => tasks.byName(n).name;
  test('the options recorded in the model file apply to the same task; given options override them key by key', () => {
    const meta = { kind: 'model', task: 'cdm', taskOptions: { scaleCtx: 0.5, dt: 20 } };
    expect(chooseTask(meta, undefined, undefined, canonical)).toEqual({ name: 'cdm', options: { scaleCtx: 0.5, dt: 20 }, source: 'model file' });
    expect(chooseTask(meta, 'cdm', { scaleCtx: 1 }, canonical)).toEqual({ name: 'cdm', options: { scaleCtx: 1, dt: 20 }, source: 'model file and given' });
    // what \`lowrank train --out\` records: the task and its preset
    expect(chooseTask({ task: 'dm', preset: 'populations' }, 'dm', undefined, canonical).options).toEqual({ preset: 'populations' });
    // another task than the recorded one: the recorded options are not its own
    expect(chooseTask(meta, 'dm', undefined, canonical)).toEqual({ name: 'dm', options: {}, source: 'defaults' });
    expect(chooseTask({ kind: 'model' }, 'cdm', { scaleCtx: 0.5 }, canonical).source).toBe('given');
    expect(() => chooseTask({ kind: 'model' }, undefined, undefined, canonical)).toThrow(/--task: .*records none/);
    // the task built from the recorded options is the trained one (the context cue scaled by 0.5)
    const built = tasks.byName('cdm', chooseTask(meta, 'cdm', undefined, canonical).options);
    const plain = tasks.byName('cdm');
    const cue = (t: typeof plain) => Math.max(...t.sample(4, { seed: 1 }).inputs.data.filter((_, i) => i % 4 >= 2).map(Math.abs));
    expect(cue(built)).toBeCloseTo(0.5, 12);
    expect(cue(plain)).not.toBeCloseTo(0.5, 2);
  });

  test('a warning names the accuracies, the task options and --task-options when a context is below 0.9', () => {
    const choice = { name: 'cdm', options: {}, source: 'defaults' };
    expect(intactAccuracyWarning([0.95, 0.91], ['A', 'B'], choice)).toBeUndefined();
    const w = intactAccuracyWarning([0.48, 0.63], ['A', 'B'], choice)!;
    expect(w).toContain('A 0.480, B 0.630');
    expect(w).toContain('task cdm with task options {} (defaults)');
    expect(w).toContain('--task-options');
    expect(intactAccuracyWarning([0.95, NaN], ['A', 'B'], choice)).toContain('B NaN');
  });

  test('one population name everywhere: 0-based, as the labels number them', () => {
    expect(populationGroups(Int32Array.of(0, 1, 1, 0)).map((g) => g.name)).toEqual([populationName(0), populationName(1), 'random']);
    expect(populationName(0)).toBe('population 0');
  });
});

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
describe.skipIf(!existsSync(cli))('populations command line (dist/cli.js): the recorded task options and the intact-accuracy warning', () => {
  test('inactivate and gains score on the recorded task options, warn on stderr and in --json when the intact net fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowrank-populations-cli-'));
    const net = new LowRankRNN({ size: 16, rank: 1, inputs: 4, outputs: 1, seed: 3, dtype: 'float64' });
    await saveModel(join(dir, 'm.npz'), net, { meta: { task: 'cdm', taskOptions: { scaleCtx: 0.5 } } });
    net.dispose();
    await saveNpz(join(dir, 'p.npz'), { labels: { data: Int32Array.from({ length: 16 }, (_, i) => i % 2), shape: [16] } });
    const env = { ...process.env };
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'populations', ...args, '--model', join(dir, 'm.npz'), '--labels', join(dir, 'p.npz'), '--json'], { encoding: 'utf8', env });
    const r = run('inactivate', '--trials-per-cell', '1', '--no-random', '--out', join(dir, 'i.npz'));
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    // an untrained net does not solve CDM: the warning names the recorded options and --task-options
    expect(summary.baseline.some((a: number) => a < 0.9)).toBe(true);
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0]).toContain('task cdm with task options {"scaleCtx":0.5} (model file)');
    expect(r.stderr).toContain(`warning: ${summary.warnings[0]}`);
    expect(summary.groups).toEqual(['population 0', 'population 1']);
    expect((await loadResult(join(dir, 'i.npz'))).meta).toMatchObject({ task: 'cdm', taskOptions: { scaleCtx: 0.5 } });
    const g = run('gains', '--task-options', '{"scaleCtx":1}', '--trials', '2', '--out', join(dir, 'g.npz'));
    expect(g.status, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).warnings[0]).toContain('task options {"scaleCtx":1} (model file and given)');
    expect((await loadResult(join(dir, 'g.npz'))).meta).toMatchObject({ task: 'cdm', taskOptions: { scaleCtx: 1 } });
  });
});
