// trainEnsemble on the CUDA backend: on the emulator (always) and on a GPU (when one is present), each member as
// train() alone on that device, bit for bit, and as the CPU to rounding; low-rank members of one call share each
// kernel's launch (grids of trials x members), whatever their batch sizes, epochs and data; a member that diverges
// stops alone; the memory plan runs an ensemble that does not fit in chunks of members (forced on the emulator with
// LOWRANK_GPU_FREE_MEMORY), and refuses a member that does not fit alone.
import { afterEach, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, train, trainEnsemble, type AnyModel } from '../../ts/index.js';
import { gpuTargets, reversedThreadOrder } from '../support/gpu.js';
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

    const MIXED: [string, (seed: number, device: Device) => AnyModel][] = [
      ['low-rank float32, rate formulation, no autapses', (seed, device) =>
        new LowRankRNN({ size: 40, rank: 1, inputs: 2, outputs: 2, noise: 0.05, seed, dtype: 'float32', device, formulation: 'rate', noAutapse: true, threads: 1 })],
      ["full-rank float64, Dale's law, a connectivity mask, no autapses", (seed, device) =>
        new FullRankRNN({ size: 20, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float64', device, noAutapse: true, threads: 1,
          dale: { excitatory: 0.8 }, mask: Uint8Array.from({ length: 400 }, (_, i) => ((i * 7) % 5 === 0 ? 0 : 1)) })],
    ];
    test.each(MIXED)('%s: members with their own batch sizes, epochs, trial counts and steps share each launch (reversed thread order)', async (_name, make) => {
      const seeds = [4, 5, 6];
      const data = seeds.map((s, i) => randomBatch(make(s, 'cpu'), 'outputs', 5 + 2 * i, 7 - 2 * i, 30 + s));
      const members = [{ batchSize: 2, epochs: 2 }, { batchSize: 4, epochs: 1 }, { batchSize: 3, epochs: 3, lr: 0.02 }].map((m, i) => ({ ...m, seed: seeds[i] }));
      const opts = { clip: 1 };
      const models = seeds.map((s) => make(s, target));
      const results = await reversedThreadOrder(() => trainEnsemble(models, data, { ...opts, members }));
      for (const [i, s] of seeds.entries()) {
        const alone = make(s, target);
        const r = await train(alone, data[i], { ...opts, ...members[i] });
        expect(sameBits(models[i].flatParams(), alone.flatParams())).toBe(true);
        expect(results[i].epochs.map((e) => e.loss)).toEqual(r.epochs.map((e) => e.loss));
        expect(results[i].epochs.length).toBe(members[i].epochs);
        alone.dispose();
      }
      expect(sameBits(models[0].flatParams(), models[2].flatParams())).toBe(false);
      for (const m of models) m.dispose();
    });

    test.each(['float32', 'float64'] as const)("full-rank N = 72 %s, 66 trials: the ensemble's 32 x 32-tile products give the bits of the 64 x 64 tiles alone", async (dtype) => {
      const make = (seed: number, device: Device) => new FullRankRNN({ size: 72, inputs: 2, outputs: 1, noise: 0.05, seed, dtype, device, threads: 1 });
      const seeds = [1, 2];
      const data = seeds.map((s) => randomBatch(make(s, 'cpu'), 'outputs', 70, 3, 10 + s));
      const opts = { epochs: 1, batchSize: 66, clip: 0.5 };
      const models = seeds.map((s) => make(s, target));
      await trainEnsemble(models, data, { ...opts, members: seeds.map((seed) => ({ seed })) });
      for (const [i, s] of seeds.entries()) {
        const alone = make(s, target);
        await train(alone, data[i], { ...opts, seed: s });
        expect(sameBits(models[i].flatParams(), alone.flatParams())).toBe(true);
        alone.dispose();
      }
      for (const m of models) m.dispose();
    });

    test('a low-rank member that diverges stops alone with train()’s error; the others go on', async () => {
      // linear units and a learning rate of 100 for member 1: its loss stops being finite within a few steps
      const make = (seed: number) => new LowRankRNN({ size: 16, rank: 1, inputs: 2, outputs: 1, seed, activation: 'linear', dtype: 'float64', device: target });
      const models = [make(1), make(2), make(3)];
      const batch = randomBatch(make(9), 'outputs', 16, 60, 1);
      const lrs = [1e-3, 100, 1e-3];
      const opts = { epochs: 4, batchSize: 8, seed: 1 };
      const results = await trainEnsemble(models, batch, { ...opts, members: lrs.map((lr) => ({ lr })) });
      const lone = make(2);
      const loneError = await train(lone, batch, { ...opts, lr: 100 }).catch((e: Error) => e);
      expect(loneError).toBeInstanceOf(Error);
      expect(results[1].error?.message).toBe((loneError as Error).message);
      expect(results[1].error?.message).toMatch(/not finite/);
      expect(sameBits(models[1].flatParams(), lone.flatParams())).toBe(true);
      for (const i of [0, 2]) {
        expect(results[i].error).toBeUndefined();
        expect(results[i].epochs.length).toBe(4);
        const alone = make(i + 1);
        await train(alone, batch, { ...opts, lr: lrs[i] });
        expect(sameBits(models[i].flatParams(), alone.flatParams())).toBe(true);
        alone.dispose();
      }
      for (const m of [...models, lone]) m.dispose();
    });

    describe('the memory plan', () => {
      afterEach(() => {
        delete process.env.LOWRANK_GPU_FREE_MEMORY;
      });
      test.each(SHAPES)('%s: an ensemble that does not fit runs in chunks of members, each member as alone', async (_name, make) => {
        const seeds = [1, 2, 3];
        const data = seeds.map((s) => randomBatch(make(s, 'cpu'), 'outputs', 6, 8, 10 + s));
        // one minibatch of all six trials: the training pass needs more than the evaluation train() runs first
        const opts = { epochs: 1, batchSize: 6, clip: 0.5 };
        const members = seeds.map((seed) => ({ seed }));
        const run = async (free: number, count = seeds.length) => {
          process.env.LOWRANK_GPU_FREE_MEMORY = String(free);
          const models = seeds.slice(0, count).map((s) => make(s, target));
          return { models, results: await trainEnsemble(models, data.slice(0, count), { ...opts, members: members.slice(0, count) }) };
        };
        // a member that does not fit is refused before any launch, with the bytes it needs and the bytes available:
        // the free memory plus what the members hold and can give back (here the buffers of train()'s first evaluation)
        const refused = await run(1, 1);
        const message = refused.results[0].error?.message;
        expect(message).toMatch(/training needs \d+ bytes \(.* GiB\) of GPU memory; \d+ bytes \(.* GiB\) are available/);
        expect(sameBits(refused.models[0].flatParams(), make(seeds[0], target).flatParams())).toBe(true);
        const [, need, available] = /needs (\d+) bytes.*; (\d+) bytes/.exec(message!)!.map(Number);
        const held = available - 1;
        expect(need).toBeGreaterThan(held);
        const alone = seeds.map((s) => make(s, target));
        for (const [i, m] of alone.entries()) await train(m, data[i], { ...opts, ...members[i] });
        // room for two members: two chunks ([0, 1] then [2]), each giving its buffers back
        expect(2 * need).toBeGreaterThan(3 * held);
        const chunked = await run(2 * need - 3 * held);
        // room for all three: one chunk, the buffers kept (as train() keeps them)
        const together = await run(3 * need);
        for (const [i, m] of alone.entries()) {
          for (const { models, results } of [chunked, together]) {
            expect(results[i].error).toBeUndefined();
            expect(sameBits(models[i].flatParams(), m.flatParams())).toBe(true);
          }
          expect(chunked.models[i].handle.deviceMemory).toBeLessThan(together.models[i].handle.deviceMemory);
        }
        for (const m of [...alone, ...refused.models, ...chunked.models, ...together.models]) m.dispose();
      });
    });
  });
}
