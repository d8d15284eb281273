// The training-step suite of `lowrank bench`: one training step (forward pass, BPTT, global-norm clipping at 1,
// Adam) of this engine against a PyTorch baseline written the way the reference code is (assets/bench/
// torch_baseline.py: a Python loop over time, autograd, torch.optim.Adam), same machine, same threads, same run.
// Current formulation, tanh, noise sigma = 0.05, K = 4 inputs, O = 1 output, masked MSE on every step.
import { FullRankRNN } from '../model/fullrank.js';
import { LowRankRNN } from '../model/lowrank.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One row of the suite. */
export interface StepConfig {
  /** 'target' for the rows with a project target, else what the row varies ('N', 'R', 'B', 'T'). */
  group: string;
  kind: 'lowrank' | 'fullrank';
  N: number;
  /** The rank (low-rank rows only). */
  R?: number;
  B: number;
  T: number;
  /** The speed-up over PyTorch the project aims at on this row. */
  target?: number;
}

const K = 4;
const O = 1;

/** The rows with a project target (what `--quick` runs). */
export const TARGET_ROWS: readonly StepConfig[] = [
  { group: 'target', kind: 'lowrank', N: 512, R: 1, B: 32, T: 75, target: 20 },
  { group: 'target', kind: 'lowrank', N: 512, R: 2, B: 32, T: 75, target: 20 },
  { group: 'target', kind: 'fullrank', N: 512, B: 32, T: 75, target: 3 },
];

/** The scaling rows added by a full run. */
export const SCALING_ROWS: readonly StepConfig[] = [
  ...[128, 256, 1024, 2048, 4096].map((N): StepConfig => ({ group: 'N', kind: 'lowrank', N, R: 1, B: 32, T: 75 })),
  ...[4, 8].map((R): StepConfig => ({ group: 'R', kind: 'lowrank', N: 512, R, B: 32, T: 75 })),
  ...[8, 128, 512].map((B): StepConfig => ({ group: 'B', kind: 'lowrank', N: 512, R: 1, B, T: 75 })),
  ...[25, 225].map((T): StepConfig => ({ group: 'T', kind: 'lowrank', N: 512, R: 1, B: 32, T })),
  ...[128, 1024].map((N): StepConfig => ({ group: 'N (full-rank)', kind: 'fullrank', N, B: 32, T: 75 })),
];

/** Floating-point operations of one training step (forward + backward), counted from the equations. */
export function stepFlops({ kind, N, R = 0, B, T }: StepConfig): number {
  const perElement = 20; // noise, tanh and its derivative, leak updates, bias, loss-side elementwise work
  const io = 2 * N * K * 3 + 2 * N * O * 3; // input drive and its two gradients; readout and its two gradients
  const rec = kind === 'lowrank' ? 2 * N * R * 6 : 2 * N * N * 3; // forward, back-propagated product, weight gradients
  return B * T * (rec + io + perElement * N);
}

type Model = LowRankRNN | FullRankRNN;

/** Milliseconds per training step over `steps` steps of minibatches of B trials drawn from D timing trials. */
async function msPerStep(model: Model, cfg: StepConfig, steps: number): Promise<number> {
  const { B, T } = cfg;
  const D = Math.max(B, 64);
  const inputs = new Float32Array(D * T * K).map((_, i) => Math.sin(i * 0.37));
  const targets = new Float32Array(D * T * O).map((_, i) => Math.cos(i * 0.11));
  const mask = new Float32Array(D * T * O).fill(1);
  const indices = new Int32Array(steps * B).map((_, i) => (i * 7) % D);
  const weightDecay = Object.fromEntries(model.paramNames.map((p) => [p, 0]));
  const t0 = performance.now();
  await model.handle.trainSteps(inputs, targets, mask, indices, {
    examples: D, steps: T, lossOn: 'outputs', batch: B, optimizerSteps: steps,
    lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clip: 1, weightDecay, seed: 1, drawNoise: true,
  }).promise;
  return (performance.now() - t0) / steps;
}

