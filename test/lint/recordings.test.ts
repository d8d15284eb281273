// Preprocessing of recordings against scipy / numpy run side by side and closed forms, and the whole pipeline on
// Poisson spikes drawn from a known teacher network.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LowRankRNN, Random, lint, saveNpy, tasks, train, type Tensor } from '../../ts/index.js';
import { randomTensor } from '../support/models.js';
import { pythonWith, runPython } from '../support/python.js';

const scipy = pythonWith(['numpy', 'scipy']);
const numpy = pythonWith(['numpy']);
const dir = mkdtempSync(join(tmpdir(), 'lowrank-lint-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Knuth's Poisson sampler (small means). */
function poisson(rng: Random, mu: number): number {
  const limit = Math.exp(-mu);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.uniform();
  } while (p > limit);
  return k - 1;
}

describe('binning and smoothing', () => {
  test('binSpikes counts spikes per [start + k w, start + (k + 1) w); out-of-window spikes are ignored', () => {
    expect(Array.from(lint.binSpikes([-5, 0, 4.9, 5, 19.99, 20, 25], { binMs: 5, start: 0, end: 20 }))).toEqual([2, 1, 0, 1]);
    expect(() => lint.binSpikes([1], { binMs: 3, start: 0, end: 10 })).toThrow(/whole number of bins/);
    expect(() => lint.binSpikes([NaN], { binMs: 5, start: 0, end: 10 })).toThrow(/finite/);
    expect(() => lint.binSpikes([1], { binMs: NaN, start: 0, end: 10 })).toThrow("lint.binSpikes: option 'binMs' must be a finite number > 0; got NaN");
    expect(() => lint.binSpikes([1], { binMs: 5, start: 10, end: 10 })).toThrow("lint.binSpikes: option 'end' must be a time after start (10 ms); got 10");
    const extra = { binMs: 5, start: 0, end: 10, smoothMs: 3 } as unknown as { binMs: number; start: number; end: number };
    expect(() => lint.binSpikes([1], extra)).toThrow("lint.binSpikes: unknown option 'smoothMs'; valid options: binMs, start, end");
    expect(() => lint.smoothTime({ data: new Float64Array(4), shape: [4] }, -1)).toThrow("lint.smoothTime: option 'sigmaBins' must be a finite number >= 0; got -1");
  });

  test('smoothTime: constants and interior ramps are unchanged, a delta becomes the normalised kernel', () => {
    const T = 40;
    const ramp = lint.smoothTime({ data: Float64Array.from({ length: T }, (_, t) => 3 + 0.5 * t), shape: [T] }, 2);
    for (let t = 9; t < T - 9; t++) expect(ramp.data[t]).toBeCloseTo(3 + 0.5 * t, 10);
    const constant = lint.smoothTime({ data: new Float64Array(T).fill(7), shape: [1, T, 1] }, 3.5);
    for (const v of constant.data) expect(v).toBeCloseTo(7, 12);
    const delta = new Float64Array(T);
    delta[20] = 1;
    const k = lint.smoothTime({ data: delta, shape: [T] }, 2).data;
    const z = Array.from({ length: 17 }, (_, i) => Math.exp(-((i - 8) ** 2) / 8)).reduce((a, b) => a + b, 0);
    for (const d of [0, 1, 3, 8]) expect(k[20 + d]).toBeCloseTo(Math.exp(-(d * d) / 8) / z, 12);
    expect(k[29]).toBe(0);
  });

  test.skipIf(!scipy.available)(`smoothTime equals scipy.ndimage.gaussian_filter1d along time, edges included (${scipy.reason})`, async () => {
    const x = randomTensor([3, 25, 4], 2);
    const path = join(dir, 'x.npy');
    await saveNpy(path, x);
    const expected = JSON.parse(
      runPython(
        `import sys, json, numpy as np
from scipy.ndimage import gaussian_filter1d
x = np.load(sys.argv[1])
print(json.dumps(gaussian_filter1d(x, 2.5, axis=1).ravel().tolist()))`,
        [path],
      ),
    );
    const got = lint.smoothTime(x, 2.5).data;
    expected.forEach((v: number, i: number) => expect(got[i]).toBeCloseTo(v, 12));
  });
  if (!scipy.available) test.skip(`scipy comparison: ${scipy.reason}`, () => {});
});

describe('condition averages, PCA denoising, condition-independent component', () => {
  test('pseudo-population: Hz per bin, averaged per condition; a neuron missing a condition is dropped', () => {
    const neurons: lint.NeuronTrial[][] = [
      [
        { condition: 1, spikes: [1, 2, 12] },
        { condition: 1, spikes: [3] },
        { condition: 2, spikes: [15, 16, 17] },
      ],
      [{ condition: 2, spikes: [0] }],
      [
        { condition: 2, counts: [1, 1] },
        { condition: 1, counts: [0, 2] },
      ],
    ];
    const avg = lint.conditionAverages(neurons, { binMs: 10, start: 0, end: 20 });
    expect(avg.conditions).toEqual([1, 2]);
    expect(avg.kept).toEqual([0, 2]);
    // neuron 0, condition 1: bins (2 + 1) / 2 and 1 / 2 spikes per 10 ms -> 150 Hz and 50 Hz
    expect(Array.from(avg.rates.data)).toEqual([150, 0, 50, 200, 0, 100, 300, 100]);
    expect(Array.from(avg.trialCounts)).toEqual([2, 1, 1, 1]);
    expect(() => lint.conditionAverages([[{ condition: 1, spikes: [1] }]], { binMs: 10 })).toThrow(/give start and end/);
    expect(() => lint.conditionAverages([[{ condition: 1 }]], { binMs: 10 })).toThrow(/needs spikes/);
    const misspelt = { binMs: 10, smooth: 5 } as unknown as { binMs: number };
    expect(() => lint.conditionAverages([[{ condition: 1, counts: [1] }]], misspelt)).toThrow(/lint\.conditionAverages: unknown option 'smooth'; valid options: .*smoothMs/);
  });

  test('PCA denoising keeps data of rank k exactly and reports the explained variance', async () => {
    const C = 4;
    const T = 10;
    const N = 6;
    const rng = new Random(1);
    const scores = Array.from({ length: C * T * 2 }, () => rng.normal());
    const axes = Array.from({ length: 2 * N }, () => rng.normal());
    const data = new Float64Array(C * T * N);
    for (let p = 0; p < C * T; p++) for (let i = 0; i < N; i++) data[p * N + i] = 5 + i + scores[p * 2] * axes[i] + scores[p * 2 + 1] * axes[N + i];
    const den = await lint.pcaDenoise({ data, shape: [C, T, N] }, 2);
    expect(den.explained).toBeCloseTo(1, 12);
    for (let p = 0; p < C * T; p++) for (let i = 0; i < N; i++) expect(den.data.data[p * N + i] + den.mean[i]).toBeCloseTo(data[p * N + i], 10);
    const one = await lint.pcaDenoise({ data, shape: [C, T, N] }, 1);
    expect(one.explained).toBeLessThan(1);
    expect(one.explained).toBeGreaterThan(0.3);
    await expect(lint.pcaDenoise({ data, shape: [C, T, N] }, 7)).rejects.toThrow("lint.pcaDenoise: option 'k' must be an integer in [1, 6]; got 7");
  });

  test.skipIf(!numpy.available)(`the condition-independent component: the mean, or the intercept of a least-squares regression (numpy lstsq; ${numpy.reason})`, async () => {
    const x = randomTensor([6, 3, 2], 4);
    const regressors = { data: Float64Array.from([1, 0.2, -1, 0.5, 1, -0.1, -1, 0.9, 1, 0.3, -1, -0.7]), shape: [6, 2] };
    await saveNpy(join(dir, 'cx.npy'), x);
    await saveNpy(join(dir, 'reg.npy'), regressors);
    const expected = JSON.parse(
      runPython(
        `import sys, json, numpy as np
x = np.load(sys.argv[1]); r = np.load(sys.argv[2])
X = np.hstack([np.ones((6, 1)), r])
beta, *_ = np.linalg.lstsq(X, x.reshape(6, -1), rcond=None)
print(json.dumps((x - beta[0].reshape(1, 3, 2)).ravel().tolist()))`,
        [join(dir, 'cx.npy'), join(dir, 'reg.npy')],
      ),
    );
    const got = lint.removeConditionIndependent(x, regressors).data;
    expected.forEach((v: number, i: number) => expect(got[i]).toBeCloseTo(v, 10));
    const centred = lint.removeConditionIndependent(x).data;
    for (let t = 0; t < 3; t++)
      for (let n = 0; n < 2; n++) {
        let s = 0;
        for (let c = 0; c < 6; c++) s += centred[(c * 3 + t) * 2 + n];
        expect(s).toBeCloseTo(0, 12);
      }
    expect(() => lint.removeConditionIndependent(x, { data: new Float64Array(12).fill(1), shape: [6, 2] })).toThrow(/collinear/);
  });

  test('recordingTargets pads a free pre-period with unfitted zeros', () => {
    const data: Tensor = { data: Float64Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3, 1] };
    const { targets, mask } = lint.recordingTargets(data, 2, 2);
    expect(targets.shape).toEqual([2, 5, 1]);
    expect(Array.from(targets.data)).toEqual([0, 0, 0.5, 1, 1.5, 0, 0, 2, 2.5, 3]);
    expect(Array.from(mask.data)).toEqual([0, 0, 1, 1, 1, 0, 0, 1, 1, 1]);
  });
});

