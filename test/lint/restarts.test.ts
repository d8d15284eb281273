// lint.fit with `restarts`: every restart bit for bit the single fit of its seed, the best one returned, all reported;
// lint.fitMany: several targets in one call, each bit for bit its own lint.fit.
import { describe, expect, test } from 'vitest';
import { LowRankRNN, lint, type Tensor } from '../../ts/index.js';
import { randomTensor, sameBits } from '../support/models.js';

/** Rates of a random rank-1 teacher (N = 24) driven by random inputs: B trials, T steps, 2 channels. */
async function teacherData(dtype: 'float32' | 'float64') {
  const teacher = new LowRankRNN({ size: 24, rank: 1, inputs: 2, outputs: 1, noise: 0, seed: 9, dtype });
  const inputs: Tensor = randomTensor([10, 15, 2], 4, 0.8, dtype);
  const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
  return { inputs, targets };
}

describe('lint.fit restarts', () => {
  test.each(['float32', 'float64'] as const)('%s: restart r is the fit with seed + r; the best is chosen by training loss', async (dtype) => {
    const { inputs, targets } = await teacherData(dtype);
    const common = { rank: 1, epochs: 6, batchSize: 4, heldOut: [2, 7], dtype, seed: 40 };
    const progress: number[] = [];
    const result = await lint.fit(targets, inputs, { ...common, restarts: 3, threads: 2, onProgress: (_r, restart) => progress.push(restart) });
    expect(result.restarts).toHaveLength(3);
    expect(new Set(progress)).toEqual(new Set([0, 1, 2]));
    for (let r = 0; r < 3; r++) {
      const single = await lint.fit(targets, inputs, { ...common, seed: 40 + r });
      const restart = result.restarts![r];
      expect(restart.seed).toBe(40 + r);
      expect(sameBits(restart.model!.flatParams(), single.model.flatParams())).toBe(true);
      expect(restart.training.epochs.map((e) => e.loss)).toEqual(single.training.epochs.map((e) => e.loss));
      expect(restart.r2).toEqual(single.r2);
      expect(restart.heldOutR2).toEqual(single.heldOut!.r2);
    }
    const losses = result.restarts!.map((r) => r.training.bestLoss);
    expect(result.best).toBe(losses.indexOf(Math.min(...losses)));
    expect(result.model).toBe(result.restarts![result.best!].model);
    expect(result.r2).toEqual(result.restarts![result.best!].r2);
    expect(result.heldOut!.trials).toEqual([2, 7]);
    // the restarts really differ
    expect(new Set(losses).size).toBe(3);
  });

  test('restarts must be an integer >= 1', async () => {
    const { inputs, targets } = await teacherData('float32');
    await expect(lint.fit(targets, inputs, { restarts: 0 })).rejects.toThrow("lint.fit: option 'restarts' must be an integer in [1, 4096]; got 0");
  });

  test('fitMany: each target bit for bit its own fit; targets of other sizes are refused', async () => {
    const a = await teacherData('float32');
    const other = new LowRankRNN({ size: 24, rank: 2, inputs: 2, outputs: 1, noise: 0, seed: 3, dtype: 'float32' });
    const bInputs: Tensor = randomTensor([7, 12, 2], 8, 0.8, 'float32');
    const b = { inputs: bInputs, targets: await lint.trajectories(other, bInputs, { drawNoise: false }) };
    const options = { rank: 2, epochs: 5, batchSize: 4, heldOut: 0.3, seed: 5, dtype: 'float32' as const };
    const many = await lint.fitMany([a.targets, b.targets], [a.inputs, b.inputs], options);
    for (const [i, d] of [a, b].entries()) {
      const single = await lint.fit(d.targets, d.inputs, options);
      const f = many[i].fit!;
      expect(sameBits(f.model.flatParams(), single.model.flatParams())).toBe(true);
      expect(f.training.epochs.map((e) => e.loss)).toEqual(single.training.epochs.map((e) => e.loss));
      expect(f.r2).toEqual(single.r2);
      expect(f.heldOut).toEqual(single.heldOut);
    }
    const wider = await lint.trajectories(new LowRankRNN({ size: 30, rank: 1, inputs: 2, outputs: 1, seed: 1, dtype: 'float32' }), a.inputs, { drawNoise: false });
    await expect(lint.fitMany([a.targets, wider], [a.inputs, a.inputs], options)).rejects.toThrow(
      "lint.fitMany: every target must have the neurons and input channels of targets[0] (24, 2); targets[1] has 30, 2",
    );
    await expect(lint.fitMany([a.targets], [a.inputs, b.inputs], options)).rejects.toThrow(/argument 'inputs' must be an array of 1 tensors/);
  });
});
