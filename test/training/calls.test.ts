// One train() at a time per model, and an abort that cancels only its own call.
import { describe, expect, test } from 'vitest';
import { LowRankRNN, train } from '../../ts/index.js';
import { randomBatch } from '../support/models.js';

const make = () => new LowRankRNN({ size: 64, rank: 1, inputs: 2, outputs: 1, seed: 7, noise: 0.02 });

describe('concurrent calls on one model', () => {
  test('a second train() while one runs is rejected at once; the first runs to its end; the model is free after', async () => {
    const model = make();
    const batch = randomBatch(model, 'outputs', 64, 12, 5);
    const settled: string[] = [];
    const first = train(model, batch, { epochs: 3, batchSize: 16 }).then((r) => (settled.push('first'), r));
    const second = train(model, batch, { epochs: 1, batchSize: 16 }).catch((e: Error) => (settled.push('second'), e));
    const err = await second;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('train: this model is already being trained by another train() or trainEnsemble() call; await it or abort it first');
    expect(settled).toEqual(['second']);
    expect((await first).epochs.length).toBe(3);
    expect((await train(model, batch, { epochs: 1, batchSize: 16 })).epochs.length).toBe(1);
    // a run that failed frees the model too
    await expect(train(model, batch, { epochs: 1, batchSize: 1000 })).rejects.toThrow(/batchSize/);
    expect((await train(model, batch, { epochs: 1, batchSize: 16 })).epochs.length).toBe(1);
  });

  test("aborting train() cancels neither the model's other native calls nor a simulation queued behind it", async () => {
    const model = make();
    const batch = randomBatch(model, 'outputs', 256, 20, 5);
    const controller = new AbortController();
    let firstEpoch!: () => void;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    const run = train(model, batch, { epochs: 1000, batchSize: 8, signal: controller.signal, onProgress: () => firstEpoch() });
    await started;
    // Another training call straight on the engine (as a second optimiser would), and a simulation, both queued on
    // the model while train() runs its next epoch; then train() is aborted.
    const data = model.prepareBatch(batch, 'outputs');
    const steps = 64;
    const other = model.handle.trainSteps(data.inputs, data.targets, data.mask, Int32Array.from({ length: steps * 8 }, (_, i) => i % 256), {
      examples: 256, steps: 20, lossOn: 'outputs', batch: 8, optimizerSteps: steps, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0,
      weightDecay: Object.fromEntries(model.paramNames.map((p) => [p, 0])), seed: 1, drawNoise: true,
    });
    const simulation = model.simulate(batch.inputs, { states: false });
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const result = await other.promise;
    expect(result.aborted).toBe(false);
    expect(result.steps).toBe(steps);
    expect((await simulation).outputs!.shape).toEqual([256, 20, 1]);
  });
});