/** The engine's median ms/step of three time-budgeted runs (`budgetMs` each) on `device`. */
export async function timeTrainingStep(cfg: StepConfig, opts: { threads: number; device: 'cpu' | 'cuda'; budgetMs: number; signal?: AbortSignal }): Promise<number> {
  const common = { size: cfg.N, inputs: K, outputs: O, noise: 0.05, seed: 1, threads: opts.threads, device: opts.device, train: { wi: true } };
  const model: Model = cfg.kind === 'lowrank' ? new LowRankRNN({ ...common, rank: cfg.R ?? 1 }) : new FullRankRNN(common);
  try {
    const probe = await msPerStep(model, cfg, 2);
    const steps = Math.max(2, Math.min(200, Math.round(opts.budgetMs / Math.max(probe, 0.05))));
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      opts.signal?.throwIfAborted();
      samples.push(await msPerStep(model, cfg, steps));
    }
    samples.sort((a, b) => a - b);
    return samples[1];
  } finally {
    model.dispose();
  }
}

interface TorchLine {
  label: string;
  ms_per_step: number;
  torch: string;
  threads: number;
}

/** PyTorch ms/step of each configuration on `device`, or null when python3 or torch is missing. */
async function torchTimes(ctx: BenchContext, configs: readonly StepConfig[], device: 'cpu' | 'cuda'): Promise<{ ms: Map<number, number>; version: string } | null> {
  const payload = configs.map((c, i) => ({ label: String(i), kind: c.kind, N: c.N, R: c.R ?? 1, K, O, B: c.B, T: c.T, repeats: ctx.quick ? 10 : 50 }));
  const out = (await ctx.runPython('torch_baseline.py', [JSON.stringify(payload), String(ctx.threads), device, '--summary'], ['torch'])) as TorchLine[] | null;
  if (!out) return null;
  return { ms: new Map(out.map((l) => [Number(l.label), l.ms_per_step])), version: out[0]?.torch ?? '?' };
}

async function rowsOn(ctx: BenchContext, configs: readonly StepConfig[], device: 'cpu' | 'cuda'): Promise<BenchRow[]> {
  const ours: number[] = [];
  for (const c of configs) {
    const ms = await timeTrainingStep(c, { threads: ctx.threads, device, budgetMs: ctx.quick ? 600 : 1500, signal: ctx.signal });
    ctx.log(`training-step (${device}): ${c.kind} N=${c.N}${c.kind === 'lowrank' ? ` R=${c.R}` : ''} B=${c.B} T=${c.T}: ${ms.toFixed(2)} ms/step`);
    ours.push(ms);
  }
  const torch = await torchTimes(ctx, configs, device);
  return configs.map((c, i): BenchRow => ({
    suite: 'training-step',
    name: `${device === 'cuda' ? 'GPU ' : ''}${c.kind === 'lowrank' ? `low-rank N=${c.N} R=${c.R}` : `full-rank N=${c.N}`} B=${c.B} T=${c.T}`,
    params: { device, group: c.group, kind: c.kind, N: c.N, ...(c.R ? { R: c.R } : {}), B: c.B, T: c.T, threads: ctx.threads },
    metric: 'ms/step',
    higherIsBetter: false,
    ours: ours[i],
    baseline: torch?.ms.get(i) ?? null,
    baselineName: torch ? `PyTorch ${torch.version} (reference-style loop${device === 'cuda' ? ', CUDA' : ''})` : null,
    target: device === 'cpu' ? c.target : undefined,
    note: `${(stepFlops(c) / (ours[i] * 1e6)).toFixed(1)} GFLOP/s${torch ? '' : '; PyTorch not available'}`,
  }));
}

/** `lowrank bench training-step`. */
export const trainingStepSuite: BenchSuite = {
  name: 'training-step',
  description: 'one training step (forward, BPTT, clipping, Adam) of low-rank and full-rank nets against a PyTorch reference-style loop',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const configs = ctx.quick ? TARGET_ROWS : [...TARGET_ROWS, ...SCALING_ROWS];
    const rows = await rowsOn(ctx, configs, 'cpu');
    if (ctx.cuda) rows.push(...(await rowsOn(ctx, TARGET_ROWS, 'cuda')));
    return rows;
  },
};
