// Same seed, same bits: across runs, thread counts and chunkings of the batch.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../../ts/index.js';
import { finiteDifferences, perturbAll, randomBatch, sameBits } from '../support/models.js';

describe('thread count does not change results', () => {
  const make = (threads: number): AnyModel[] => [
    new LowRankRNN({ size: 96, rank: 2, inputs: 3, outputs: 2, noise: 0.05, seed: 1, threads }),
    new FullRankRNN({ size: 48, inputs: 3, outputs: 2, noise: 0.05, seed: 1, threads }),
    // whole and partial register blocks of the full-rank products (N not a multiple of 16), two chunks of 16 and one of 5
    new FullRankRNN({ size: 200, inputs: 3, outputs: 2, noise: 0.05, seed: 1, threads, biases: true }),
    new FullRankRNN({ size: 150, inputs: 3, outputs: 2, noise: 0.05, seed: 1, threads, formulation: 'rate', activation: 'relu' }),
  ];
  test('simulation, loss and gradients are bit-identical with 1 and 2 threads', async () => {
    const one = make(1);
    const two = make(2);
    for (let k = 0; k < one.length; k++) {
      const batch = randomBatch(one[k], 'outputs', 37, 15, 3);
      const inputs = { data: Float32Array.from(batch.inputs.data), shape: batch.inputs.shape };
      const s1 = await one[k].simulate(inputs, { seed: 5, rates: true });
      const s2 = await two[k].simulate(inputs, { seed: 5, rates: true });
      expect(sameBits(s1.states!.data, s2.states!.data)).toBe(true);
      expect(sameBits(s1.outputs!.data, s2.outputs!.data)).toBe(true);
      const g1 = await one[k].gradients(batch, { seed: 5 });
      const g2 = await two[k].gradients(batch, { seed: 5 });
      expect(g1.loss).toBe(g2.loss);
      for (const name of one[k].paramNames) expect(sameBits(g1.grads[name].data, g2.grads[name].data), name).toBe(true);
    }
  });

  test('training steps are bit-identical with 1 and 2 threads', async () => {
    for (const k of [0, 2]) {
      const one = make(1)[k];
      const two = make(2)[k];
      const batch = randomBatch(one, 'outputs', 64, 10, 3);
      const { train } = await import('../../ts/training/train.js');
      await train(one, batch, { epochs: 2, batchSize: 16, lr: 1e-2, clip: 0.5, seed: 3, keepBest: false });
      await train(two, batch, { epochs: 2, batchSize: 16, lr: 1e-2, clip: 0.5, seed: 3, keepBest: false });
      expect(sameBits(one.flatParams(), two.flatParams())).toBe(true);
    }
  });
});

describe('float32 gradients', () => {
  test('agree with double-precision finite differences to 1e-3', async () => {
    // N = 72: whole and partial SIMD tiles
    const opts = { size: 72, rank: 2, inputs: 2, outputs: 2, noise: 0.05, seed: 2, biases: true };
    const f64 = new LowRankRNN({ ...opts, dtype: 'float64' });
    perturbAll(f64, 3);
    const f32 = new LowRankRNN({ ...opts, dtype: 'float32' });
    f32.setFlatParams(Float32Array.from(f64.flatParams()));
    f64.setFlatParams(Float64Array.from(f32.flatParams())); // both hold exactly the float32-representable values
    const batch = randomBatch(f64, 'outputs', 3, 10, 4);
    const fd = await finiteDifferences(f64, batch, 'outputs', 9);
    const { grads } = await f32.gradients(batch, { seed: 9 });
    let offset = 0;
    for (const name of f32.paramNames) {
      const g = grads[name].data;
      let diff = 0, norm = 0;
      for (let i = 0; i < g.length; i++) {
        diff += (g[i] - fd[offset + i]) ** 2;
        norm += fd[offset + i] ** 2;
      }
      offset += g.length;
      expect(Math.sqrt(diff / Math.max(norm, 1e-30)), name).toBeLessThan(1e-3);
    }
  });
});
