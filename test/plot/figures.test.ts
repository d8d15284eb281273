// The figure functions: every spec validates against the Vega-Lite schema, the SVGs draw what the data holds (one
// symbol per fixed point, one line per condition, axis titles with units), NaN values are gaps, PNGs have the size
// asked for, and the geometry (ellipses, unstable directions) is checked against closed forms.
import { describe, expect, test } from 'vitest';
import * as plot from '../../ts/plot/index.js';
import { axisTitles, decodePng, markGroups, pngSize, schemaErrors } from './support.js';

const t = (data: number[], shape: number[]) => ({ data: Float64Array.from(data), shape });

/** Pseudo-random numbers in [-1, 1) (a fixed LCG, so the tests draw the same data every run). */
function noise(n: number, seed = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 30) - 1);
}

const epochs: plot.EpochPoint[] = [1, 2, 3, 4, 5].map((epoch) => ({ epoch, loss: epoch === 3 ? NaN : 1 / epoch, validationLoss: 1.2 / epoch, validationAccuracy: 0.5 + epoch / 20, lr: 1e-2 }));

const flow2: plot.FlowData = {
  axes: [Float64Array.from({ length: 10 }, (_, i) => -2.7 + 0.6 * i), Float64Array.from({ length: 10 }, (_, i) => -2.7 + 0.6 * i)],
  velocity: Float64Array.from({ length: 200 }, (_, i) => (i % 2 ? -1 : 1) * ((i * 7) % 11) * 0.1),
  speed: Float64Array.from({ length: 100 }, (_, i) => i / 100),
  fixedPoints: [
    { at: [0, 0], stability: 'saddle', direction: [1, 0.5] },
    { at: [1.5, 1.5], stability: 'stable' },
    { at: [-1.5, -1.5], stability: 'stable' },
  ],
};

