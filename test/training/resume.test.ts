// Checkpoints, resume (in process and after killing a child process) and learning-rate schedules.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LowRankRNN, loadModel, tasks, train } from '../../ts/index.js';
import { saveNpz } from '../../ts/io/index.js';
import { loadResult } from '../../ts/results/index.js';
import { randomBatch } from '../support/models.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-resume-'));
const make = () => new LowRankRNN({ size: 48, rank: 2, inputs: 1, outputs: 1, noise: 0.05, seed: 3 });

describe('checkpoints and resume', () => {
  test('a run resumed from its epoch-3 checkpoint ends bit-identical to an uninterrupted run', async () => {
    const task = tasks.dm({ seed: 1 });
    const opts = { epochs: 6, lr: 5e-3, batchSize: 16, trials: 160, seed: 9, clip: 0.5 };
    const whole = make();
    const a = await train(whole, task, { ...opts, checkpoint: { path: join(dir, 'whole.npz'), every: 2 } });
    const first = make();
    await train(first, task, { ...opts, epochs: 3, checkpoint: { path: join(dir, 'part.npz') } });
    const resumed = make(); // fresh weights: everything must come from the checkpoint
    const b = await train(resumed, task, { ...opts, checkpoint: { path: join(dir, 'part.npz') }, resume: true });
    expect(b.epochs.map((e) => e.loss)).toEqual(a.epochs.map((e) => e.loss));
    expect(Array.from(resumed.flatParams())).toEqual(Array.from(whole.flatParams()));
    // the checkpoint is also a model file
    const fromCheckpoint = await loadModel(join(dir, 'whole.npz'));
    expect(fromCheckpoint.config.rank).toBe(2);
  });

  test("a checkpoint is a 'checkpoint' result: the run's state in meta, the model's arrays, the optimizer's", async () => {
    const batch = randomBatch(make(), 'outputs', 64, 10, 1);
    const path = join(dir, 'format.npz');
    const model = make();
    const r = await train(model, batch, { epochs: 2, batchSize: 16, checkpoint: { path } });
    const { meta, arrays } = await loadResult(path, 'checkpoint');
    expect(meta).toMatchObject({ kind: 'checkpoint', checkpointVersion: 2, epoch: 2, bestEpoch: r.bestEpoch, bestLoss: r.bestLoss });
    expect((meta!.signature as { monitor: string }).monitor).toBe('training');
    expect((meta!.reports as unknown[]).length).toBe(2);
    expect(Object.keys(arrays).sort()).toEqual([...model.paramNames, 'bestParams', 'config', 'optimizer.m', 'optimizer.v'].sort());
    expect(arrays['optimizer.m'].shape).toEqual([model.flatParams().length]);
    expect(Array.from((await loadModel(path)).flatParams())).toEqual(Array.from(model.flatParams()));
  });

  test('a checkpoint of an earlier version (state in a `training` entry) is refused with the reason', async () => {
    const path = join(dir, 'old.npz');
    const model = make();
    await saveNpz(path, { ...model.params(), config: JSON.stringify(model.config), training: JSON.stringify({ version: 1 }) });
    const batch = randomBatch(make(), 'outputs', 64, 10, 1);
    await expect(train(make(), batch, { epochs: 2, resume: path })).rejects.toThrow(/written by an earlier version of lowrank-rnn.*loads as a model/);
  });

  test('resuming with different options is refused with the difference named', async () => {
    const batch = randomBatch(make(), 'outputs', 64, 10, 1);
    const path = join(dir, 'sig.npz');
    await train(make(), batch, { epochs: 1, batchSize: 16, checkpoint: { path } });
    await expect(train(make(), batch, { epochs: 2, batchSize: 32, resume: path })).rejects.toThrow(/batchSize was 16, now 32/);
    await expect(train(make(), batch, { epochs: 2, resume: join(dir, 'missing.npz') })).rejects.toThrow(/does not exist/);
  });

  const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
  test.skipIf(!existsSync(cli))('a killed CLI run resumes to the same model (needs npm run build:ts)', async () => {
    const args = ['train', '--task', 'dm', '--size', '64', '--epochs', '8', '--examples', '320', '--lr', '5e-3', '--json', '--seed', '2'];
    const reference = join(dir, 'reference.npz');
    expect(spawnSync(process.execPath, [cli, ...args, '--out', reference]).status).toBe(0);

    const ck = join(dir, 'cli-checkpoint.npz');
    const child = spawn(process.execPath, [cli, ...args, '--checkpoint', ck]);
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout.on('data', (chunk) => {
        seen += chunk;
        if (seen.includes('"epoch":3')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    expect(existsSync(ck)).toBe(true);
    const out = join(dir, 'resumed.npz');
    const r = spawnSync(process.execPath, [cli, ...args, '--checkpoint', ck, '--resume', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [x, y] = [await loadModel(reference), await loadModel(out)];
    expect(Array.from(y.flatParams())).toEqual(Array.from(x.flatParams()));
  });
});

describe('learning-rate schedules', () => {
  const batch = randomBatch(make(), 'outputs', 64, 10, 1);
  test('step: multiplied by the factor every `every` epochs', async () => {
    const r = await train(make(), batch, { epochs: 5, lr: 0.01, batchSize: 16, lrSchedule: { kind: 'step', every: 2, factor: 0.5 } });
    expect(r.epochs.map((e) => e.lr)).toEqual([0.01, 0.01, 0.005, 0.005, 0.0025]);
  });
  test('plateau: reduced after `patience` epochs without improvement, not below minLr', async () => {
    // a learning rate this small cannot improve the loss by half (the relative threshold)
    const r = await train(make(), batch, {
      epochs: 6, lr: 1e-9, batchSize: 16, drawNoise: false,
      lrSchedule: { kind: 'plateau', patience: 2, factor: 0.1, threshold: 0.5, minLr: 1e-11 },
    });
    const expected = [1e-9, 1e-9, 1e-10, 1e-10, 1e-11, 1e-11];
    r.epochs.forEach((e, i) => expect(e.lr / expected[i]).toBeCloseTo(1, 12));
  });
  test('bad schedules name the field', async () => {
    await expect(train(make(), batch, { lrSchedule: { kind: 'step', every: 0, factor: 0.5 } })).rejects.toThrow(/lrSchedule.every/);
    await expect(train(make(), batch, { lrSchedule: { kind: 'plateau', patience: 2, factor: 2 } })).rejects.toThrow(/lrSchedule.factor/);
  });
});

describe('curriculum', () => {
  test('the hook swaps the task at the epoch it names; a resumed run follows the same stages', async () => {
    const dms = tasks.dms();
    const short = dms.withMaxDelay(700);
    const seen: number[] = [];
    const curriculum = (epoch: number) => {
      const stage = epoch <= 2 ? short : dms;
      seen.push(stage.steps);
      return stage;
    };
    const makeDms = () => new LowRankRNN({ size: 32, rank: 2, inputs: 2, outputs: 1, noise: 0.05, seed: 3 });
    const opts = { epochs: 4, lr: 1e-2, trials: 64, batchSize: 16, seed: 4, curriculum };
    const whole = makeDms();
    await train(whole, dms, opts);
    expect(seen).toEqual([short.steps, short.steps, dms.steps, dms.steps]);
    expect(short.steps).toBeLessThan(dms.steps);
    const path = join(dir, 'curriculum.npz');
    await train(makeDms(), dms, { ...opts, epochs: 3, checkpoint: { path } });
    const resumed = makeDms();
    await train(resumed, dms, { ...opts, checkpoint: { path }, resume: true });
    expect(Array.from(resumed.flatParams())).toEqual(Array.from(whole.flatParams()));
    await expect(train(makeDms(), randomBatch(makeDms(), 'outputs', 32, 10, 1), { curriculum })).rejects.toThrow(/^train: option 'curriculum' does not apply here: a curriculum needs a task, not a dataset$/);
  });
});
