// The CUDA backend against the CPU backend: forward passes, losses, gradients, Adam steps and constraints over the
// engine's configurations. Runs on two targets:
//  - 'cuda-emulated': the CUDA kernels compiled for the host and run by host threads (native/cuda/simt.hpp), always;
//  - 'cuda': the real device, when this machine has one (otherwise skipped, with the reason).
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, type AnyModel, type LossOn } from '../../ts/index.js';
import type { NativeModelHandle } from '../../ts/native/binding.js';
import type { FloatArray } from '../../ts/core/tensor.js';
import { native } from '../../ts/native/load.js';
import { cudaInfo, gpuTargets, reversedThreadOrder, type GpuTarget as Target } from '../support/gpu.js';
import { perturbAll, randomBatch, sameBits } from '../support/models.js';

const targets = gpuTargets('gpu-parity');

function gpuTwin(model: AnyModel, target: Target): NativeModelHandle {
  const { binding } = native(target === 'cuda' ? 'cuda' : 'cpu');
  const handle = new binding.NativeModel(model.nativeSpec, { dtype: model.dtype, device: target, threads: 1 });
  handle.setParams(model.handle.getParams());
  return handle;
}

/** No weight decay for any parameter (trainSteps takes one decay per parameter). */
const noDecay = (model: AnyModel) => Object.fromEntries(model.paramNames.map((p) => [p, 0]));

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = b.length): number {
  let diff = 0, norm = 0;
  for (let i = from; i < to; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}


/** Per-parameter relative errors of a flat gradient against the CPU's. */
function gradientErrors(model: AnyModel, gpu: FloatArray, cpu: FloatArray): Record<string, number> {
  const out: Record<string, number> = {};
  for (const seg of model.handle.layout()) {
    const count = seg.shape.reduce((a, b) => a * b, 1);
    out[seg.name] = relativeError(gpu, cpu, seg.offset, seg.offset + count);
  }
  return out;
}

interface Config {
  name: string;
  make: (dtype: 'float32' | 'float64') => AnyModel;
  lossOn: LossOn[];
}

const configs: Config[] = [
  {
    name: 'low-rank R=2, current, tanh, biases',
    make: (dtype) => new LowRankRNN({ size: 22, rank: 2, inputs: 3, outputs: 2, noise: 0.05, seed: 1, dtype, biases: true, train: { si: true, so: true, h0: true } }),
    lossOn: ['outputs', 'rates', 'states'],
  },
  {
    name: 'low-rank R=3, no autapses, identity readout, all trained',
    make: (dtype) => new LowRankRNN({ size: 19, rank: 3, inputs: 2, outputs: 3, noise: 0.1, seed: 2, dtype, biases: true, noAutapse: true, outputActivation: 'linear', train: { wi: true, wo: true, h0: true } }),
    lossOn: ['outputs', 'rates'],
  },
  {
    name: 'low-rank R=1, rate formulation, relu',
    make: (dtype) => new LowRankRNN({ size: 24, rank: 1, inputs: 2, outputs: 1, noise: 0.05, seed: 3, dtype, biases: true, formulation: 'rate', activation: 'relu' }),
    lossOn: ['outputs', 'states'],
  },
  {
    name: 'low-rank R=2, softplus, no outputs',
    make: (dtype) => new LowRankRNN({ size: 17, rank: 2, inputs: 1, outputs: 0, noise: 0.05, seed: 4, dtype, biases: true, activation: 'softplus' }),
    lossOn: ['rates', 'states'],
  },
  {
    // float64: the walk's state (5200 values) does not fit in shared memory next to the reductions and stays in
    // device memory, forward and backward; float32: it fits
    name: 'low-rank R=2, 5200 units',
    make: (dtype) => new LowRankRNN({ size: 5200, rank: 2, inputs: 2, outputs: 1, noise: 0.05, seed: 9, dtype, biases: true, noAutapse: true }),
    lossOn: ['outputs'],
  },
  {
    name: 'full-rank, current, tanh, Dale + mask + no autapses',
    make: (dtype) =>
      new FullRankRNN({
        size: 20, inputs: 3, outputs: 2, noise: 0.05, seed: 5, dtype, biases: true, rho: 1.2, noAutapse: true,
        dale: { excitatory: 0.8 }, mask: Uint8Array.from({ length: 400 }, (_, i) => ((i * 7) % 5 === 0 ? 0 : 1)),
        train: { wi: true, h0: true },
      }),
    lossOn: ['outputs', 'rates'],
  },
  {
    name: 'full-rank, rate formulation, leaky-relu',
    make: (dtype) => new FullRankRNN({ size: 33, inputs: 2, outputs: 2, noise: 0.05, seed: 6, dtype, biases: true, rho: 0.9, formulation: 'rate', activation: 'leaky-relu' }),
    lossOn: ['outputs', 'states'],
  },
  {
    name: 'full-rank, linear, 41 units (partial tiles)',
    make: (dtype) => new FullRankRNN({ size: 41, inputs: 2, outputs: 1, noise: 0.05, seed: 7, dtype, rho: 0.8, activation: 'linear', train: { wo: true } }),
    lossOn: ['outputs'],
  },
  {
    name: 'full-rank, 70 units (64 x 64 tiles in the weight gradient)',
    make: (dtype) => new FullRankRNN({ size: 70, inputs: 2, outputs: 2, noise: 0.05, seed: 8, dtype, rho: 1.1, biases: true }),
    lossOn: ['outputs'],
  },
];

const byName = (prefix: string): Config => configs.find((c) => c.name.startsWith(prefix))!;
const lowRankBasic = byName('low-rank R=2, current');
const lowRankNoAutapse = byName('low-rank R=3, no autapses');
const fullRankConstrained = byName('full-rank, current, tanh, Dale');

// float64: both backends compute the same sums in different orders (and draw normals with different log/sin/cos), so
// agreement is to rounding; float32 adds float rounding, amplified over the steps.
const tolerance = { float64: 1e-9, float32: 1e-4 };

for (const { target, skip } of targets) {
  describe.skipIf(skip)(`CUDA backend on '${target}' matches the CPU backend`, () => {
    for (const cfg of configs) {
      for (const dtype of ['float64', 'float32'] as const) {
        test(`${cfg.name} (${dtype}): simulate, loss and every gradient`, async () => {
          const model = cfg.make(dtype);
          perturbAll(model, 11);
          const gpu = gpuTwin(model, target);
          expect(gpu.backend).toBe(target);
          expect(sameBits(gpu.getParams(), model.handle.getParams())).toBe(true);
          const tol = tolerance[dtype];
          const B = 3, T = 9;
          for (const lossOn of cfg.lossOn) {
            const batch = randomBatch(model, lossOn, B, T, 21);
            const cast = (x: FloatArray) => (dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x));
            const inputs = cast(batch.inputs.data);
            for (const noise of [false, true]) {
              const opts = { batch: B, steps: T, seed: 7, noise, stream: 0, states: true, rates: true, outputs: true };
              const a = await model.handle.simulate(inputs, null, opts);
              const b = await gpu.simulate(inputs, null, opts);
              expect(relativeError(b.states!, a.states!), 'states').toBeLessThan(tol);
              expect(relativeError(b.rates!, a.rates!), 'rates').toBeLessThan(tol);
              if (model.outputSize > 0) expect(relativeError(b.outputs!, a.outputs!), 'outputs').toBeLessThan(tol);
            }
            const lossOpts = { batch: B, steps: T, lossOn, seed: 9, noise: true, stream: 3, gradient: true };
            const targets = cast(batch.targets.data), mask = cast(batch.mask!.data);
            const cpu = await model.handle.lossAndGradient(inputs, targets, mask, null, lossOpts);
            const dev = await gpu.lossAndGradient(inputs, targets, mask, null, lossOpts);
            expect(Math.abs(dev.loss - cpu.loss) / cpu.loss, `${lossOn} loss`).toBeLessThan(tol);
            const errors = gradientErrors(model, dev.grad!, cpu.grad!);
            for (const [name, err] of Object.entries(errors)) expect(err, `${lossOn} d/d${name}`).toBeLessThan(10 * tol);
            // given initial states replace h0 (whose gradient is then zero)
            const x0 = cast(Float64Array.from({ length: B * model.size }, (_, i) => Math.sin(i)));
            const cpu0 = await model.handle.lossAndGradient(inputs, targets, mask, x0, lossOpts);
            const dev0 = await gpu.lossAndGradient(inputs, targets, mask, x0, lossOpts);
            expect(Math.abs(dev0.loss - cpu0.loss) / cpu0.loss).toBeLessThan(tol);
            expect(Math.max(...Object.values(gradientErrors(model, dev0.grad!, cpu0.grad!)))).toBeLessThan(10 * tol);
          }
        });
      }
    }

    test('Adam steps with clipping, minibatches drawn from a dataset, and the optimizer state', async () => {
      for (const cfg of [lowRankBasic, fullRankConstrained]) {
        const model = cfg.make('float64');
        perturbAll(model, 12);
        const gpu = gpuTwin(model, target);
        const D = 7, B = 3, T = 8, steps = 4;
        const data = randomBatch(model, 'outputs', D, T, 31);
        const indices = Int32Array.from({ length: B * steps }, (_, i) => (i * 5 + 2) % D);
        const opts = { examples: D, steps: T, lossOn: 'outputs' as const, batch: B, optimizerSteps: steps, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0.05, weightDecay: noDecay(model), seed: 4, drawNoise: true };
        const args = [Float64Array.from(data.inputs.data), Float64Array.from(data.targets.data), Float64Array.from(data.mask!.data), indices] as const;
        const cpu = await model.handle.trainSteps(...args, opts).promise;
        const dev = await gpu.trainSteps(...args, opts).promise;
        expect(dev.steps).toBe(steps);
        expect(relativeError(dev.losses, cpu.losses)).toBeLessThan(1e-9);
        expect(relativeError(dev.gradNorms, cpu.gradNorms)).toBeLessThan(1e-9);
        expect(relativeError(gpu.getParams(), model.handle.getParams()), cfg.name).toBeLessThan(1e-9);
        const sa = model.handle.optimizerState(), sb = gpu.optimizerState();
        expect(sb.step).toBe(sa.step);
        expect(relativeError(sb.m, sa.m)).toBeLessThan(1e-8);
        expect(relativeError(sb.v, sa.v)).toBeLessThan(1e-8);
        // resuming from a saved state continues identically on both
        const resumed = gpuTwin(model, target);
        resumed.setOptimizerState(sb);
        resumed.setParams(gpu.getParams());
        const next1 = await gpu.trainSteps(...args, opts).promise;
        const next2 = await resumed.trainSteps(...args, opts).promise;
        expect(sameBits(next1.losses, next2.losses)).toBe(true);
        expect(sameBits(gpu.getParams(), resumed.getParams())).toBe(true);
      }
    });

    test('the constraints are applied on the device as on the CPU (Dale, mask, no autapses)', () => {
      const model = fullRankConstrained.make('float64');
      const gpu = gpuTwin(model, target);
      const raw = Float64Array.from({ length: model.handle.getParams().length }, (_, i) => Math.sin(1.7 * i));
      model.handle.setParams(raw);
      gpu.setParams(raw);
      expect(sameBits(gpu.getParams(), model.handle.getParams())).toBe(true);
    });

    test('same seed, same bits; another seed, other noise', async () => {
      const model = lowRankBasic.make('float32');
      const gpu = gpuTwin(model, target);
      const inputs = new Float32Array(2 * 6 * 3).fill(0.3);
      const opts = { batch: 2, steps: 6, seed: 3, noise: true, stream: 0, states: true, rates: false, outputs: true };
      const a = await gpu.simulate(inputs, null, opts);
      const b = await gpu.simulate(inputs, null, opts);
      const c = await gpu.simulate(inputs, null, { ...opts, seed: 4 });
      expect(sameBits(a.states!, b.states!)).toBe(true);
      expect(sameBits(a.outputs!, b.outputs!)).toBe(true);
      expect(relativeError(c.states!, a.states!)).toBeGreaterThan(1e-3);
    });

    test.skipIf(target !== 'cuda-emulated')('no kernel reads what another thread wrote without a barrier between', async () => {
      // The emulator runs the threads of each barrier phase first to last, or last to first: a missing barrier makes
      // the two orders disagree.
      for (const cfg of [lowRankNoAutapse, fullRankConstrained]) {
        const model = cfg.make('float64');
        perturbAll(model, 13);
        const gpu = gpuTwin(model, target);
        const batch = randomBatch(model, 'outputs', 3, 7, 41);
        const run = () =>
          gpu.lossAndGradient(batch.inputs.data, batch.targets.data, batch.mask!.data, null, {
            batch: 3, steps: 7, lossOn: 'outputs', seed: 2, noise: true, stream: 0, gradient: true,
          });
        const forward = await run();
        const reversed = await reversedThreadOrder(run);
        expect(reversed.loss).toBe(forward.loss);
        expect(sameBits(reversed.grad!, forward.grad!), cfg.name).toBe(true);
      }
    });

    test('repeated training keeps device memory flat; dispose frees it', async () => {
      const model = fullRankConstrained.make('float32');
      const gpu = gpuTwin(model, target);
      const D = 6, B = 3, T = 5;
      const data = randomBatch(model, 'outputs', D, T, 8);
      const args = [Float32Array.from(data.inputs.data), Float32Array.from(data.targets.data), Float32Array.from(data.mask!.data), Int32Array.from({ length: 2 * B }, (_, i) => i % D)] as const;
      const opts = { examples: D, steps: T, lossOn: 'outputs' as const, batch: B, optimizerSteps: 2, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0, weightDecay: noDecay(model), seed: 4, drawNoise: true };
      await gpu.trainSteps(...args, opts).promise;
      const held = gpu.deviceMemory;
      expect(held).toBeGreaterThan(0);
      for (let k = 0; k < 3; k++) await gpu.trainSteps(...args, opts).promise;
      expect(gpu.deviceMemory).toBe(held);
      expect(model.handle.deviceMemory).toBe(0);
      gpu.dispose();
      expect(() => gpu.deviceMemory).toThrow(/disposed/);
    });

    test('a batch that cannot fit in device memory is a RangeError saying how much it needs', async () => {
      const model = new LowRankRNN({ size: 200_000, rank: 1, inputs: 1, outputs: 1, seed: 1 });
      const gpu = gpuTwin(model, target);
      const B = 64, T = 1000;
      await expect(
        gpu.lossAndGradient(new Float32Array(B * T), new Float32Array(B * T), new Float32Array(B * T).fill(1), null, {
          batch: B, steps: T, lossOn: 'outputs', seed: 1, noise: false, stream: 0, gradient: true,
        }),
      ).rejects.toThrow(/needs [0-9.]+ GiB of GPU memory; [0-9.]+ GiB are available/);
      expect(gpu.deviceMemory).toBeLessThan(200_000 * 64);  // nothing beyond the parameters was allocated
    });

    test('bad input is refused before it reaches the device', async () => {
      const model = lowRankBasic.make('float32');
      const gpu = gpuTwin(model, target);
      expect(() => gpu.setParams(new Float32Array(3))).toThrow(/params/);
      await expect(
        gpu.trainSteps(new Float32Array(2 * 4 * 3), new Float32Array(2 * 4 * 2), new Float32Array(2 * 4 * 2), Int32Array.of(0, 5), {
          examples: 2, steps: 4, lossOn: 'outputs', batch: 2, optimizerSteps: 1, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 0, weightDecay: noDecay(model), seed: 1, drawNoise: false,
        }).promise,
      ).rejects.toThrow(/minibatch index out of range/);
    });
  });
}