/** Every figure function with small data (including NaN entries). */
const specs: Record<string, plot.Spec> = {
  training: plot.trainingCurves(epochs),
  trials: plot.trialsFigure({ inputs: t(noise(2 * 20 * 2), [2, 20, 2]), outputs: t(noise(40, 3), [2, 20, 1]), targets: t(Array(40).fill(0.5), [2, 20, 1]), mask: t(Array(40).fill(1), [2, 20, 1]), dt: 20 }),
  psychometric: plot.psychometricFigure([{ label: 'dm', values: [-2, -1, 0, 1, 2], fractionPositive: [0.05, 0.2, 0.5, NaN, 0.95] }], 'coherence'),
  trajectories: plot.trajectoriesFigure({ coords: t(noise(9 * 6 * 3), [9, 6, 3]), conditions: ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'], axes: ['PC 1 (a.u.)', 'PC 2 (a.u.)'] }),
  flow1: plot.flowFigure({ axes: [[-1, 0, 1]], velocity: [1, 0, -1], speed: [1, 0, 1], fixedPoints: [{ at: [0], stability: 'stable' }] }),
  flow2: plot.flowFigure(flow2),
  spectrum: plot.spectrumFigure([{ label: 'student', re: [-0.5, 0.2, NaN], im: [0, 0.3, 0] }, { label: 'teacher', re: [-0.4, 0.1], im: [0, -0.3] }], 'continuous'),
  spectrumDiscrete: plot.spectrumFigure([{ label: 'map', re: [0.5], im: [0.5] }], 'discrete'),
  pca: plot.pcaFigure([0.6, 0.3, 0.1]),
  connectivity: plot.connectivityFigure({
    space: t(noise(40 * 3), [40, 3]),
    labels: Array.from({ length: 40 }, (_, i) => i % 2),
    weights: [0.5, 0.5],
    means: t([0.1, 0, 0, -0.1, 0, 0], [2, 3]),
    covariances: t([0.3, 0.1, 0, 0.1, 0.2, 0, 0, 0, 0.3, 0.2, 0, 0, 0, 0.2, 0, 0, 0, 0.2], [2, 3, 3]),
    columns: ['m1', 'n1', 'I1'],
  }),
  rankSweep: plot.rankSweepFigure({ rank: [1, 2, 3], fit: [0.5, 0.96, 0.99], truncation: [0.1, NaN, 0.4], minimalRank: 2 }),
  subsampling: plot.subsamplingFigure({ fraction: [1, 0.2, 0.2, 0.05, 0.05], lowRank: [0.9, 0.8, 0.7, 0.5, NaN], fullRank: [0.95, 0.6, 0.5, 0.1, 0.2] }),
  inactivation: plot.inactivationFigure({ accuracy: t([0.9, 0.8, 0.5, NaN, 0.7, 0.6], [3, 2]), groups: ['population 0', 'population 1', 'random'], contexts: ['A', 'B'] }),
  inactivationIntact: plot.inactivationFigure({ accuracy: t([0.9, 0.8, 0.5, NaN], [2, 2]), groups: ['population 0', 'population 1'], contexts: ['A', 'B'], baseline: [0.97, 0.95] }),
  gains: plot.gainsFigure({ gains: t(noise(20 * 2), [20, 2]), labels: Array.from({ length: 20 }, (_, i) => i % 2), contexts: ['A', 'B'], populationGains: t([0.1, 0.2, -0.1, 0.3], [2, 2]) }),
  topology: plot.topologyFigure({ probabilities: t([0.9, 0.1, 0, 0, 0.3, 0.7, 0, 0, 0, 0, 1, 0], [3, 4]), stability: ['stable', 'saddle', 'stable'] }),
};

describe('figure specs', () => {
  test.each(Object.keys(specs))('%s validates against the Vega-Lite schema', (name) => {
    expect(schemaErrors(specs[name])).toBe('');
  });

  test('the schema check rejects what is not Vega-Lite', () => {
    expect(schemaErrors({ mark: 'nope', data: { values: [] } })).not.toBe('');
  });

  test('a spec that is not an object is a TypeError; an invalid spec a RangeError', async () => {
    await expect(plot.svg(null as unknown as plot.Spec)).rejects.toThrow(TypeError);
    await expect(plot.svg({ mark: 'nope' } as unknown as plot.Spec)).rejects.toThrow(/not a valid Vega-Lite specification/);
  });
});

describe('SVG marks', () => {
  test('flow: one symbol per fixed point, an arrow per sampled cell, the saddle direction, axis titles', async () => {
    const svg = await plot.svg(specs.flow2);
    const symbols = markGroups(svg, 'symbol');
    expect(symbols.at(-1)).toHaveLength(3);
    const rules = markGroups(svg, 'rule');
    expect(rules[0]).toHaveLength(100);
    expect(rules[1]).toHaveLength(1);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['κ1', 'κ2']));
    const one = await plot.svg(specs.flow1);
    expect(markGroups(one, 'symbol').at(-1)).toHaveLength(1);
    expect(axisTitles(one)).toEqual(expect.arrayContaining(['κ1', 'dκ1/dt (1/τ)']));
  });

  test('trajectories: one line per condition (trials averaged), one start circle each', async () => {
    const svg = await plot.svg(specs.trajectories);
    // a line mark with colour series draws one group (with one path) per series
    expect(markGroups(svg, 'line').map((g) => g.length)).toEqual([1, 1, 1]);
    expect(markGroups(svg, 'symbol')[0]).toHaveLength(3);
    expect(axisTitles(svg)).toEqual(['PC 1 (a.u.)', 'PC 2 (a.u.)']);
  });

  test('training: a NaN loss is a gap (the line restarts), not a crash', async () => {
    const svg = await plot.svg(specs.training);
    const d = markGroups(svg, 'line').flat().map((l) => /\bd="([^"]*)"/.exec(l)![1]);
    // training loss (NaN at epoch 3: two pieces), validation loss, accuracy, learning rate
    expect(d.map((p) => (p.match(/M/g) ?? []).length)).toEqual([2, 1, 1, 1]);
    expect(axisTitles(svg)).toEqual(expect.arrayContaining(['epoch', 'loss (masked MSE)', 'validation accuracy (fraction)', 'learning rate']));
  });

  test('spectrum: a symbol per finite eigenvalue, the Re = 0 boundary, units 1/τ; the unit circle in discrete time', async () => {
    const svg = await plot.svg(specs.spectrum);
    expect(markGroups(svg, 'symbol')[0]).toHaveLength(4);
    expect(markGroups(svg, 'rule')[0]).toHaveLength(1);
    expect(axisTitles(svg)).toEqual(['Re λ (1/τ)', 'Im λ (1/τ)']);
    const discrete = await plot.svg(specs.spectrumDiscrete);
    expect(markGroups(discrete, 'line')[0]).toHaveLength(1);
  });

  test('inactivation: one bar per group and context with a value; gains: a dot per neuron and a bar per population', async () => {
    expect(markGroups(await plot.svg(specs.inactivation), 'rect')[0]).toHaveLength(5);
    const gains = await plot.svg(specs.gains);
    expect(markGroups(gains, 'rect').map((g) => g.length)).toEqual([2, 2]);
    expect(markGroups(gains, 'symbol').slice(0, 2).map((g) => g.length)).toEqual([20, 20]);
  });

  test("inactivation: the intact network's accuracy per context comes first, as the group 'intact'", async () => {
    const svg = await plot.svg(specs.inactivationIntact);
    expect(markGroups(svg, 'rect')[0]).toHaveLength(2 + 3); // intact A, B; population 0 A, B; population 1 A (B is NaN)
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels.indexOf('intact')).toBeGreaterThanOrEqual(0);
    expect(labels.indexOf('intact')).toBeLessThan(labels.indexOf('population 0'));
    const rows = (specs.inactivationIntact as unknown as { data: { values: { group: string; context: string; accuracy: number }[] } }).data.values;
    expect(rows.slice(0, 2).map((r) => ({ group: r.group, context: r.context, accuracy: r.accuracy }))).toEqual([{ group: 'intact', context: 'A', accuracy: 0.97 }, { group: 'intact', context: 'B', accuracy: 0.95 }]);
  });

  test('populations are named as the labels number them (population 0 for label 0) in every figure', () => {
    const colour = (specs.connectivity as unknown as { vconcat: { hconcat: { layer?: { encoding: { color: { scale: { domain: string[] } } } }[] }[] }[] }).vconcat[1].hconcat[0].layer![0].encoding.color.scale.domain;
    expect(colour).toEqual([plot.populationName(0), plot.populationName(1)]);
    const points = (specs.connectivity as unknown as { vconcat: { hconcat: { layer?: { data: { values: { population: string }[] } }[] }[] }[] }).vconcat[1].hconcat[0].layer![0].data.values;
    expect(points[0].population).toBe('population 0'); // neuron 0 has label 0
    const panel = (specs.gains as unknown as { hconcat: { layer: { data: { values: { population: string }[] } }[] }[] }).hconcat[0];
    expect(panel.layer[0].data.values.map((v) => v.population)).toEqual(['population 0', 'population 1']);
    expect(panel.layer[1].data.values[1].population).toBe('population 1'); // neuron 1 has label 1
  });

  test('gains: at most maxPoints neurons per panel, every k-th, said in the title; the bars keep every neuron', async () => {
    const spec = plot.gainsFigure({ gains: t(noise(50 * 2), [50, 2]), labels: Array.from({ length: 50 }, (_, i) => i % 2), contexts: ['A', 'B'], populationGains: t([0.1, 0.2, -0.1, 0.3], [2, 2]), maxPoints: 20 });
    const svg = await plot.svg(spec);
    expect(markGroups(svg, 'symbol').slice(0, 2).map((g) => g.length)).toEqual([17, 17]);
    expect(JSON.stringify(spec.title)).toContain('one neuron in 3 of 50');
    expect(plot.neuronSubset(4096, 1000)).toMatchObject({ note: 'one neuron in 5 of 4096' });
    expect(plot.neuronSubset(4096, 1000).neurons).toHaveLength(820);
    expect(plot.neuronSubset(10, 0)).toEqual({ neurons: Array.from({ length: 10 }, (_, i) => i), note: '' });
  });

  test('connectivity: at most maxPoints neurons per panel, every k-th, said in the title', async () => {
    const spec = plot.connectivityFigure({ space: t(noise(50 * 2), [50, 2]), labels: Array(50).fill(0), weights: [1], means: t([0, 0], [1, 2]), covariances: t([1, 0, 0, 1], [1, 2, 2]), columns: ['a', 'b'], maxPoints: 20 });
    const svg = await plot.svg(spec);
    expect(markGroups(svg, 'symbol').filter((g) => g.length === 17)).toHaveLength(2);
    expect(JSON.stringify(spec.title)).toContain('one neuron in 3 of 50');
  });

  test('trials: inputs and outputs against targets per trial; a network without readout shows its inputs only', async () => {
    const svg = await plot.svg(specs.trials);
    expect(axisTitles(svg).filter((a) => a === 'output (a.u.)')).toHaveLength(2);
    const inputsOnly = plot.trialsFigure({ inputs: t(noise(20), [1, 20, 1]), outputs: t([], [1, 20, 0]), targets: t([], [1, 20, 0]) });
    expect(schemaErrors(inputsOnly)).toBe('');
    const titles = axisTitles(await plot.svg(inputsOnly));
    expect(titles).toEqual(['time (steps)', 'input (a.u.)']);
  });

  test('topology: a node per point and an edge per transition between two points', async () => {
    const svg = await plot.svg(specs.topology);
    expect(markGroups(svg, 'symbol')[0]).toHaveLength(3);
    expect(markGroups(svg, 'rule')[0]).toHaveLength(2);
  });
});

