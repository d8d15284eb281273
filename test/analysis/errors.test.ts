// Bad arguments to the analysis functions: each one a TypeError or RangeError that names the argument.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, analysis, saveModel, type AnyModel } from '../../ts/index.js';
import { makeTempDir } from '../support/io.js';

const low = new LowRankRNN({ size: 6, rank: 2, inputs: 2, dtype: 'float64', seed: 1 });
const full = new FullRankRNN({ size: 6, inputs: 2, dtype: 'float64', seed: 1 });
const x = new Float64Array(6).fill(0.1);

describe('vector field, Jacobians, eigendecompositions', () => {
  test('velocity and jacobian', async () => {
    await expect(analysis.velocity({} as AnyModel, x)).rejects.toThrow(TypeError);
    await expect(analysis.velocity(low, new Float64Array(5))).rejects.toThrow(/states must have shape \[6\] or \[rows, 6\]; got \[5\]/);
    await expect(analysis.velocity(low, Float64Array.of(0, 0, 0, 0, 0, NaN))).rejects.toThrow(/states contains NaN/);
    await expect(analysis.velocity(low, x, { inputs: [1, 2, 3] })).rejects.toThrow(/inputs must have shape \[2\]/);
    await expect(analysis.velocity(low, { data: new Float64Array(12), shape: [2, 6] }, { inputs: { data: new Float64Array(6), shape: [3, 2] } })).rejects.toThrow(/\[2, 2\]/);
    await expect(analysis.jacobian(low, { data: new Float64Array(12), shape: [2, 6] })).rejects.toThrow(/one state/);
    await expect(analysis.structuredJacobian(full, x)).rejects.toThrow(/low-rank/);
  });

  test('linearize and eigen', async () => {
    await expect(analysis.linearize(low, x, { vectors: 'left' as 'both' })).rejects.toThrow(/vectors must be 'none', 'right' or 'both'/);
    await expect(analysis.linearize(low, x, { method: 'fast' as 'dense' })).rejects.toThrow(/method must be/);
    await expect(analysis.linearize(full, x, { method: 'reduced' })).rejects.toThrow(TypeError);
    await expect(analysis.linearize(low, x, { threads: -1 })).rejects.toThrow(/threads/);
    await expect(analysis.eigen({ data: new Float64Array(6), shape: [2, 3] })).rejects.toThrow(/square/);
    await expect(analysis.eigen({ data: Float64Array.of(1, NaN, 0, 1), shape: [2, 2] })).rejects.toThrow(/NaN/);
    await expect(analysis.lineAttractorScore({ data: new Float64Array(4), shape: [2, 2] }, { time: 'x' as 'discrete' })).rejects.toThrow(/time must be/);
  });
});

describe('fixedPoints and topology', () => {
  const from = { data: new Float64Array(6 * 4).fill(0.2), shape: [4, 6] };

  test('fixedPoints', async () => {
    await expect(analysis.fixedPoints(low)).rejects.toThrow(/needs `from`/);
    await expect(analysis.fixedPoints(low, { from, cont: 3 } as object)).rejects.toThrow(/unknown option 'cont'/);
    await expect(analysis.fixedPoints(low, { from, adam: { rate: 1 } } as object)).rejects.toThrow(/fixedPoints.adam: unknown option 'rate'/);
    await expect(analysis.fixedPoints(low, { from, count: 0 })).rejects.toThrow(/count must be an integer >= 1/);
    await expect(analysis.fixedPoints(low, { from, noise: -1 })).rejects.toThrow(/noise must be a number >= 0/);
    await expect(analysis.fixedPoints(low, { from: { data: new Float64Array(10), shape: [2, 5] } })).rejects.toThrow(/from must have shape \[B, T, 6\]/);
    await expect(analysis.fixedPoints(low, { initialStates: { data: new Float64Array(10), shape: [2, 5] } })).rejects.toThrow(/initialStates must have shape \[\*, 6\]/);
    await expect(analysis.fixedPoints(low, { from, inputs: [1] })).rejects.toThrow(/inputs must have shape \[2\]/);
    await expect(analysis.fixedPoints(low, { from, adam: { precision: 'half' as 'float32' } })).rejects.toThrow(/precision/);
    await expect(analysis.fixedPoints(low, { from, adam: { beta1: 1 } })).rejects.toThrow(/adam.beta1/);
    await expect(analysis.fixedPoints(low, { from, tolerance: { q: -1 } })).rejects.toThrow(/tolerance.q/);
    await expect(analysis.fixedPoints(full, { from, eigen: { method: 'reduced' } })).rejects.toThrow(/reduced' needs a low-rank net/);
    await expect(analysis.fixedPoints(low, { from, stability: { convention: 'map' as 'discrete' } })).rejects.toThrow(/convention/);
    await expect(analysis.fixedPoints(low, { from, signal: {} as AbortSignal })).rejects.toThrow(/AbortSignal/);
    await expect(analysis.fixedPoints(low, { from, seed: -2 })).rejects.toThrow(/seed/);
  });

  test('topology', async () => {
    const fps = await analysis.fixedPoints(low, { from, count: 4 });
    await expect(analysis.topology(full, { ...fps, points: { data: new Float64Array(5), shape: [1, 5] } })).rejects.toThrow(/fixed-point result of this model/);
    await expect(analysis.topology(low, fps, { restarts: 0 })).rejects.toThrow(/restarts/);
    await expect(analysis.topology(low, fps, { radius: -1 })).rejects.toThrow(/radius/);
    await expect(analysis.topology(low, { ...fps, points: { data: new Float64Array(0), shape: [0, 6] } })).rejects.toThrow(/no points/);
  });
});

describe('files', () => {
  const dir = makeTempDir();
  afterAll(async () => (await dir).remove());
  test('loadFixedPoints refuses a model file', async () => {
    const path = join((await dir).dir, 'model.npz');
    await saveModel(path, low);
    await expect(analysis.loadFixedPoints(path)).rejects.toThrow(/not a fixed-point file/);
  });
});
