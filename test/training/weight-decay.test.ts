// L2 weight decay (PyTorch Adam's weight_decay, added after global-norm clipping) against a closed-form single step,
// a hand-written two-step Adam with per-parameter decays, the CUDA kernels (emulated, and on a device when present)
// and PyTorch's own Adam run side by side.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, train, type AnyModel, type LossBatch, type ParamName } from '../../ts/index.js';
import { loadNpz, saveNpz, toFloatTensor } from '../../ts/io/index.js';
import { native } from '../../ts/native/load.js';
import { gpuTargets } from '../support/gpu.js';
import { perturbAll, randomBatch } from '../support/models.js';

/** Per-entry masks of the model's flat parameters: trained or not, and each entry's decay. */
function perEntry(model: AnyModel, decay: Partial<Record<ParamName, number>>) {
  const p = model.flatParams().length;
  const trained = new Float64Array(p), wd = new Float64Array(p);
  for (const seg of model.handle.layout()) {
    const count = seg.shape.reduce((a, b) => a * b, 1);
    if (model.config.train[seg.name]) trained.fill(1, seg.offset, seg.offset + count);
    wd.fill(decay[seg.name] ?? 0, seg.offset, seg.offset + count);
  }
  return { trained, wd };
}

async function flatGradient(model: AnyModel, batch: LossBatch): Promise<Float64Array> {
  const { grads } = await model.gradients(batch, { drawNoise: false });
  const g = new Float64Array(model.flatParams().length);
  for (const seg of model.handle.layout()) g.set(grads[seg.name].data, seg.offset);
  return g;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return d;
}

const make = () =>
  new LowRankRNN({ size: 16, rank: 2, inputs: 2, outputs: 1, seed: 3, dtype: 'float64', biases: true, train: { wi: true, h0: true, b: true } });

describe('weight decay', () => {
  test('one step: p - lr g\'/(|g\'| + eps) with g\' = clipped gradient + decay p (closed form)', async () => {
    const model = make();
    perturbAll(model, 4);
    const batch = randomBatch(model, 'outputs', 8, 6, 1);
    const p0 = Float64Array.from(model.flatParams());
    const g = await flatGradient(model, batch);
    const { trained } = perEntry(model, {});
    for (let i = 0; i < g.length; i++) g[i] *= trained[i];
    const norm = Math.hypot(...g);
    const lr = 0.01, eps = 1e-3, clip = norm / 4, wd = 2;
    const expected = (decay: number) =>
      p0.map((p, i) => {
        if (!trained[i]) return p;
        const gi = (g[i] * clip) / (norm + 1e-6) + decay * p;
        return p - (lr * gi) / (Math.abs(gi) + eps);
      });
    await train(model, batch, { epochs: 1, batchSize: 8, lr, eps, clip, weightDecay: wd, drawNoise: false, keepBest: false });
    expect(maxRelDiff(model.flatParams(), expected(wd))).toBeLessThan(1e-12);
    expect(maxRelDiff(expected(wd), expected(0))).toBeGreaterThan(1e-3); // the decay changed the step
  });

  test('two steps with per-parameter decays equal a hand-written Adam; undecayed and frozen parameters as without', async () => {
    const model = make();
    const mirror = make();
    const batch = randomBatch(model, 'outputs', 8, 6, 2);
    const decay = { m: 0.5, wi: 3, b: 1 };
    const lr = 0.02, b1 = 0.9, b2 = 0.999, eps = 1e-8, clip = 0.05;
    await train(model, batch, { epochs: 2, batchSize: 8, lr, clip, weightDecay: decay, drawNoise: false, keepBest: false });
    const { trained, wd } = perEntry(mirror, decay);
    const p = Float64Array.from(mirror.flatParams());
    const m1 = new Float64Array(p.length), v1 = new Float64Array(p.length);
    for (let step = 1; step <= 2; step++) {
      mirror.setFlatParams(p);
      const g = await flatGradient(mirror, batch);
      for (let i = 0; i < g.length; i++) g[i] *= trained[i];
      const norm = Math.hypot(...g);
      const scale = norm > clip ? clip / (norm + 1e-6) : 1;
      for (let i = 0; i < g.length; i++) {
        if (!trained[i]) continue;
        const gi = g[i] * scale + wd[i] * p[i];
        m1[i] = b1 * m1[i] + (1 - b1) * gi;
        v1[i] = b2 * v1[i] + (1 - b2) * gi * gi;
        p[i] -= (lr / (1 - b1 ** step)) * (m1[i] / (Math.sqrt(v1[i]) / Math.sqrt(1 - b2 ** step) + eps));
      }
    }
    expect(maxRelDiff(model.flatParams(), p)).toBeLessThan(1e-12);
  });
});

