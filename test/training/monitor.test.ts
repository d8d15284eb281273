// Keep-best and early stopping follow the held-out trials' loss when there are any (`monitor` chooses); that loss is
// evaluated on one fixed noise draw, the same every epoch.
import { describe, expect, test } from 'vitest';
import { LowRankRNN, train, type Dataset, type Tensor } from '../../ts/index.js';
import { STREAMS, streamSeed } from '../../ts/core/random.js';
import { randomBatch } from '../support/models.js';

const make = () => new LowRankRNN({ size: 32, rank: 1, inputs: 2, outputs: 1, seed: 7, noise: 0.05, dtype: 'float64' });

/**
 * 48 training trials with target 0.5, then 16 held-out trials that repeat the first 16 with target -1.5: fitting the
 * training targets drives the held-out loss up, so the best held-out epoch is the initial parameters, while the
 * training loss falls.
 */
function opposedTrials(): { data: Dataset; training: Dataset; validation: Dataset } {
  const base = randomBatch(make(), 'outputs', 48, 12, 5);
  base.targets.data.fill(0.5);
  const rows = (t: Tensor, n: number, scale = 1) => {
    const per = t.shape[1] * t.shape[2];
    return Float64Array.from(t.data.subarray(0, n * per), (x) => x * scale);
  };
  const join = (t: Tensor, scale: number): Tensor => {
    const out = new Float64Array(t.data.length + (t.data.length / 3));
    out.set(t.data);
    out.set(rows(t, 16, scale), t.data.length);
    return { data: out, shape: [64, t.shape[1], t.shape[2]] };
  };
  const data = { inputs: join(base.inputs, 1), targets: join(base.targets, -3), mask: join(base.mask!, 1) };
  const cut = (t: Tensor): Tensor => ({ data: t.data.slice((48 * t.data.length) / 64), shape: [16, t.shape[1], t.shape[2]] });
  return { data, training: base, validation: { inputs: cut(data.inputs), targets: cut(data.targets), mask: cut(data.mask) } };
}

const options = { epochs: 6, batchSize: 16, lr: 0.02, seed: 3, heldOut: 0.25 };

describe('monitor', () => {
  test('keep-best follows the validation loss by default when trials are held out', async () => {
    const { data, validation } = opposedTrials();
    const model = make();
    const seed = streamSeed(options.seed, STREAMS.validationNoise);
    const initialValidation = await model.loss(validation, { seed });
    const r = await train(model, data, options);
    expect(r.monitor).toBe('validation');
    expect(r.epochs.every((e) => e.monitor === 'validation')).toBe(true);
    const validationLosses = [initialValidation, ...r.epochs.map((e) => e.validationLoss!)];
    const trainingLosses = r.epochs.map((e) => e.loss);
    expect(r.bestLoss).toBe(Math.min(...validationLosses));
    expect(r.bestEpoch).toBe(validationLosses.indexOf(r.bestLoss));
    // the epoch with the lowest training loss is another one: keep-best did not follow it
    expect(trainingLosses.indexOf(Math.min(...trainingLosses)) + 1).not.toBe(r.bestEpoch);
    expect(r.epochs.map((e) => e.best)).toEqual(r.epochs.map((e) => e.validationLoss! < Math.min(...validationLosses.slice(0, e.epoch))));
    // the model holds that epoch's parameters
    expect(await model.loss(validation, { seed })).toBe(r.bestLoss);
  });

  test("monitor: 'training' keeps the epoch with the lowest training loss instead", async () => {
    const { data } = opposedTrials();
    const model = make();
    const r = await train(model, data, { ...options, monitor: 'training' });
    const losses = r.epochs.map((e) => e.loss);
    expect(r.monitor).toBe('training');
    expect(r.bestEpoch).toBeGreaterThan(0);
    expect(r.bestLoss).toBe(Math.min(...losses));
    expect(r.bestEpoch).toBe(losses.indexOf(r.bestLoss) + 1);
  });

  test('early stopping follows the monitored loss', async () => {
    const { data, training } = opposedTrials();
    const before = await make().loss(training, { drawNoise: false });
    // every epoch's training loss is below the threshold, every held-out loss (target -1.5 for 0.5) above it
    const earlyStop = 3 * before;
    const byValidation = await train(make(), data, { ...options, earlyStop });
    expect(byValidation.epochs.length).toBe(options.epochs);
    expect(byValidation.epochs.every((e) => e.loss < earlyStop && e.validationLoss! > earlyStop)).toBe(true);
    const byTraining = await train(make(), data, { ...options, earlyStop, monitor: 'training' });
    expect(byTraining.epochs.length).toBe(1);
  });

  test('the validation loss is evaluated on one fixed noise draw, the same every epoch', async () => {
    const { data, validation } = opposedTrials();
    const model = make();
    const seed = streamSeed(options.seed, STREAMS.validationNoise);
    const reports: number[] = [];
    for (let run = 0; run < 2; run++) {
      const r = await train(model, data, { ...options, epochs: 1, keepBest: false, seed: options.seed });
      reports.push(r.epochs[0].validationLoss!);
      expect(r.epochs[0].validationLoss).toBe(await model.loss(validation, { seed }));
    }
    expect(reports[0]).not.toBe(reports[1]);
  });

  test("without held-out trials the training loss is monitored; monitor: 'validation' is then an error", async () => {
    const { data } = opposedTrials();
    const r = await train(make(), data, { epochs: 1, batchSize: 16 });
    expect(r.monitor).toBe('training');
    expect(r.epochs[0].validationLoss).toBeUndefined();
    await expect(train(make(), data, { epochs: 1, batchSize: 16, monitor: 'validation' })).rejects.toThrow(/option 'monitor' must be 'training' when no trials are held out/);
  });
});