describe('device selection', () => {
  test('a model with an unknown device is an error naming the choices', () => {
    expect(() => new LowRankRNN({ size: 8, rank: 1, inputs: 1, outputs: 1, device: 'tpu' as 'cpu' })).toThrow(
      /LowRankRNN: option 'device' must be one of 'auto', 'cpu', 'cuda', 'cuda-emulated'; got 'tpu'/,
    );
  });

  test("a model on 'cuda-emulated' runs the CUDA backend's kernels on the host and agrees with the CPU", async () => {
    const cpu = new LowRankRNN({ size: 16, rank: 2, inputs: 2, outputs: 1, seed: 3, dtype: 'float64', device: 'cpu' });
    const emulated = cpu.with({ device: 'cuda-emulated' });
    expect(emulated.device).toBe('cuda-emulated');
    expect(emulated.options().device).toBe('cuda-emulated');
    const inputs = { data: Float64Array.from({ length: 2 * 5 * 2 }, (_, i) => Math.sin(i)), shape: [2, 5, 2] };
    const a = await cpu.simulate(inputs, { drawNoise: false });
    const b = await emulated.simulate(inputs, { drawNoise: false });
    expect(relativeError(b.states!.data, a.states!.data)).toBeLessThan(1e-12);
  });

  test("an unknown device is a TypeError naming the choices", () => {
    const model = lowRankBasic.make('float32');
    const { binding } = native('cpu');
    expect(() => new binding.NativeModel(model.nativeSpec, { dtype: 'float32', device: 'tpu' as 'cpu', threads: 1 })).toThrow(
      /device must be 'cpu', 'cuda' or 'cuda-emulated'; got 'tpu'/,
    );
  });
  test.skipIf(cudaInfo.available)("device 'cuda' without a usable device says why", () => {
    const model = lowRankBasic.make('float32');
    const { binding } = native('cpu');
    expect(() => new binding.NativeModel(model.nativeSpec, { dtype: 'float32', device: 'cuda', threads: 1 })).toThrow(
      /device 'cuda': .*(no NVIDIA driver|without CUDA|no usable device|no device)/,
    );
  });
});