// The CUDA kernels against the CPU backend, with decays on every trained parameter (the full-rank net with Dale's
// law, a mask and no autapses decays wrec under its constraints).
for (const { target, skip } of gpuTargets('weight decay')) {
  describe.skipIf(skip)(`weight decay on '${target}' equals the CPU's`, () => {
    const nets: [string, () => AnyModel][] = [
      ['low-rank', () => new LowRankRNN({ size: 19, rank: 2, inputs: 2, outputs: 2, noise: 0.1, seed: 2, dtype: 'float64', biases: true, train: { wi: true, wo: true, h0: true, b: true } })],
      ['full-rank, Dale, mask, no autapses', () => {
        const N = 18;
        const mask = new Uint8Array(N * N).map((_, i) => (i % 5 === 0 ? 0 : 1));
        return new FullRankRNN({ size: N, inputs: 2, outputs: 1, noise: 0.1, seed: 3, dtype: 'float64', dale: { excitatory: 0.75 }, mask, noAutapse: true, train: { wi: true, wo: true } });
      }],
    ];
    for (const [name, makeNet] of nets) {
      test(name, async () => {
        const model = makeNet();
        perturbAll(model, 5);
        const { binding } = native(target === 'cuda' ? 'cuda' : 'cpu');
        const gpu = new binding.NativeModel(model.nativeSpec, { dtype: 'float64', device: target, threads: 1 });
        gpu.setParams(model.handle.getParams());
        const D = 7, B = 3, T = 8, steps = 4;
        const data = randomBatch(model, 'outputs', D, T, 31);
        const indices = Int32Array.from({ length: B * steps }, (_, i) => (i * 5 + 2) % D);
        const weightDecay = Object.fromEntries(model.paramNames.map((p, k) => [p, 0.1 * (k + 1)]));
        const opts = { examples: D, steps: T, lossOn: 'outputs' as const, batch: B, optimizerSteps: steps, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0.05, weightDecay, seed: 4, drawNoise: true };
        const args = [Float64Array.from(data.inputs.data), Float64Array.from(data.targets.data), Float64Array.from(data.mask!.data), indices] as const;
        const before = Float64Array.from(model.handle.getParams());
        await model.handle.trainSteps(...args, opts).promise;
        await gpu.trainSteps(...args, opts).promise;
        expect(maxRelDiff(gpu.getParams(), model.handle.getParams())).toBeLessThan(1e-9);
        // and the decay mattered: the same steps without it end elsewhere
        const undecayed = new binding.NativeModel(model.nativeSpec, { dtype: 'float64', device: target, threads: 1 });
        undecayed.setParams(before);
        await undecayed.trainSteps(...args, { ...opts, weightDecay: Object.fromEntries(model.paramNames.map((p) => [p, 0])) }).promise;
        expect(maxRelDiff(undecayed.getParams(), model.handle.getParams())).toBeGreaterThan(1e-4);
        for (const h of [gpu, undecayed]) h.dispose();
      });
    }
  });
}

describe('trainSteps takes every Adam option from its caller (no defaults of its own)', () => {
  test('a missing option is a TypeError naming it', async () => {
    const model = make();
    const data = randomBatch(model, 'outputs', 4, 5, 1);
    const full = { examples: 4, steps: 5, lossOn: 'outputs' as const, batch: 2, optimizerSteps: 1, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0, weightDecay: Object.fromEntries(model.paramNames.map((p) => [p, 0])), seed: 1, drawNoise: false };
    const args = [Float64Array.from(data.inputs.data), Float64Array.from(data.targets.data), Float64Array.from(data.mask!.data), Int32Array.of(0, 1)] as const;
    for (const key of ['lr', 'beta1', 'beta2', 'eps', 'clip', 'weightDecay', 'seed', 'drawNoise'] as const) {
      const { [key]: _, ...partial } = full;
      expect(() => model.handle.trainSteps(...args, partial as typeof full), key).toThrow(new RegExp(`option '${key}' is required`));
    }
    const { h0: _h0, ...decays } = full.weightDecay;
    expect(() => model.handle.trainSteps(...args, { ...full, weightDecay: decays })).toThrow(/trainSteps: option 'weightDecay.h0' must be a finite number >= 0/);
  });
});

const hasTorch = spawnSync('python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasTorch)("PyTorch's Adam(weight_decay) side by side (float64, full-batch steps, clipping)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-decay-'));
  const cases: [string, () => AnyModel, Partial<Record<ParamName, number>>][] = [
    ['low-rank, decays on m, n and wi', make, { m: 0.3, n: 0.1, wi: 2 }],
    ['full-rank, rate formulation, relu', () => new FullRankRNN({ size: 12, inputs: 2, outputs: 1, seed: 5, dtype: 'float64', formulation: 'rate', activation: 'relu', biases: true, train: { wi: true, wo: true, b: true } }), { wrec: 0.2, wo: 1, b: 0.5 }],
  ];
  for (const [name, makeNet, decay] of cases) {
    test(name, async () => {
      const model = makeNet();
      perturbAll(model, 6);
      const batch = randomBatch(model, 'outputs', 8, 7, 3);
      const settings = { steps: 3, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-6, clip: 0.1 };
      const src = join(dir, `${name.replace(/\W+/g, '-')}-in.npz`), dst = src.replace('-in', '-out');
      await saveNpz(src, {
        ...model.params(),
        inputs: batch.inputs,
        targets: batch.targets,
        mask: batch.mask!,
        config: JSON.stringify({ ...model.config, lossOn: 'outputs', ...settings, weightDecay: Object.fromEntries(model.paramNames.map((p) => [p, decay[p] ?? 0])) }),
      });
      const { steps, ...adam } = settings;
      await train(model, batch, { ...adam, epochs: steps, batchSize: 8, weightDecay: decay, drawNoise: false, keepBest: false });
      const r = spawnSync('python3', [join(import.meta.dirname, '..', 'support', 'torch_adam.py'), src, dst], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const ref = await loadNpz(dst);
      for (const p of model.paramNames) {
        expect(maxRelDiff(model.param(p).data, toFloatTensor(ref[p], p).data), p).toBeLessThan(1e-10);
      }
    });
  }
});

if (!hasTorch) test.skip("PyTorch's Adam(weight_decay): python3 with torch and numpy is not installed (pip install torch numpy)", () => {});
