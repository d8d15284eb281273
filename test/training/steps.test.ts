// Adam with global-norm clipping against the update written out here, and the train() loop semantics.
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../../ts/index.js';
import { train } from '../../ts/training/train.js';
import { randomBatch } from '../support/models.js';

describe('Adam steps', () => {
  test('two steps equal a hand-written Adam (torch form) with clipping, frozen parameters untouched', async () => {
    const opts = { size: 16, rank: 2, inputs: 2, outputs: 1, seed: 3, dtype: 'float64' as const, train: { wi: true, h0: true } };
    const model = new LowRankRNN(opts);
    const mirror = new LowRankRNN(opts);
    const batch = randomBatch(model, 'outputs', 8, 6, 1);
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, clip = 0.05;
    await train(model, batch, { epochs: 2, batchSize: 8, lr, clip, drawNoise: false, keepBest: false, seed: 0 });

    const trainable = new Set(['m', 'n', 'wi', 'so', 'h0']); // si frozen because wi trains; wo frozen by default
    const p = Float64Array.from(mirror.flatParams());
    const m1 = new Float64Array(p.length), v1 = new Float64Array(p.length);
    const mask = new Float64Array(p.length);
    let offset = 0;
    for (const name of mirror.paramNames) {
      const len = mirror.param(name).data.length;
      if (trainable.has(name)) mask.fill(1, offset, offset + len);
      offset += len;
    }
    for (let step = 1; step <= 2; step++) {
      mirror.setFlatParams(p);
      const { grads } = await mirror.gradients(batch, { drawNoise: false });
      const g = new Float64Array(p.length);
      let o = 0;
      for (const name of mirror.paramNames) {
        g.set(grads[name].data, o);
        o += grads[name].data.length;
      }
      for (let i = 0; i < g.length; i++) g[i] *= mask[i];
      const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      const scale = norm > clip ? clip / (norm + 1e-6) : 1;
      for (let i = 0; i < g.length; i++) {
        if (!mask[i]) continue;
        const gi = g[i] * scale;
        m1[i] = b1 * m1[i] + (1 - b1) * gi;
        v1[i] = b2 * v1[i] + (1 - b2) * gi * gi;
        const denom = Math.sqrt(v1[i]) / Math.sqrt(1 - b2 ** step) + eps;
        p[i] -= (lr / (1 - b1 ** step)) * (m1[i] / denom);
      }
    }
    const got = model.flatParams();
    let maxDiff = 0;
    for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - p[i]));
    expect(maxDiff).toBeLessThan(1e-12);
    expect(Array.from(model.param('si').data)).toEqual(Array.from(mirror.param('si').data));
    expect(Array.from(model.param('wo').data)).toEqual(Array.from(mirror.param('wo').data));
  });

  test('each optimizer step trains on the dataset trials its indices name', async () => {
    const model = new LowRankRNN({ size: 16, rank: 1, inputs: 2, outputs: 1, seed: 2, dtype: 'float64' });
    const data = randomBatch(model, 'outputs', 10, 6, 3);
    const pick = (rows: number[]) => {
      const cut = (t: { data: Float32Array | Float64Array; shape: number[] }) => {
        const per = t.shape[1] * t.shape[2];
        const out = new Float64Array(rows.length * per);
        rows.forEach((r, i) => out.set(t.data.subarray(r * per, (r + 1) * per), i * per));
        return { data: out, shape: [rows.length, ...t.shape.slice(1)] };
      };
      return { inputs: cut(data.inputs), targets: cut(data.targets), mask: cut(data.mask!) };
    };
    const expected = await model.loss(pick([7, 2, 9]), { drawNoise: false });
    const noDecay = Object.fromEntries(model.paramNames.map((p) => [p, 0]));
    const run = await model.handle.trainSteps(
      Float64Array.from(data.inputs.data), Float64Array.from(data.targets.data), Float64Array.from(data.mask!.data),
      Int32Array.from([7, 2, 9]),
      { examples: 10, steps: 6, lossOn: 'outputs', batch: 3, optimizerSteps: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0, weightDecay: noDecay, seed: 0, drawNoise: false },
    ).promise;
    expect(run.losses[0]).toBeCloseTo(expected, 12);
    await expect(
      model.handle.trainSteps(
        Float64Array.from(data.inputs.data), Float64Array.from(data.targets.data), Float64Array.from(data.mask!.data),
        Int32Array.from([7, 2, 10]),
        { examples: 10, steps: 6, lossOn: 'outputs', batch: 3, optimizerSteps: 1, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0, weightDecay: noDecay, seed: 0, drawNoise: false },
      ).promise,
    ).rejects.toThrow(RangeError);
  });

  test('Dale signs, masks and no-autapse hold after training', async () => {
    const N = 20;
    const mask = new Uint8Array(N * N).map((_, i) => (i % 3 === 0 ? 0 : 1));
    const model = new FullRankRNN({ size: N, inputs: 2, outputs: 1, seed: 1, dale: { excitatory: 0.8 }, mask, noAutapse: true });
    const batch = randomBatch(model, 'outputs', 32, 10, 2);
    await train(model, batch, { epochs: 5, batchSize: 8, lr: 0.05, seed: 1 });
    const w = model.param('wrec').data;
    let violations = 0, nonzero = 0;
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) {
        const x = w[i * N + j];
        if (x !== 0) nonzero++;
        if ((j < 16 && x < 0) || (j >= 16 && x > 0) || (i === j && x !== 0) || (mask[i * N + j] === 0 && x !== 0)) violations++;
      }
    expect(violations).toBe(0);
    expect(nonzero).toBeGreaterThan(N * N * 0.3);
  });
});

