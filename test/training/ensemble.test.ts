// trainEnsemble: each member bit for bit what train() gives it alone, divergence and keep-best per member, one abort
// for the call, and bad input rejected before any work. Members without held-out trials run several epochs per engine
// call (the engine doing train()'s bookkeeping between them): schedules, early stopping, keep-best off, checkpoint
// boundaries, divergence and abort inside such a call are checked against train() alone.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, tasks, train, trainEnsemble, type AnyModel, type EpochReport, type TrainOptions } from '../../ts/index.js';
import { loadResult } from '../../ts/results/index.js';
import { randomBatch, sameBits } from '../support/models.js';

type Make = (seed: number) => AnyModel;

const SHAPES: [string, Make][] = [
  ['low-rank R=1 float32 (current, tanh)', (seed) => new LowRankRNN({ size: 48, rank: 1, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float32' })],
  ['low-rank R=3 float64 with biases', (seed) => new LowRankRNN({ size: 30, rank: 3, inputs: 3, outputs: 2, noise: 0.05, seed, dtype: 'float64', biases: true })],
  ['full-rank float32', (seed) => new FullRankRNN({ size: 24, inputs: 2, outputs: 2, noise: 0.05, seed, dtype: 'float32' })],
  ['full-rank float64, rate formulation, relu', (seed) => new FullRankRNN({ size: 20, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float64', formulation: 'rate', activation: 'relu' })],
];

/** What train() gives each member alone, from fresh copies. */
async function alone(make: Make, seeds: number[], data: (m: AnyModel, i: number) => Parameters<typeof train>[1], opts: (i: number) => TrainOptions) {
  const out = [];
  for (const [i, seed] of seeds.entries()) {
    const model = make(seed);
    const result = await train(model, data(model, i), opts(i));
    out.push({ params: model.flatParams(), result });
  }
  return out;
}

describe('trainEnsemble: each member is train() alone, bit for bit', () => {
  test.each(SHAPES)('%s: per-member datasets, seeds, learning rates and epochs', async (_name, make) => {
    const seeds = [3, 4, 5, 6, 7];
    const models = seeds.map(make);
    const datasets = models.map((m, i) => randomBatch(m, 'outputs', 24, 9, 100 + i));
    const member = (i: number): TrainOptions => ({ seed: 10 + i, lr: 0.005 * (i + 1), epochs: 2 + (i % 3) });
    const shared = { batchSize: 8, clip: 0.5 };
    const results = await trainEnsemble(models, datasets, { ...shared, members: seeds.map((_, i) => member(i)), threads: 2 });
    const expected = await alone(make, seeds, (_m, i) => datasets[i], (i) => ({ ...shared, ...member(i) }));
    for (const [i, m] of models.entries()) {
      expect(sameBits(m.flatParams(), expected[i].params)).toBe(true);
      expect(results[i].epochs.map((e) => e.loss)).toEqual(expected[i].result.epochs.map((e) => e.loss));
      expect(results[i].bestEpoch).toBe(expected[i].result.bestEpoch);
      expect(results[i].error).toBeUndefined();
    }
    // the members really differ (their own data and seeds), so the equalities above are not trivial
    expect(sameBits(models[0].flatParams(), models[1].flatParams())).toBe(false);
  });

  test('a shared task with held-out trials, validation monitoring, a plateau schedule, early stopping; any thread count', async () => {
    const make: Make = (seed) => new LowRankRNN({ size: 40, rank: 2, inputs: 1, outputs: 1, noise: 0.05, seed, dtype: 'float64' });
    const source = tasks.dm();
    const opts = (i: number): TrainOptions => ({ trials: 40, heldOut: 0.25, batchSize: 10, epochs: 4, seed: 20 + i, lr: 0.01, lrSchedule: { kind: 'plateau', patience: 1, factor: 0.5 }, earlyStop: i === 1 ? 1e9 : undefined });
    const seeds = [1, 2, 3];
    const expected = await alone(make, seeds, () => source, opts);
    for (const threads of [1, 3]) {
      const models = seeds.map(make);
      const results = await trainEnsemble(models, source, { members: seeds.map((_, i) => opts(i)), threads });
      for (const [i, m] of models.entries()) {
        expect(sameBits(m.flatParams(), expected[i].params)).toBe(true);
        expect(results[i].epochs.map((e) => [e.loss, e.validationLoss, e.lr])).toEqual(expected[i].result.epochs.map((e) => [e.loss, e.validationLoss, e.lr]));
        expect(results[i].monitor).toBe('validation');
      }
      expect(results[1].epochs.length).toBe(1); // early stop of member 1 alone
      expect(results[0].epochs.length).toBe(4);
    }
  });
});

describe('trainEnsemble: several epochs per engine call, bit for bit train()', () => {
  const make: Make = (seed) => new LowRankRNN({ size: 32, rank: 2, inputs: 2, outputs: 1, noise: 0.05, seed, dtype: 'float32' });
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-ensemble-'));

  test('step and plateau schedules, early stopping on the training loss, keep-best off, checkpoints every 3 epochs', async () => {
    const seeds = [1, 2, 3, 4, 5];
    const batch = randomBatch(make(1), 'outputs', 32, 12, 7);
    const plain = await train(make(3), batch, { epochs: 9, batchSize: 8, seed: 12, lr: 0.02 });
    const earlyStop = [...plain.epochs.map((e) => e.loss)].sort((a, b) => a - b)[4]; // reached mid-run
    const member = (i: number, path: string): TrainOptions =>
      (<TrainOptions[]>[
        { epochs: 9, lr: 0.05, lrSchedule: { kind: 'step', every: 2, factor: 0.5 } },
        { epochs: 10, lr: 0.08, lrSchedule: { kind: 'plateau', patience: 1, factor: 0.3, threshold: 0.05 } },
        { epochs: 9, lr: 0.02, earlyStop },
        { epochs: 7, lr: 0.05, keepBest: false },
        { epochs: 8, lr: 0.01, checkpoint: { path, every: 3 } },
      ])[i];
    const shared = { batchSize: 8 };
    // each run's epoch-3 checkpoint is copied as train() or the ensemble reports epoch 3 (it is written just before)
    const keepEpoch3 = (path: string) => (r: EpochReport) => r.epoch === 3 && copyFileSync(path, `${path}.epoch3`);
    const alonePath = join(dir, 'alone.npz');
    const expected = await alone(make, seeds, () => batch, (i) => ({ ...shared, seed: 10 + i, ...member(i, alonePath), onProgress: i === 4 ? keepEpoch3(alonePath) : undefined }));
    const models = seeds.map(make);
    const ensemblePath = join(dir, 'ensemble.npz');
    const progress: [number, number][] = [];
    const results = await trainEnsemble(models, batch, {
      ...shared,
      members: seeds.map((_, i) => ({ seed: 10 + i, ...member(i, ensemblePath) })),
      onProgress: (i, r) => {
        progress.push([i, r.epoch]);
        if (i === 4) keepEpoch3(ensemblePath)(r);
      },
    });
    for (const [i, m] of models.entries()) {
      expect(sameBits(m.flatParams(), expected[i].params), `member ${i}`).toBe(true);
      const fields = (e: EpochReport) => [e.epoch, e.loss, e.lr, e.best];
      expect(results[i].epochs.map(fields)).toEqual(expected[i].result.epochs.map(fields));
      expect([results[i].bestEpoch, results[i].bestLoss]).toEqual([expected[i].result.bestEpoch, expected[i].result.bestLoss]);
      expect(progress.filter(([j]) => j === i).map(([, e]) => e)).toEqual(results[i].epochs.map((e) => e.epoch));
    }
    // the schedules acted and early stopping stopped (so the equalities above test them)
    expect(new Set(results[0].epochs.map((e) => e.lr)).size).toBeGreaterThan(3);
    expect(new Set(results[1].epochs.map((e) => e.lr)).size).toBeGreaterThan(1);
    expect(results[2].epochs.length).toBeLessThan(9);
    expect(results[3].bestEpoch).not.toBe(7);
    // the epoch-3 checkpoints hold the same state, parameters and Adam moments
    const [a, b] = await Promise.all([loadResult(`${ensemblePath}.epoch3`, 'checkpoint'), loadResult(`${alonePath}.epoch3`, 'checkpoint')]);
    expect([a.meta!.epoch, a.meta!.bestEpoch, a.meta!.bestLoss]).toEqual([3, b.meta!.bestEpoch, b.meta!.bestLoss]);
    expect(Object.keys(a.arrays).sort()).toEqual(Object.keys(b.arrays).sort());
    for (const key of Object.keys(a.arrays)) expect(sameBits(a.arrays[key].data as Float32Array, b.arrays[key].data as Float32Array), key).toBe(true);
  });

  test('a member that diverges in a later epoch: the epochs before are recorded and reported, then train()’s error', async () => {
    // linear units chasing targets 1000 times too large with a large learning rate: member 1's weights grow until its
    // loss overflows after several good epochs, inside an engine call of several; member 0 is tame
    const makeLinear = (seed: number) => new FullRankRNN({ size: 16, inputs: 2, outputs: 1, seed, activation: 'linear', rho: 0.9 });
    const batch = randomBatch(makeLinear(1), 'outputs', 16, 60, 3);
    const huge = { ...batch, targets: { ...batch.targets, data: batch.targets.data.map((x) => 1000 * x) } };
    const opts = (i: number): TrainOptions => ({ epochs: 14, batchSize: 8, seed: 4, lr: i === 1 ? 0.5 : 1e-3 });
    const reports: EpochReport[] = [];
    const lone = makeLinear(2);
    const loneError = (await train(lone, huge, { ...opts(1), onProgress: (r) => reports.push(r) }).catch((e: Error) => e)) as Error;
    expect(loneError.message).toMatch(/diverged in epoch ([3-9]|1[0-3]):.*not finite/);
    const models = [makeLinear(1), makeLinear(2)];
    const seen: EpochReport[] = [];
    const results = await trainEnsemble(models, [batch, huge], { members: [opts(0), opts(1)], onProgress: (i, r) => i === 1 && seen.push(r) });
    expect(results[1].error?.message).toBe(loneError.message);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.map((r) => [r.epoch, r.loss, r.lr, r.best])).toEqual(reports.map((r) => [r.epoch, r.loss, r.lr, r.best]));
    expect(sameBits(models[1].flatParams(), lone.flatParams())).toBe(true);
    expect(results[0].epochs.length).toBe(14);
  });
});

describe('trainEnsemble: per member divergence, progress, one abort', () => {
  test('a diverging member stops alone with train()’s error and its best parameters; the others go on', async () => {
    // member 1 explodes (linear units, rho 3, 200 steps: its second minibatch's loss is not finite); the others are tame
    const make = (seed: number) => new FullRankRNN({ size: 16, inputs: 2, outputs: 1, seed, activation: 'linear', rho: seed === 2 ? 3 : 0.5 });
    const models = [make(1), make(2), make(3)];
    const batch = randomBatch(models[0], 'outputs', 16, 200, 1);
    const lrs = [1e-3, 100, 1e-3];
    const reports: [number, number][] = [];
    const results = await trainEnsemble(models, batch, {
      epochs: 6,
      batchSize: 8,
      seed: 1,
      members: lrs.map((lr) => ({ lr })),
      onProgress: (member, r) => reports.push([member, r.epoch]),
    });
    const lone = make(2);
    const loneError = await train(lone, batch, { epochs: 6, batchSize: 8, seed: 1, lr: 100 }).catch((e: Error) => e);
    expect(loneError).toBeInstanceOf(Error);
    expect(results[1].error?.message).toBe((loneError as Error).message);
    expect(results[1].error?.message).toMatch(/diverged in epoch 1.*not finite/);
    expect(sameBits(models[1].flatParams(), lone.flatParams())).toBe(true);
    expect(results[0].epochs.length).toBe(6);
    expect(results[2].epochs.length).toBe(6);
    expect(results[0].error).toBeUndefined();
    expect(reports.filter(([m]) => m === 0).map(([, e]) => e)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reports.some(([m]) => m === 1)).toBe(false);
  });

  test('one abort stops every member (best parameters kept, results so far); a train() on another model runs on', async () => {
    const make = (seed: number) => new LowRankRNN({ size: 64, rank: 1, inputs: 2, outputs: 1, noise: 0.02, seed });
    const models = [make(1), make(2)];
    const other = make(3);
    const batch = randomBatch(models[0], 'outputs', 128, 20, 5);
    const controller = new AbortController();
    let firstEpoch!: () => void;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    const run = trainEnsemble(models, batch, { epochs: 10000, batchSize: 8, signal: controller.signal, onProgress: () => firstEpoch() });
    const lone = train(other, batch, { epochs: 3, batchSize: 8 });
    await started;
    controller.abort();
    const err = (await run.catch((e: unknown) => e)) as Error & { results: { aborted: boolean; epochs: unknown[]; bestEpoch: number }[] };
    expect(err.name).toBe('AbortError');
    expect(err.results).toHaveLength(2);
    for (const r of err.results) expect(r.aborted).toBe(true);
    expect((await lone).epochs.length).toBe(3);
    // the epochs each member completed before the abort are train()'s first epochs
    for (const [i, r] of err.results.entries()) {
      const run = r as unknown as { epochs: EpochReport[] };
      expect(run.epochs.length).toBeGreaterThan(0);
      const first = await train(make(i + 1), batch, { epochs: run.epochs.length, batchSize: 8 });
      expect(run.epochs.map((e) => e.loss)).toEqual(first.epochs.map((e) => e.loss));
    }
    // the models are free again
    expect((await trainEnsemble(models, batch, { epochs: 1, batchSize: 8 })).length).toBe(2);
  });
});

describe('trainEnsemble: bad input before any work', () => {
  const make = (seed: number, size = 16) => new LowRankRNN({ size, rank: 1, inputs: 2, outputs: 1, seed });
  const models = [make(1), make(2)];
  const batch = randomBatch(models[0], 'outputs', 16, 5, 1);

  test('empty list, different shapes, a model twice, wrong counts, bad options', async () => {
    const before = models.map((m) => m.flatParams());
    await expect(trainEnsemble([], batch)).rejects.toThrow("trainEnsemble: argument 'models' must be a non-empty array of models; got []");
    await expect(trainEnsemble([models[0], make(3, 20)], batch)).rejects.toThrow(/must share one shape; models\[0\] is .*"size":16.*models\[1\] is .*"size":20/);
    await expect(trainEnsemble([models[0], new LowRankRNN({ size: 16, rank: 1, inputs: 2, outputs: 1, dtype: 'float64' })], batch)).rejects.toThrow(/must share one shape.*float64/);
    await expect(trainEnsemble([models[0], new FullRankRNN({ size: 16, inputs: 2, outputs: 1 })], batch)).rejects.toThrow(/must share one shape/);
    await expect(trainEnsemble([models[0], models[1], models[0]], batch)).rejects.toThrow("trainEnsemble: argument 'models' must hold distinct models; models[0] appears twice");
    await expect(trainEnsemble(models, [batch, batch, batch])).rejects.toThrow("trainEnsemble: argument 'source' must be 2; got 3");
    await expect(trainEnsemble(models, batch, { members: [{}] })).rejects.toThrow("trainEnsemble: option 'members' must be an array of 2 option objects (one per model); got '1 entries'");
    await expect(trainEnsemble(models, batch, { batchSize: 8, members: [{}, { lr: -1 }] })).rejects.toThrow("trainEnsemble: member 1: option 'lr' must be a finite number > 0; got -1");
    await expect(trainEnsemble(models, batch, { members: [{}, 3 as never] })).rejects.toThrow("trainEnsemble: option 'members[1]' must be an object; got 3");
    await expect(trainEnsemble(models, batch, { members: [{}, { signal: new AbortController().signal } as never] })).rejects.toThrow(/option 'members\[1\]\.signal' is the call's/);
    await expect(trainEnsemble(models, batch, { checkpoint: { path: 'x.npz' } } as never)).rejects.toThrow(/option 'checkpoint' is per member/);
    await expect(trainEnsemble(models, batch, { threads: 0 })).rejects.toThrow("trainEnsemble: option 'threads' must be an integer in [1, 1024]; got 0");
    models.forEach((m, i) => expect(sameBits(m.flatParams(), before[i])).toBe(true));
  });

  test('a member already training (train() or another ensemble) is refused at once; the running call is not disturbed', async () => {
    const running = train(models[1], batch, { epochs: 3, batchSize: 8 });
    await expect(trainEnsemble(models, batch, { batchSize: 8 })).rejects.toThrow(
      'trainEnsemble: models[1] is already being trained by another train() or trainEnsemble() call; await it or abort it first',
    );
    // the refused call claimed nothing: models[0] is free
    const ensemble = trainEnsemble([models[0]], batch, { epochs: 2, batchSize: 8 });
    await expect(train(models[0], batch, { batchSize: 8 })).rejects.toThrow('train: this model is already being trained by another train() or trainEnsemble() call');
    expect((await running).epochs.length).toBe(3);
    expect((await ensemble)[0].epochs.length).toBe(2);
  });
});
