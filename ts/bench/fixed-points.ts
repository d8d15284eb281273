// The fixed-point suite of `lowrank bench`: analysis.fixedPoints against a FixedPointFinder-style PyTorch baseline
// (assets/bench/fixed_points_torch.py) from the same initial states, with the same learning rate, iteration cap and
// uniqueness tolerance, on a rank-2 and a full-rank net of N = 512 units; each row says which of the baseline's true
// fixed points (q < 1e-8 in double) this package found, and how far they are from its points.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedPoints, velocity, type FixedPoints, type FixedPointSearchMethod } from '../analysis/index.js';
import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { saveNpz } from '../io/index.js';
import { FullRankRNN, LowRankRNN, type AnyModel } from '../model/index.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One net of the suite, with the arrays the baseline script rebuilds it from. */
export interface BenchNet {
  label: string;
  model: AnyModel;
  arrays: Record<string, Tensor | string>;
  kind: 'lowrank' | 'fullrank';
  target: number;
}

/** What the baseline script prints (its last stdout line). */
interface BaselineRun {
  seconds: number;
  iterations: number;
  unique: number;
  points: number[][];
  torch: string;
}

/** A baseline point counts as a true fixed point below this q (ours: |F|^2 / 2 in double). */
export const COVERAGE_Q = 1e-8;
/** ... and as found when one of our points lies within this distance. */
export const MATCH_DISTANCE = 0.05;

const SIZE = 512;

/** Rank-2 structure with two bistable directions (n_r = 2 m_r + 0.3 noise); the full-rank net adds 0.5 G / sqrt(N). */
export function benchNets(size = SIZE): BenchNet[] {
  const rng = new Random(1);
  const m = rng.fillNormal(new Float64Array(size * 2));
  const n = m.map((v) => 2 * v + 0.3 * rng.normal());
  const wi = rng.fillNormal(new Float64Array(size));
  const low = new LowRankRNN({ size, rank: 2, inputs: 1, dtype: 'float64', init: { m, n, wi } });
  const noise = new Random(2);
  const wrec = new Float64Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) wrec[i * size + j] = (m[2 * i] * n[2 * j] + m[2 * i + 1] * n[2 * j + 1]) / size + (0.5 * noise.normal()) / Math.sqrt(size);
  const full = new FullRankRNN({ size, inputs: 1, dtype: 'float64', init: { wrec, wi } });
  const common = { wi: { data: wi, shape: [1, size] }, si: { data: Float64Array.of(1), shape: [1] }, u: { data: new Float64Array(1), shape: [1] } };
  return [
    { label: `rank-2 N=${size}`, model: low, kind: 'lowrank', target: 100, arrays: { ...common, m: { data: m, shape: [size, 2] }, n: { data: n, shape: [size, 2] } } },
    { label: `full-rank N=${size}`, model: full, kind: 'fullrank', target: 5, arrays: { ...common, wrec: { data: wrec, shape: [size, size] } } },
  ];
}

/**
 * 50 noise-free trajectories of 100 steps from m kappa0 + noise (m: the rank-2 structure), and `count` states
 * sampled from them: the reference states and the initial states of both tools.
 */
export async function benchStates(model: AnyModel, m: Float64Array, count: number): Promise<{ from: Tensor; initialStates: Tensor<Float64Array> }> {
  const N = model.size;
  const rng = new Random(3);
  const B = 50;
  const T = 100;
  const init = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    const k = [2 * rng.normal(), 2 * rng.normal()];
    for (let i = 0; i < N; i++) init[b * N + i] = m[2 * i] * k[0] + m[2 * i + 1] * k[1] + 0.5 * rng.normal();
  }
  const sim = await model.simulate({ data: new Float64Array(B * T), shape: [B, T, 1] }, { initialStates: { data: init, shape: [B, N] }, drawNoise: false });
  const from = sim.states!;
  const picks = rng.sampleIndices(B * (T + 1), count);
  const initial = new Float64Array(count * N);
  picks.forEach((s, p) => initial.set(from.data.subarray(s * N, (s + 1) * N), p * N));
  return { from, initialStates: { data: initial, shape: [count, N] } };
}

/** Which of the baseline's points with q < COVERAGE_Q lie within MATCH_DISTANCE of one of ours, and how far. */
export async function coverage(model: AnyModel, ours: FixedPoints, theirs: number[][]): Promise<{ trueBaseline: number; matched: number; maxDistance: number; distances: number[] }> {
  const N = model.size;
  if (theirs.length === 0) return { trueBaseline: 0, matched: 0, maxDistance: 0, distances: [] };
  const points = { data: Float64Array.from(theirs.flat()), shape: [theirs.length, N] };
  const { q } = await velocity(model, points);
  const distances: number[] = [];
  theirs.forEach((x, b) => {
    if (!(q[b] < COVERAGE_Q)) return;
    let best = Infinity;
    for (let p = 0; p < ours.points.shape[0]; p++) {
      let d = 0;
      for (let i = 0; i < N; i++) d += (x[i] - ours.points.data[p * N + i]) ** 2;
      best = Math.min(best, Math.sqrt(d));
    }
    distances.push(best);
  });
  const found = distances.filter((d) => d <= MATCH_DISTANCE);
  return { trueBaseline: distances.length, matched: found.length, maxDistance: found.length ? Math.max(...found) : 0, distances };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Our search on one net: the median wall time of `repeats` runs, and the last result. */
async function timeOurs(net: BenchNet, states: { from: Tensor; initialStates: Tensor }, ctx: BenchContext, repeats: number, search: FixedPointSearchMethod) {
  const times: number[] = [];
  let fps: FixedPoints | undefined;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fps = await fixedPoints(net.model, { ...states, threads: ctx.threads, search, signal: ctx.signal });
    times.push((performance.now() - t0) / 1000);
  }
  return { seconds: median(times), times, fps: fps! };
}

