// The `ensembles` benchmark suite: fits per hour of E small LINT-style fits trained as one ensemble
// (trainEnsemble), against the same E fits as separate train() calls (one after another, and all at once with
// Promise.all) and against PyTorch training them side by side with torch.func.vmap (assets/bench/ensembles_torch.py).
import { setMaxListeners } from 'node:events';
import { LowRankRNN } from '../model/index.js';
import { trainEnsemble } from '../training/ensemble.js';
import { train, type TrainOptions } from '../training/train.js';
import type { Dataset } from '../training/trials.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One fit: a rank-1 student of N units fitted to the rates of B = 8 trials of T = 50 steps, K = 2 inputs. */
const FIT = { R: 1, K: 2, B: 8, T: 50 } as const;
/** What the ensemble must reach against separate train() calls at N = 128 (issue 20). */
const TARGET = 1.8;

/** The rows' sizes: the target rows only (N = 128, E = 16 and 64, fewer epochs) with --quick. */
function grid(quick: boolean): { Ns: number[]; Es: number[]; epochs: number; repeats: number } {
  return quick ? { Ns: [128], Es: [16, 64], epochs: 40, repeats: 3 } : { Ns: [128, 512], Es: [1, 4, 16, 64], epochs: 150, repeats: 2 };
}

/** Member e's trials: smooth inputs and targets in (-1, 1), different for every member. */
function dataset(N: number, e: number): Dataset {
  const { B, T, K } = FIT;
  const inputs = new Float32Array(B * T * K).map((_, i) => Math.sin(0.37 * i + e));
  const targets = new Float32Array(B * T * N).map((_, i) => 0.8 * Math.sin(0.011 * i * (1 + (e % 7)) + 0.3 * e));
  return { inputs: { data: inputs, shape: [B, T, K] }, targets: { data: targets, shape: [B, T, N] } };
}

function students(N: number, E: number, threads: number, device: 'cpu' | 'cuda'): LowRankRNN[] {
  return Array.from({ length: E }, (_, e) => new LowRankRNN({ size: N, rank: FIT.R, inputs: FIT.K, outputs: 0, noise: 0, seed: 1 + e, threads, device }));
}