describe('train()', () => {
  function problem(): { model: AnyModel; batch: ReturnType<typeof randomBatch> } {
    const model = new LowRankRNN({ size: 32, rank: 1, inputs: 2, outputs: 1, seed: 7, noise: 0.02 });
    return { model, batch: randomBatch(model, 'outputs', 64, 12, 5) };
  }

  test('reduces the loss, reports every epoch, keeps the best parameters', async () => {
    const { model, batch } = problem();
    const before = await model.loss(batch, { drawNoise: false });
    const epochs: number[] = [];
    const r = await train(model, batch, { epochs: 15, batchSize: 16, lr: 0.02, seed: 1, onProgress: (e) => epochs.push(e.epoch) });
    expect(epochs).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const after = await model.loss(batch, { drawNoise: false });
    expect(after).toBeLessThan(before * 0.8);
    expect(r.bestLoss).toBe(Math.min(...r.epochs.map((e) => e.loss), r.bestLoss));
  });

  test('early stop ends at the first epoch below the threshold', async () => {
    const { model, batch } = problem();
    const r = await train(model, batch, { epochs: 50, batchSize: 16, lr: 0.02, seed: 1, earlyStop: 10 });
    expect(r.epochs.length).toBe(1);
  });

  test('an AbortSignal stops within one batch and leaves the best parameters', async () => {
    const { model, batch } = problem();
    const controller = new AbortController();
    const run = train(model, batch, {
      epochs: 1000,
      batchSize: 16,
      lr: 0.02,
      onProgress: (e) => {
        if (e.epoch === 3) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const err = await run.catch((e) => e);
    expect(err.result.epochs.length).toBe(3);
  });

  test('an abort in the middle of an epoch stops within a minibatch, not at the end of the epoch', async () => {
    const model = new LowRankRNN({ size: 256, rank: 1, inputs: 2, outputs: 1, seed: 7, noise: 0.02 });
    const batch = randomBatch(model, 'outputs', 2048, 40, 5);
    const t0 = performance.now();
    await train(model, batch, { epochs: 1, batchSize: 8, lr: 1e-3, keepBest: false });
    const epochMs = performance.now() - t0; // 256 minibatches
    const controller = new AbortController();
    const run = train(model, batch, { epochs: 1, batchSize: 8, lr: 1e-3, signal: controller.signal });
    setTimeout(() => controller.abort(), epochMs / 4);
    const err = await run.catch((e) => e);
    const stoppedAfter = performance.now() - t0 - epochMs;
    expect(err.name).toBe('AbortError');
    expect(stoppedAfter).toBeLessThan(epochMs * 0.75);
  });

  test('a diverging run stops with an error and restores the best parameters', async () => {
    const model = new FullRankRNN({ size: 16, inputs: 2, outputs: 1, seed: 1, activation: 'linear', rho: 3 });
    const batch = randomBatch(model, 'outputs', 16, 200, 1);
    const before = model.flatParams();
    // Two minibatches per epoch: the second one's loss is not finite, so no epoch ends and the initial parameters stay
    // the best. (With one minibatch, whether epoch 1's loss, the initial parameters' with noise, beats the noiseless
    // initial loss near 1e35 is decided by rounding, which differs between builds.)
    await expect(train(model, batch, { epochs: 50, batchSize: 8, lr: 100, seed: 1 })).rejects.toThrow(/diverged in epoch 1.*not finite/);
    const after = model.flatParams();
    expect(after.every((v) => Number.isFinite(v))).toBe(true);
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  test('bad options name the option in the one message format', async () => {
    const { model, batch } = problem();
    const bad: [object, RegExp][] = [
      [{ epochs: 0 }, /^train: option 'epochs' must be an integer >= 1; got 0$/],
      [{ lr: -1 }, /^train: option 'lr' must be a finite number > 0; got -1$/],
      [{ eps: -1 }, /^train: option 'eps' must be a finite number > 0; got -1$/],
      [{ beta1: 1 }, /^train: option 'beta1' must be a finite number in \[0, 1\); got 1$/],
      [{ beta1: NaN }, /^train: option 'beta1' must be a finite number in \[0, 1\); got NaN$/],
      [{ beta2: 2 }, /^train: option 'beta2' must be a finite number in \[0, 1\); got 2$/],
      [{ heldOut: 1 }, /^train: option 'heldOut' must be a finite number in \[0, 1\); got 1$/],
      [{ weightDecay: -0.1 }, /^train: option 'weightDecay' must be a finite number >= 0 or an object of per-parameter decays; got -0.1$/],
      [{ weightDecay: { m: -1 } }, /^train: option 'weightDecay.m' must be a finite number >= 0; got -1$/],
      [{ weightDecay: { wrec: 1 } }, /^train: unknown option 'weightDecay.wrec'; valid options in 'weightDecay': m, n, /],
      [{ monitor: 'val' }, /^train: option 'monitor' must be one of 'validation', 'training'; got 'val'$/],
      [{ monitor: 'validation' }, /^train: option 'monitor' must be 'training' when no trials are held out/],
      [{ batchSize: 1000 }, /^train: option 'batchSize' must be at most the 64 training trials .*; got 1000$/],
      [{ lrSchedule: { kind: 'cosine' } }, /^train: option 'lrSchedule.kind' must be one of 'step', 'plateau'; got 'cosine'$/],
      [{ lrSchedule: { kind: 'step', every: 0, factor: 0.5 } }, /^train: option 'lrSchedule.every' must be an integer >= 1; got 0$/],
      [{ lrSchedule: { kind: 'plateau', patience: 2, factor: 2 } }, /^train: option 'lrSchedule.factor' must be a finite number in \(0, 1\]; got 2$/],
      [{ lrSchedule: { kind: 'plateau', patience: 2, factor: 0.5, treshold: 0.1 } }, /^train: unknown option 'lrSchedule.treshold'; valid options in 'lrSchedule': kind, patience, factor, threshold, minLr$/],
      [{ checkpoint: { every: 2 } }, /^train: option 'checkpoint.path' must be a non-empty string; got undefined$/],
      [{ checkpoint: { path: 'x.npz', every: 1.5 } }, /^train: option 'checkpoint.every' must be an integer >= 1; got 1.5$/],
      [{ checkpoint: { path: 'x.npz', evry: 2 } }, /^train: unknown option 'checkpoint.evry'; valid options in 'checkpoint': path, every$/],
      [{ resume: true }, /^train: option 'resume' must be a checkpoint's path when no checkpoint option is given/],
      [{ trials: 10 }, /^train: option 'trials' does not apply here: the trials are the dataset given$/],
      [{ noise: false }, /^train: unknown option 'noise'; valid options: epochs, lr, batchSize, /],
    ];
    for (const [opts, message] of bad) await expect(train(model, batch, opts as never), JSON.stringify(opts)).rejects.toThrow(message);
    const err = await train(model, batch, { lrr: 1 } as never).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toMatch(/^train: unknown option 'lrr'; valid options: epochs, lr, batchSize, clip, beta1, beta2, eps, weightDecay, keepBest, earlyStop, monitor, lossOn, heldOut, drawNoise, seed, lrSchedule, checkpoint, resume, signal, onProgress$/);
  });
});