describe('the recording pipeline on Poisson spikes from a known network', () => {
  test('rates are recovered from spikes, and a rank-1 fit of the processed states explains held-out conditions', async () => {
    const N = 60;
    const reps = 30;
    const task = tasks.dm();
    const teacher = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 1 });
    await train(teacher, task, { epochs: 20, lr: 5e-3, seed: 1 });
    const coherences = [-16, -8, -4, -2, -1, 1, 2, 4, 8, 16];
    const batch = task.trials({ coherence: coherences }, { drawNoise: false });
    const C = coherences.length;
    const T = batch.inputs.shape[1];
    const sim = await teacher.simulate(batch.inputs, { drawNoise: false });
    const truth = new Float64Array(C * T * N); // Hz, of states 1..T
    for (let c = 0; c < C; c++)
      for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) truth[(c * T + t) * N + i] = 20 * (1 + Math.tanh(sim.states!.data[(c * (T + 1) + t + 1) * N + i]));
    const rng = new Random(3);
    const counts = new Float32Array(C * reps * T * N);
    const labels: number[] = [];
    for (let c = 0; c < C; c++)
      for (let r = 0; r < reps; r++) {
        labels.push(coherences[c]);
        const b = c * reps + r;
        for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) counts[(b * T + t) * N + i] = poisson(rng, truth[(c * T + t) * N + i] * 0.02);
      }
    const avg = lint.averageCounts({ data: counts, shape: [C * reps, T, N] }, labels, { binMs: 20, smoothMs: 40 });
    expect(avg.conditions).toEqual(coherences);
    expect(lint.trajectoryR2({ data: truth, shape: [C, T, N] }, avg.rates).global).toBeGreaterThan(0.9);
    const denoised = await lint.pcaDenoise(avg.rates, 5);
    expect(denoised.explained).toBeGreaterThan(0.9);
    const centred = lint.removeConditionIndependent(denoised.data);
    const sd = Math.sqrt(centred.data.reduce((s, v) => s + v * v, 0) / centred.data.length);
    const pre = 3;
    const { targets, mask } = lint.recordingTargets(centred, pre, sd);
    const inputs = new Float32Array(C * (pre + T));
    for (let c = 0; c < C; c++) inputs.set(batch.inputs.data.subarray(c * T, (c + 1) * T), c * (pre + T) + pre);
    const fit = await lint.fit(targets, { data: inputs, shape: [C, pre + T, 1] }, { on: 'states', mask, rank: 1, epochs: 300, batchSize: 4, heldOut: [2, 7], seed: 1 });
    expect(fit.r2.global).toBeGreaterThan(0.9);
    expect(fit.heldOut!.r2.global).toBeGreaterThan(0.9);
    fit.model.dispose();
  });
});