/** Wall and CPU (all threads of the process) seconds of `fn` on fresh students (disposed afterwards). */
async function timed(N: number, E: number, threads: number, device: 'cpu' | 'cuda', fn: (models: LowRankRNN[]) => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const models = students(N, E, threads, device);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn(models);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  for (const m of models) m.dispose();
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

type Variant = 'ensemble' | 'sequential' | 'concurrent';

/** Fits per hour of each way of running E fits (the best of `repeats` interleaved runs), and CPU milliseconds per fit
 * (the work, whatever else the machine runs). */
async function measure(ctx: BenchContext, N: number, E: number, epochs: number, repeats: number, device: 'cpu' | 'cuda'): Promise<{ fitsPerHour: Record<Variant, number>; cpuMs: Record<Variant, number> }> {
  const data = Array.from({ length: E }, (_, e) => dataset(N, e));
  const opts = { epochs, batchSize: FIT.B, lossOn: 'rates', drawNoise: false, lr: 1e-2, clip: 1 } satisfies TrainOptions;
  if (ctx.signal) setMaxListeners(E + 10, ctx.signal); // the concurrent variant's E train() calls each listen to it
  const runs: Record<Variant, (models: LowRankRNN[]) => Promise<unknown>> = {
    ensemble: (models) => trainEnsemble(models, data, { ...opts, threads: ctx.threads, signal: ctx.signal }),
    sequential: async (models) => {
      for (const [e, m] of models.entries()) await train(m, data[e], { ...opts, signal: ctx.signal });
    },
    concurrent: (models) => Promise.all(models.map((m, e) => train(m, data[e], { ...opts, signal: ctx.signal }))),
  };
  const best: Record<Variant, number> = { ensemble: 0, sequential: 0, concurrent: 0 };
  const cpuMs: Record<Variant, number> = { ensemble: Infinity, sequential: Infinity, concurrent: Infinity };
  for (let r = 0; r < repeats; r++) {
    for (const v of Object.keys(runs) as Variant[]) {
      const t = await timed(N, E, ctx.threads, device, runs[v]);
      best[v] = Math.max(best[v], (E * 3600) / t.wall);
      cpuMs[v] = Math.min(cpuMs[v], (t.cpu * 1000) / E);
    }
  }
  const show = (v: Variant) => `${v} ${Math.round(best[v])} fits/h (${cpuMs[v].toFixed(1)} CPU ms/fit)`;
  ctx.log(`ensembles: N=${N} E=${E} ${device}: ${(Object.keys(runs) as Variant[]).map(show).join(', ')}`);
  return { fitsPerHour: best, cpuMs };
}

/** PyTorch's fits per hour for each (N, E), or null when python3 or torch is missing. */
async function torchFitsPerHour(ctx: BenchContext, cells: { N: number; E: number }[], epochs: number): Promise<{ version: string; fitsPerHour: Map<string, number> } | null> {
  const configs = cells.map(({ N, E }) => ({ label: `${N}x${E}`, N, E, ...FIT, epochs, budget: ctx.quick ? 1.5 : 4 }));
  const out = (await ctx.runPython('ensembles_torch.py', [JSON.stringify(configs), String(ctx.threads)], ['torch'])) as {
    torch: string;
    rows: { label: string; seconds_per_epoch: number }[];
  } | null;
  if (!out) return null;
  const cellOf = new Map(cells.map((c) => [`${c.N}x${c.E}`, c]));
  return { version: out.torch, fitsPerHour: new Map(out.rows.map((r) => [r.label, (cellOf.get(r.label)!.E * 3600) / (r.seconds_per_epoch * epochs)])) };
}

/** A row: the ensemble's fits per hour (`ours`) against one baseline, named `against` in the row's name. */
function row(N: number, E: number, epochs: number, device: string, against: string, ours: number, baseline: number | null, baselineName: string | null, extra: Partial<BenchRow> = {}): BenchRow {
  const { B, T, R } = FIT;
  return {
    suite: 'ensembles',
    name: `E=${E} N=${N} R=${R} B=${B} T=${T} ${device} vs ${against}`,
    params: { E, N, R, B, T, epochs, device },
    metric: 'fits/h',
    higherIsBetter: true,
    ours,
    baseline,
    baselineName,
    ...extra,
  };
}

/** The `ensembles` suite of `lowrank bench`. */
export const ensemblesSuite: BenchSuite = {
  name: 'ensembles',
  description: 'fits per hour of E small LINT fits in one trainEnsemble call vs E separate train() calls and PyTorch torch.func.vmap',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const { Ns, Es, epochs, repeats } = grid(ctx.quick);
    const cells = Ns.flatMap((N) => Es.map((E) => ({ N, E })));
    const rows: BenchRow[] = [];
    for (const { N, E } of cells) {
      const { fitsPerHour: f, cpuMs } = await measure(ctx, N, E, epochs, repeats, 'cpu');
      const extra = (v: Variant) => ({ ...(N === 128 && E >= 4 ? { target: TARGET } : {}), note: `CPU ms per fit: ensemble ${cpuMs.ensemble.toFixed(1)}, baseline ${cpuMs[v].toFixed(1)}` });
      const threads = `${ctx.threads} threads`;
      rows.push(row(N, E, epochs, 'cpu', 'sequential train()', f.ensemble, f.sequential, `${E} separate train() calls, one after another (${threads})`, extra('sequential')));
      rows.push(row(N, E, epochs, 'cpu', 'concurrent train()', f.ensemble, f.concurrent, `${E} separate train() calls at once, Promise.all (${threads})`, extra('concurrent')));
    }
    const torch = await torchFitsPerHour(ctx, cells, epochs);
    for (const { N, E } of cells) {
      const ours = rows.find((r) => r.params.N === N && r.params.E === E)!.ours;
      const name = torch ? `PyTorch ${torch.version}, torch.func.vmap over the E fits (${ctx.threads} threads)` : null;
      const note = torch ? { note: `PyTorch timed over at most ${ctx.quick ? 1.5 : 4} s of epochs, scaled to ${epochs} epochs` } : { note: 'not run: python3 with torch is missing' };
      rows.push(row(N, E, epochs, 'cpu', 'PyTorch vmap', ours, torch?.fitsPerHour.get(`${N}x${E}`) ?? null, name, note));
    }
    if (ctx.cuda) {
      for (const { N, E } of cells) {
        const { fitsPerHour: f } = await measure(ctx, N, E, epochs, 1, 'cuda');
        const note = 'the CUDA backend runs the members of an ensemble in one launch per step (members x trials)';
        rows.push(row(N, E, epochs, 'cuda', 'sequential train()', f.ensemble, f.sequential, `${E} separate train() calls on the GPU, one after another`, { note }));
      }
    }
    return rows;
  },
};