/** The baseline on the same initial states, learning rate and tolerances, or null when python3 or torch is missing. */
async function runBaseline(net: BenchNet, initialStates: Tensor, lr: number, ctx: BenchContext, dir: string): Promise<BaselineRun | null> {
  const problem = join(dir, `${net.kind}.npz`);
  const settings = { kind: net.kind, N: net.model.size, alpha: net.model.config.alpha, lr, max_iters: 5000, tol_q: 1e-12, tol_dq: 1e-20, tol_unique: 1e-3 };
  await saveNpz(problem, { ...net.arrays, initial: initialStates, settings: JSON.stringify(settings) });
  return (await ctx.runPython('fixed_points_torch.py', [problem, String(ctx.threads)], ['torch', 'numpy'])) as BaselineRun | null;
}

/**
 * One net's rows: ours (the default search, and the full search) beside the baseline. `m` is the rank-2 structure the initial trajectories start along; `dir` a scratch folder.
 */
export async function netRows(net: BenchNet, m: Float64Array, ctx: BenchContext, dir: string): Promise<BenchRow[]> {
  const starts = ctx.quick ? 200 : 1000;
  const states = await benchStates(net.model, m, starts);
  const repeats = ctx.quick ? 1 : 3;
  ctx.log(`fixed points: ${net.label}, ${starts} initial states, ours (${repeats} run${repeats > 1 ? 's' : ''})`);
  const ours = await timeOurs(net, states, ctx, repeats, 'auto');
  const variants = [{ name: net.label, run: ours, target: net.target }];
  // the other search: the full one (Adam + Levenberg-Marquardt, what 'auto' ran before the latent search on the rank-2
  // net and before the Newton search on the full-rank one)
  const other: FixedPointSearchMethod = 'full';
  if (!ctx.quick || net.kind === 'fullrank') {
    ctx.log(`fixed points: ${net.label}, search: '${other}'`);
    variants.push({ name: `${net.label} (search: '${other}')`, run: await timeOurs(net, states, ctx, 1, other), target: 0 });
  }
  ctx.log(`fixed points: ${net.label}, PyTorch baseline`);
  const base = await runBaseline(net, states.initialStates, ours.fps.tolerances.lr, ctx, dir);
  const rows: BenchRow[] = [];
  for (const v of variants) {
    const { fps } = v.run;
    const stable = fps.stability.type.filter((t) => t === 'stable').length;
    let note = `ours: ${fps.points.shape[0]} points (${stable} stable, max q ${Math.max(0, ...fps.q).toExponential(1)}), search '${fps.search}', runs ${v.run.times.map((t) => t.toFixed(2)).join(', ')} s`;
    if (base) {
      const cov = await coverage(net.model, fps, base.points);
      note += `; baseline: ${base.unique} points after ${base.iterations} joint Adam iterations, ${cov.trueBaseline} with q < ${COVERAGE_Q}, of which ${cov.matched} found by ours (largest distance ${cov.maxDistance.toExponential(1)})`;
    }
    rows.push({
      suite: 'fixed-points',
      name: v.name,
      params: { N: net.model.size, starts, threads: ctx.threads, search: fps.search },
      metric: 's',
      higherIsBetter: false,
      ours: v.run.seconds,
      baseline: base ? base.seconds : null,
      baselineName: base ? `PyTorch ${base.torch} (FixedPointFinder-style joint Adam, float32)` : null,
      ...(v.target > 0 ? { target: v.target } : {}),
      note,
    });
  }
  return rows;
}

/** `lowrank bench fixed-points`: the rank-2 and full-rank N = 512 searches against the FixedPointFinder-style baseline. */
export const fixedPointsSuite: BenchSuite = {
  name: 'fixed-points',
  description: 'analysis.fixedPoints against a FixedPointFinder-style PyTorch search (rank-2 and full-rank, N = 512)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const nets = benchNets();
    const m = (nets[0].arrays.m as Tensor).data as Float64Array;
    const dir = await mkdtemp(join(tmpdir(), 'lowrank-fp-bench-'));
    try {
      const rows: BenchRow[] = [];
      for (const net of nets) rows.push(...(await netRows(net, m, ctx, dir)));
      return rows;
    } finally {
      for (const net of nets) net.model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
