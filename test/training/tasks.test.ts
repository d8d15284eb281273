// Short training runs on every task family prove learning end to end (engine + tasks + train()): validation
// accuracy well above chance after a few seconds. The accuracies of the full reference recipes are in docs/training.md.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, tasks, train, type AnyModel, type Task } from '../../ts/index.js';

async function accuracyAfter(model: AnyModel, task: Task, opts: Parameters<typeof train>[2]): Promise<number> {
  const r = await train(model, task, { seed: 1, ...opts });
  const held = task.sample(200, { seed: 12345 });
  const sim = await model.simulate(held.inputs, { seed: 7, states: false });
  expect(r.epochs.length).toBeGreaterThan(0);
  return task.accuracy(sim.outputs!, held);
}

const lowRank = (task: Task, size: number, rank: number, extra = {}) =>
  new LowRankRNN({ size, rank, inputs: task.inputSize, outputs: task.outputSize, noise: 0.05, seed: 2, ...extra });

describe('short training runs beat chance clearly', () => {
  test('DM, rank 1 (chance 0.5)', async () => {
    const task = tasks.dm();
    expect(await accuracyAfter(lowRank(task, 128, 1), task, { epochs: 5, lr: 5e-3 })).toBeGreaterThanOrEqual(0.95);
  });
  test('CDM, rank 1, trained input vectors (chance 0.5)', async () => {
    const task = tasks.cdm();
    const model = lowRank(task, 256, 1, { train: { wi: true } });
    expect(await accuracyAfter(model, task, { epochs: 40, lr: 1e-2, clip: 0.1 })).toBeGreaterThanOrEqual(0.85);
  });
  test('MDM, rank 1 (chance 0.5)', async () => {
    const task = tasks.mdm();
    expect(await accuracyAfter(lowRank(task, 128, 1), task, { epochs: 20, lr: 1e-2, clip: 0.1 })).toBeGreaterThanOrEqual(0.8);
  });
  test('WM, rank 2 (chance 0.5)', async () => {
    const task = tasks.wm();
    const model = lowRank(task, 128, 2, { noise: 0.005 });
    expect(await accuracyAfter(model, task, { epochs: 25, lr: 1e-2, clip: 1 })).toBeGreaterThanOrEqual(0.75);
  });
  test('K-back, rank 2 (chance 0.5)', async () => {
    const task = tasks.kback();
    expect(await accuracyAfter(lowRank(task, 128, 2), task, { epochs: 25, lr: 1e-2 })).toBeGreaterThanOrEqual(0.75);
  });
  test('perception and decision with ReLU rate networks (seed 001)', async () => {
    for (const task of [tasks.perception(), tasks.decision()]) {
      const model = lowRank(task, 64, 2, { formulation: 'rate', activation: 'relu' });
      expect(await accuracyAfter(model, task, { epochs: 30, lr: 1e-2 }), task.name).toBeGreaterThanOrEqual(0.85);
    }
  });
  test('a full-rank CDM teacher (reference many-fit settings, shortened)', async () => {
    const task = tasks.cdm();
    const model = new FullRankRNN({ size: 128, inputs: 4, outputs: 1, noise: 0.05, seed: 4, train: { wi: true, wo: true } });
    expect(await accuracyAfter(model, task, { epochs: 30, lr: 1e-3 })).toBeGreaterThanOrEqual(0.8);
  });
});
