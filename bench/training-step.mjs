// What bench/gpu.mjs (CUDA) uses: timing training steps of this engine and of the PyTorch
// baseline (torch_baseline.py) on the same configurations.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The command line (--quick, --json FILE), BENCH_THREADS, and the K = 4 inputs and O = 1 output of every row. */
export function benchSettings(argv = process.argv.slice(2)) {
  return {
    quick: argv.includes('--quick'),
    jsonOut: argv.includes('--json') ? argv[argv.indexOf('--json') + 1] : undefined,
    threads: Number(process.env.BENCH_THREADS ?? availableParallelism()),
    K: 4,
    O: 1,
  };
}

/** Milliseconds per training step (forward + BPTT + clipping + Adam) over `steps` steps of minibatches of B trials. */
export async function stepsFor(model, { inputs, targets, mask, D, B, T }, steps) {
  const indices = new Int32Array(steps * B).map((_, i) => (i * 7) % D);
  const t0 = performance.now();
  const weightDecay = Object.fromEntries(model.paramNames.map((p) => [p, 0]));
  await model.handle.trainSteps(inputs, targets, mask, indices, {
    examples: D, steps: T, lossOn: 'outputs', batch: B, optimizerSteps: steps,
    lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 1, weightDecay, seed: 1, drawNoise: true,
  }).promise;
  return (performance.now() - t0) / steps;
}

/** A dataset of D >= B trials for the timing runs, [D, T, K] inputs and [D, T, O] targets. */
export function timingData({ B, T }, K, O) {
  const D = Math.max(B, 64);
  return {
    inputs: new Float32Array(D * T * K).map((_, i) => Math.sin(i * 0.37)),
    targets: new Float32Array(D * T * O).map((_, i) => Math.cos(i * 0.11)),
    mask: new Float32Array(D * T * O).fill(1),
    D, B, T,
  };
}

/** PyTorch milliseconds per step of each configuration (Map index -> ms), on `device` ('cpu' or 'cuda'). */
export function torchBaseline(configs, { threads, device, K, O }) {
  const payload = configs.map((c, i) => ({ label: String(i), kind: c.kind, N: c.N, R: c.R ?? 1, K, O, B: c.B, T: c.T, repeats: 50 }));
  const r = spawnSync('python3', [new URL('../assets/bench/torch_baseline.py', import.meta.url).pathname, JSON.stringify(payload), String(threads), device], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch baseline failed: ${r.stderr}`);
  return new Map(r.stdout.trim().split('\n').map((line) => JSON.parse(line)).map((j) => [Number(j.label), j.ms_per_step]));
}
