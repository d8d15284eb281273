// Figures drawn from result files: the analyses `lowrank analyze latent-flow | linearize | meanfield | measures` write
// (checked against closed forms of a rank-1 network), the populations results (files built here to their contract),
// and the errors for the wrong file, missing arrays and unwritable outputs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LowRankRNN } from '../../ts/model/index.js';
import { modelArrays } from '../../ts/model/files.js';
import { saveNpz } from '../../ts/io/index.js';
import { loadResult, saveResult } from '../../ts/results/format.js';
import * as plot from '../../ts/plot/index.js';
import { axisTitles, markGroups, schemaErrors } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-plot-'));
const N = 300;
// a bistable rank-1 net: n = 2 m, so kappa' = -kappa + 2 <m^2 tanh(m kappa)> has two stable points and a saddle at 0
const m = Float64Array.from({ length: N }, (_, i) => Math.sin(1.7 * i + 0.3) * 1.3);
const n = m.map((x) => 2 * x);
const wi = Float64Array.from({ length: N }, (_, i) => Math.cos(0.9 * i));
const model = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, dtype: 'float64', init: { m, n, wi } });
afterAll(() => model.dispose());

/** kappa' of the rank-1 net at kappa (zero input): -kappa + n . tanh(m kappa) / N. */
const velocity = (k: number) => -k + m.reduce((s, mi, i) => s + n[i] * Math.tanh(mi * k), 0) / N;

describe('analyses as result files', () => {
  test('latent-flow: the velocity on the grid is -k + n.tanh(m k)/N; the figure marks each fixed point with its stability', async () => {
    const r = await plot.latentFlowAnalysis(model, { resolution: 41 });
    const path = join(dir, 'flow.npz');
    await plot.saveAnalysisResult(path, r);
    const { meta, arrays } = await loadResult(path, 'analysis');
    expect(meta!.analysis).toBe('latent-flow');
    const axis = arrays['axes.0'].data as Float64Array;
    const v = arrays.velocity.data as Float64Array;
    axis.forEach((k, i) => expect(v[i]).toBeCloseTo(velocity(k), 10));
    const stability = arrays['fixedPoints.stability'].data as string[];
    expect([...stability].sort()).toEqual(['saddle', 'stable', 'stable']);
    const spec = await plot.figureFromFile('flow', path);
    expect(schemaErrors(spec)).toBe('');
    const svg = await plot.svg(spec);
    expect(markGroups(svg, 'symbol').at(-1)).toHaveLength(3);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['κ1', 'dκ1/dt (1/τ)']));
  });

  test('linearize: the non-trivial eigenvalue at a state is -1 + sum_i n_i tanh\'(x_i) m_i / N', async () => {
    const states = { data: Float64Array.from({ length: 2 * N }, (_, j) => 0.8 * Math.sin(0.37 * j)), shape: [2, N] };
    const r = await plot.linearizeAnalysis(model, states);
    const path = join(dir, 'linearize.npz');
    await plot.saveAnalysisResult(path, r);
    const { arrays } = await loadResult(path);
    const re = arrays['eigenvalues.re'].data as Float64Array;
    for (let s = 0; s < 2; s++) {
      let dot = 0;
      for (let i = 0; i < N; i++) dot += (n[i] * m[i] * (1 - Math.tanh(states.data[s * N + i]) ** 2)) / N;
      expect(re[s * arrays['eigenvalues.re'].shape[1]]).toBeCloseTo(-1 + dot, 10);
    }
    const svg = await plot.svg(await plot.figureFromFile('spectrum', path));
    expect(markGroups(svg, 'symbol')[0]).toHaveLength(arrays['eigenvalues.re'].data.length);
  });

  test('latent-flow of a rank-3 net: a slice on two kappa axes at given values of the third, named in the title', async () => {
    const N3 = 120;
    const m3 = Float64Array.from({ length: N3 * 3 }, (_, j) => Math.sin(0.61 * j + 0.2));
    const n3 = Float64Array.from({ length: N3 * 3 }, (_, j) => 1.5 * Math.cos(0.43 * j));
    const r3 = new LowRankRNN({ size: N3, rank: 3, dtype: 'float64', init: { m: m3, n: n3 } });
    try {
      const path = join(dir, 'flow3.npz');
      await plot.saveAnalysisResult(path, await plot.latentFlowAnalysis(r3, { resolution: 9, axes: [0, 2], at: [0, 0.5, 0] }));
      const { arrays } = await loadResult(path);
      const [xs, ys] = [arrays['axes.0'].data as Float64Array, arrays['axes.1'].data as Float64Array];
      const v = arrays.velocity.data as Float64Array;
      // kappa' = -kappa + n^T tanh(m kappa) / N at the grid point (x, 0.5, y), row-major [res_y, res_x, 3]
      for (const [i, j] of [[0, 0], [4, 7], [8, 3]]) {
        const k = [xs[i], 0.5, ys[j]];
        for (let r = 0; r < 3; r++) {
          let sum = 0;
          for (let u = 0; u < N3; u++) sum += n3[u * 3 + r] * Math.tanh(m3[u * 3] * k[0] + m3[u * 3 + 1] * k[1] + m3[u * 3 + 2] * k[2]);
          expect(v[(j * 9 + i) * 3 + r]).toBeCloseTo(-k[r] + sum / N3, 10);
        }
      }
      const spec = await plot.figureFromFile('flow', path);
      expect(JSON.stringify(spec.title)).toContain('slice: κ2 = 0.5');
      expect(axisTitles(await plot.svg(spec))).toEqual(expect.arrayContaining(['κ1', 'κ3']));
    } finally {
      r3.dispose();
    }
  });

  test('meanfield and measures write files that their figures read', async () => {
    const mf = join(dir, 'meanfield.npz');
    await plot.saveAnalysisResult(mf, await plot.meanFieldAnalysis(model, { resolution: 21 }));
    expect(schemaErrors(await plot.figureFromFile('meanfield', mf))).toBe('');
    const states = { data: Float64Array.from({ length: 50 * N }, (_, j) => Math.sin(0.011 * j) + 0.1 * Math.cos(0.7 * j)), shape: [50, N] };
    const measures = join(dir, 'measures.npz');
    await plot.saveAnalysisResult(measures, await plot.measuresAnalysis(model, { states, components: 5 }));
    const { meta, arrays } = await loadResult(measures);
    // J = m n^T / N has rank one: one eigenvalue n.m/N, the rest 0, and it is not normal unless n is parallel to m
    const eigen = Array.from(arrays['nonNormality.eigenvalues.re'].data as Float64Array).sort((a, b) => b - a);
    expect(eigen[0]).toBeCloseTo(m.reduce((s, x, i) => s + x * n[i], 0) / N, 8);
    expect((meta!.nonNormality as { relative: number }).relative).toBeCloseTo(0, 6);
    const svg = await plot.svg(await plot.figureFromFile('pca', measures));
    expect(markGroups(svg, 'rect')[0]).toHaveLength(5);
  });
});