describe('geometry against closed forms', () => {
  test("the connectivity ellipses are the Gaussians' 2-sigma contours: (p - mu)^T S^-1 (p - mu) = 4", () => {
    const cells = (specs.connectivity as unknown as { vconcat: { hconcat: { layer?: { data: { values: { x: number; y: number; population: string }[] } }[] }[] }[] }).vconcat;
    const ellipse = cells[1].hconcat[0].layer![1].data.values.filter((p) => p.population === 'population 0');
    // panel (row 1, column 0): x = m1, y = n1; population 0: mean (0.1, 0), covariance [[0.3, 0.1], [0.1, 0.2]]
    const [a, b, c] = [0.3, 0.1, 0.2];
    const det = a * c - b * b;
    for (const p of ellipse) {
      const [u, v] = [p.x - 0.1, p.y];
      expect((c * u * u - 2 * b * u * v + a * v * v) / det).toBeCloseTo(4, 10);
    }
  });

  test('the unstable direction of a saddle is the eigenvector of the positive eigenvalue (R = 2, 3)', () => {
    const v2 = plot.unstableDirection([1, 2, 2, 1], 2)!; // eigenvalues 3 (along [1, 1]) and -1
    expect(Math.abs(v2[0] / Math.hypot(...v2))).toBeCloseTo(Math.SQRT1_2, 12);
    expect(v2[0] / v2[1]).toBeCloseTo(1, 12);
    // J = Q diag(2, -1, -3) Q^T with a rotation Q: the unstable direction is Q's first column
    const [ct, st] = [Math.cos(0.7), Math.sin(0.7)];
    const Q = [[ct, -st, 0], [st, ct, 0], [0, 0, 1]].map((row) => row.map((x) => x));
    const Qr = [[1, 0, 0], [0, Math.cos(0.3), -Math.sin(0.3)], [0, Math.sin(0.3), Math.cos(0.3)]];
    const M = Q.map((row) => [0, 1, 2].map((j) => row.reduce((s, q, k) => s + q * Qr[k][j], 0)));
    const D = [2, -1, -3];
    const J = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => M[i].reduce((s, _, k) => s + M[i][k] * D[k] * M[j][k], 0)));
    const v3 = plot.unstableDirection(J, 3)!;
    const n = Math.hypot(...v3);
    const cos = Math.abs(v3.reduce((s, x, i) => s + (x / n) * M[i][0], 0));
    expect(cos).toBeCloseTo(1, 10);
    expect(plot.unstableDirection([-1, 2, -2, -1], 2)).toBeUndefined(); // complex pair: no real unstable direction
  });
});

