// trainEnsemble on the CUDA backend: on the emulator (always) and on a GPU (when one is present), each member as
// train() alone on that device, bit for bit, and as the CPU to rounding.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, train, trainEnsemble, type AnyModel } from '../../ts/index.js';
import { gpuTargets } from '../support/gpu.js';
import { randomBatch, sameBits } from '../support/models.js';

type Device = 'cpu' | 'cuda' | 'cuda-emulated';
const SHAPES: [string, (seed: number, device: Device) => AnyModel, number][] = [
  ['low-rank float64', (seed, device) => new LowRankRNN({ size: 16, rank: 2, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float64', device, threads: 1 }), 1e-9],
  ['full-rank float32', (seed, device) => new FullRankRNN({ size: 12, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float32', device, threads: 1 }), 1e-4],
];

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

for (const { target, skip } of gpuTargets('trainEnsemble on the CUDA backend')) {
  describe.skipIf(skip)(`trainEnsemble on '${target}'`, () => {
    test.each(SHAPES)('%s: each member equals train() alone on the device, and the CPU to rounding', async (_name, make, tolerance) => {
      const seeds = [1, 2, 3];
      const data = seeds.map((s) => randomBatch(make(s, 'cpu'), 'outputs', 6, 8, 10 + s));
      const members = seeds.map((s, i) => ({ seed: s, lr: 0.01 * (i + 1) }));
      const opts = { epochs: 2, batchSize: 3, clip: 0.5 };
      const models = seeds.map((s) => make(s, target));
      const results = await trainEnsemble(models, data, { ...opts, members });
      for (const [i, s] of seeds.entries()) {
        const alone = make(s, target);
        const r = await train(alone, data[i], { ...opts, ...members[i] });
        expect(sameBits(models[i].flatParams(), alone.flatParams())).toBe(true);
        expect(results[i].epochs.map((e) => e.loss)).toEqual(r.epochs.map((e) => e.loss));
        const cpu = make(s, 'cpu');
        await train(cpu, data[i], { ...opts, ...members[i] });
        expect(relativeError(models[i].flatParams(), cpu.flatParams())).toBeLessThan(tolerance);
        for (const m of [alone, cpu]) m.dispose();
      }
      for (const m of models) m.dispose();
    });
  });
}