describe('population results (files built to the populations contract)', () => {
  test('connectivity: a point per neuron in each panel, an ellipse per population; inactivation and gains', async () => {
    const Np = 30, K = 2, D = 2;
    const path = join(dir, 'clusters.npz');
    await saveNpz(path, {
      space: { data: Float64Array.from({ length: Np * D }, (_, i) => Math.sin(i)), shape: [Np, D] },
      labels: { data: Int32Array.from({ length: Np }, (_, i) => i % K), shape: [Np] },
      weights: { data: Float64Array.of(0.5, 0.5), shape: [K] },
      means: { data: Float64Array.of(0.2, 0, -0.2, 0), shape: [K, D] },
      covariances: { data: Float64Array.of(0.3, 0, 0, 0.3, 0.2, 0.05, 0.05, 0.2), shape: [K, D, D] },
      columns: JSON.stringify(['m1', 'n1']),
    });
    const svg = await plot.svg(await plot.figureFromFile('connectivity', path));
    const scatter = markGroups(svg, 'symbol').filter((g) => g.length === Np);
    expect(scatter).toHaveLength(2);
    expect(markGroups(svg, 'line').length).toBe(2 * K);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['m1', 'n1']));

    const inactivation = join(dir, 'inactivation.npz');
    await saveNpz(inactivation, { accuracy: { data: Float64Array.of(0.95, 0.9, 0.5, NaN, 0.9, 0.55), shape: [3, 2] }, groups: JSON.stringify(['population 0', 'population 1', 'random']), contexts: JSON.stringify(['A', 'B']) });
    expect(markGroups(await plot.svg(await plot.figureFromFile('inactivation', inactivation)), 'rect')[0]).toHaveLength(5);
    // the result's baseline [C] (the intact net) is drawn first
    const intact = join(dir, 'inactivation-intact.npz');
    await saveNpz(intact, { accuracy: { data: Float64Array.of(0.95, 0.9, 0.5, NaN, 0.9, 0.55), shape: [3, 2] }, baseline: { data: Float64Array.of(0.99, 0.98), shape: [2] }, groups: JSON.stringify(['population 0', 'population 1', 'random']), contexts: JSON.stringify(['A', 'B']) });
    const withBaseline = await plot.svg(await plot.figureFromFile('inactivation', intact));
    expect(markGroups(withBaseline, 'rect')[0]).toHaveLength(7);
    expect(withBaseline).toContain('>intact<');

    const gains = join(dir, 'gains.npz');
    await saveNpz(gains, {
      gains: { data: Float64Array.from({ length: Np * 2 }, (_, i) => Math.cos(i)), shape: [Np, 2] },
      labels: { data: Int32Array.from({ length: Np }, (_, i) => i % K), shape: [Np] },
      contexts: JSON.stringify(['A', 'B']),
      population_gains: { data: Float64Array.of(0.1, 0.2, 0.3, 0.4), shape: [K, 2] },
    });
    const g = await plot.svg(await plot.figureFromFile('gains', gains));
    expect(markGroups(g, 'symbol').filter((s) => s.length === Np)).toHaveLength(2);
  });

  test('spectrum from eigenvalues [n, 2] with the teacher overlaid; rank sweep with the minimal rank of the fraction', async () => {
    const path = join(dir, 'partial.npz');
    await saveNpz(path, { eigenvalues: { data: Float64Array.of(0.9, 0, 0.5, 0.2, 0.5, -0.2), shape: [3, 2] }, teacher_eigenvalues: { data: Float64Array.of(0.95, 0, 0.4, 0.1), shape: [2, 2] } });
    const svg = await plot.svg(await plot.figureFromFile('spectrum', path));
    expect(markGroups(svg, 'symbol')[0]).toHaveLength(5);
    const table = join(dir, 'sweep.npz');
    // best 0.99; 0.95 x 0.99 = 0.9405: rank 2 (0.96) is the first to reach it
    await saveResult(table, 'table', { rank: Float64Array.of(1, 2, 3), fit_r2: Float64Array.of(0.5, 0.96, 0.99), truncation_r2: Float64Array.of(0.1, 0.2, 0.4) });
    const spec = (await plot.figureFromFile('rank-sweep', table)) as unknown as { layer: { data: { values: { rank: number }[] } }[] };
    expect(spec.layer[1].data.values[0].rank).toBe(2);
  });
});