describe('PNG', () => {
  test('decodes to the requested size; with one side given the other follows the aspect ratio', async () => {
    const bytes = await plot.png(specs.flow2, { width: 640, height: 480 });
    const image = decodePng(bytes);
    expect([image.width, image.height, image.pixels.length]).toEqual([640, 480, 640 * 480 * image.channels]);
    // white background, and a figure drawn on it: dark text and axes, coloured arrows
    let white = 0, dark = 0;
    for (let p = 0; p < image.pixels.length; p += image.channels) {
      const [r, g, b] = image.pixels.subarray(p, p + 3);
      if (r > 250 && g > 250 && b > 250) white++;
      if (r < 80 && g < 80 && b < 80) dark++;
    }
    expect(white / (640 * 480)).toBeGreaterThan(0.5);
    expect(dark).toBeGreaterThan(500);
    const svg = await plot.svg(specs.flow2);
    const [w, h] = [/width="(\d+)"/, /height="(\d+)"/].map((re) => Number(re.exec(svg)![1]));
    expect(pngSize(await plot.png(specs.flow2, { width: 300 }))).toEqual({ width: 300, height: Math.round((300 * h) / w) });
    await expect(plot.png(specs.flow2, { width: 0 })).rejects.toThrow(/option 'width' must be an integer in \[1, 16384\]; got 0/);
  });
});
