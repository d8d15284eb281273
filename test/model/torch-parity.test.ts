// Forward pass and gradients against an independent PyTorch implementation run side by side (float32, noise off).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, type AnyModel, type LossOn } from '../../ts/index.js';
import { loadNpz, saveNpz, toFloatTensor } from '../../ts/io/index.js';
import { perturbAll, randomBatch } from '../support/models.js';

const hasTorch = spawnSync('python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const script = join(import.meta.dirname, '..', 'support', 'torch_reference.py');
const dir = mkdtempSync(join(tmpdir(), 'lowrank-torch-'));

/** ||a - b|| / ||b|| */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / Math.max(n, 1e-30));
}

async function compare(model: AnyModel, lossOn: LossOn, label: string) {
  perturbAll(model, 3);
  const batch = randomBatch(model, lossOn, 4, 15, 8);
  const f32 = (t: { data: ArrayLike<number>; shape: number[] }) => ({ data: Float32Array.from(t.data), shape: t.shape });
  const src = join(dir, `${label}-in.npz`);
  const dst = join(dir, `${label}-out.npz`);
  await saveNpz(src, {
    ...model.params(),
    inputs: f32(batch.inputs),
    targets: f32(batch.targets),
    mask: f32(batch.mask!),
    config: JSON.stringify({ ...model.config, lossOn }),
  });
  const r = spawnSync('python3', [script, src, dst], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const ref = await loadNpz(dst);
  const sim = await model.simulate(batch.inputs, { drawNoise: false });
  expect(relErr(sim.states!.data, toFloatTensor(ref.states, 'states').data)).toBeLessThan(1e-5);
  const { loss, grads } = await model.gradients(batch, { lossOn, drawNoise: false });
  const refLoss = toFloatTensor(ref.loss, 'loss').data[0];
  expect(Math.abs(loss - refLoss) / Math.abs(refLoss)).toBeLessThan(1e-5);
  for (const name of model.paramNames) {
    const expected = toFloatTensor(ref[`grad_${name}`], name).data;
    expect(relErr(grads[name].data, expected), `gradient of ${name}`).toBeLessThan(1e-5);
  }
}

describe.skipIf(!hasTorch)('PyTorch parity (float32)', () => {
  const base = { inputs: 3, outputs: 2, seed: 5, noise: 0, dtype: 'float32' as const, biases: true };
  test('low-rank, current formulation, tanh, loss on outputs', async () => {
    await compare(new LowRankRNN({ ...base, size: 64, rank: 2 }), 'outputs', 'lr-out');
  });
  test('low-rank, loss on rates (LINT)', async () => {
    await compare(new LowRankRNN({ ...base, size: 48, rank: 1, outputs: 0 }), 'rates', 'lr-rates');
  });
  test('low-rank, rate formulation, relu, loss on states', async () => {
    await compare(new LowRankRNN({ ...base, size: 40, rank: 3, formulation: 'rate', activation: 'relu' }), 'states', 'lr-rate');
  });
  test('full-rank, current formulation, softplus with linear readout', async () => {
    await compare(new FullRankRNN({ ...base, size: 48, activation: 'softplus', outputActivation: 'linear' }), 'outputs', 'fr-out');
  });
  test('full-rank, two threads, N not a multiple of 16: tanh readout of the activity, rate formulation, loss on rates', async () => {
    await compare(new FullRankRNN({ ...base, size: 200, threads: 2, outputActivation: 'tanh' }), 'outputs', 'fr-tanh-200');
    await compare(new FullRankRNN({ ...base, size: 150, threads: 2, formulation: 'rate', activation: 'relu' }), 'rates', 'fr-rate-150');
    await compare(new FullRankRNN({ ...base, size: 200, threads: 2, outputs: 0 }), 'rates', 'fr-rates-200');
  });
});

if (!hasTorch) {
  test.skip('PyTorch parity: python3 with torch and numpy is not installed (pip install torch numpy)', () => {});
}