describe('bad input', () => {
  test('a file of the wrong kind for a figure names what the figure reads and the command that writes it', async () => {
    const path = join(dir, 'model.npz');
    await saveResult(path, 'model', {}, { arrays: modelArrays(model) });
    await expect(plot.figureFromFile('flow', path)).rejects.toThrow(/the 'flow' figure needs an array 'axes.0'; the file holds a model result.*lowrank analyze latent-flow/);
    await expect(plot.figureFromFile('training', path)).rejects.toThrow(/needs the epochs of a training run/);
    await expect(plot.figureFromFile('trials', path)).rejects.toThrow(/give one \(--task/);
    await expect(plot.figureFromFile('nope' as plot.FigureKind, path)).rejects.toThrow(/figure must be one of training, trials/);
  });

  test('missing arrays and arrays of the wrong shape are named', async () => {
    const path = join(dir, 'broken.npz');
    await saveNpz(path, { space: { data: new Float64Array(4), shape: [2, 2] }, labels: { data: new Int32Array(2), shape: [2] }, weights: { data: new Float64Array(1), shape: [1] }, means: { data: new Float64Array(2), shape: [1, 2] }, columns: '["a", "b"]' });
    await expect(plot.figureFromFile('connectivity', path)).rejects.toThrow(/needs an array 'covariances'/);
    const bad = join(dir, 'bad-shape.npz');
    await saveNpz(bad, { eigenvalues: { data: new Float64Array(6), shape: [2, 3] } });
    await expect(plot.figureFromFile('spectrum', bad)).rejects.toThrow(/'eigenvalues' of shape \[n, 2\]/);
    await expect(plot.figureFromFile('spectrum', join(dir, 'missing.npz'))).rejects.toThrow(/missing\.npz/);
  });

  test('an unwritable output path or an unknown extension is a clear error', async () => {
    const spec = plot.pcaFigure([0.7, 0.3]);
    await expect(plot.saveFigure(join(dir, 'no-such-folder', 'fig.svg'), spec)).rejects.toThrow(/no-such-folder/);
    await expect(plot.saveFigure(join(dir, 'fig.pdf'), spec)).rejects.toThrow(/must end in \.svg or \.png; got .*fig\.pdf/);
    await plot.saveFigure(join(dir, 'fig.svg'), spec);
  });
});
