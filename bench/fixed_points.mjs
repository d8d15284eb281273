// Fixed-point benchmark: analysis.fixedPoints against a FixedPointFinder-style PyTorch baseline
// (bench/fixed_points_torch.py) on the same initial states, machine and thread count, in the same run; then the
// reduced (R x R) against the dense (N x N) eigensolve of a low-rank net's Jacobian, with numpy's dense eig.
//
//   node bench/fixed_points.mjs              (after npx tsup; PyTorch rows skipped when python3 lacks torch)
//   node bench/fixed_points.mjs --json out.json
//   node bench/fixed_points.mjs --only search | eigen     one half
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FullRankRNN, LowRankRNN, Random, analysis, saveNpz } from '../dist/index.js';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());
const N = 512;
const STARTS = 1000;
const work = mkdtempSync(join(tmpdir(), 'lowrank-fp-bench-'));

/** Rank-2 structure with two bistable directions (n_r = 2 m_r + noise): 9 fixed points at u = 0. */
function structure(size, seed) {
  const rng = new Random(seed);
  const m = rng.fillNormal(new Float64Array(size * 2));
  const n = m.map((v) => 2 * v + 0.3 * rng.normal());
  const wi = rng.fillNormal(new Float64Array(size));
  return { m, n, wi };
}

function nets() {
  const { m, n, wi } = structure(N, 1);
  const low = new LowRankRNN({ size: N, rank: 2, inputs: 1, dtype: 'float64', init: { m, n, wi } });
  const rng = new Random(2);
  const wrec = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) wrec[i * N + j] = (m[2 * i] * n[2 * j] + m[2 * i + 1] * n[2 * j + 1]) / N + (0.5 * rng.normal()) / Math.sqrt(N);
  const full = new FullRankRNN({ size: N, inputs: 1, dtype: 'float64', init: { wrec, wi } });
  return { low: { model: low, m, n, wi }, full: { model: full, wrec, wi } };
}

/** 50 noise-free trajectories of 100 steps from m kappa0 + noise, and 1000 states sampled from them. */
async function startingStates(model, m) {
  const rng = new Random(3);
  const B = 50;
  const T = 100;
  const init = new Float64Array(B * N);
  for (let b = 0; b < B; b++) {
    const k = [2 * rng.normal(), 2 * rng.normal()];
    for (let i = 0; i < N; i++) init[b * N + i] = m[2 * i] * k[0] + m[2 * i + 1] * k[1] + 0.5 * rng.normal();
  }
  const sim = await model.simulate({ data: new Float64Array(B * T), shape: [B, T, 1] }, { initialStates: { data: init, shape: [B, N] }, noise: false });
  const from = sim.states;
  const picks = rng.sampleIndices(B * (T + 1), STARTS);
  const initial = new Float64Array(STARTS * N);
  picks.forEach((s, p) => initial.set(from.data.subarray(s * N, (s + 1) * N), p * N));
  return { from, initialStates: { data: initial, shape: [STARTS, N] } };
}

function torchVersion() {
  const r = spawnSync('python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function python(args) {
  const r = spawnSync('python3', [new URL('./fixed_points_torch.py', import.meta.url).pathname, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`fixed_points_torch.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const torch = torchVersion();
const rows = [];
console.log(`threads ${threads}, ${torch ? `PyTorch ${torch}` : 'no PyTorch (baseline skipped)'}`);
console.log('| net | tool | wall time (s) | iterations | first phase, us per candidate-iteration | points | stable | max q of the points | baseline points matched |');
console.log('|---|---|---|---|---|---|---|---|---|');

const all = only === 'eigen' ? {} : nets();
for (const [name, net] of Object.entries(all)) {
  const label = name === 'low' ? 'rank-2, N = 512' : 'full-rank, N = 512';
  const { from, initialStates } = await startingStates(net.model, all.low.m);
  const times = [];
  let fps;
  const adamSeconds = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let adamEnd;
    const onProgress = (p) => {
      if (p.phase !== 'adam' && adamEnd === undefined) adamEnd = performance.now();
    };
    fps = await analysis.fixedPoints(net.model, { from, initialStates, threads, onProgress });
    times.push((performance.now() - t0) / 1000);
    adamSeconds.push((adamEnd - t0) / 1000);
  }
  const candidateIterations = fps.candidates.adamIterations.reduce((a, b) => a + b, 0);
  const ours = {
    net: label, tool: 'lowrank-rnn', seconds: median(times), runs: times,
    iterations: Math.max(...fps.candidates.adamIterations) + ' Adam (max) + ' + Math.max(...fps.candidates.polishIterations) + ' LM (max)',
    points: fps.points.shape[0], stable: fps.stability.type.filter((t) => t === 'stable').length, maxQ: Math.max(...fps.q),
    usPerCandidateIteration: (median(adamSeconds) / candidateIterations) * 1e6,
  };
  rows.push(ours);
  console.log(`| ${label} | lowrank-rnn | ${ours.seconds.toFixed(2)} (runs ${times.map((t) => t.toFixed(2)).join(', ')}) | ${ours.iterations} | ${ours.usPerCandidateIteration.toFixed(1)} | ${ours.points} | ${ours.stable} | ${ours.maxQ.toExponential(1)} | |`);
  if (!torch) continue;
  const problem = join(work, `${name}.npz`);
  const arrays = { initial: initialStates, u: { data: new Float64Array(1), shape: [1] }, wi: { data: net.wi, shape: [1, N] }, si: { data: Float64Array.of(1), shape: [1] } };
  if (name === 'low') Object.assign(arrays, { m: { data: net.m, shape: [N, 2] }, n: { data: net.n, shape: [N, 2] } });
  else arrays.wrec = { data: net.wrec, shape: [N, N] };
  const alpha = net.model.config.alpha;
  arrays.settings = JSON.stringify({ kind: name === 'low' ? 'lowrank' : 'fullrank', N, alpha, lr: fps.tolerances.lr, max_iters: 5000, tol_q: 1e-12, tol_dq: 1e-20, tol_unique: 1e-3 });
  await saveNpz(problem, arrays);
  const base = python([problem, String(threads)]);
  // the baseline's points in this package's terms: q = |F|^2 / 2 in double, and whether we found the same point
  const points = { data: Float64Array.from(base.points.flat()), shape: [base.unique, N] };
  const q = base.unique ? (await analysis.velocity(net.model, points)).q : [];
  let matched = 0;
  for (let b = 0; b < base.unique; b++) {
    const x = points.data.subarray(b * N, (b + 1) * N);
    for (let p = 0; p < fps.points.shape[0]; p++) {
      let d = 0;
      for (let i = 0; i < N; i++) d += (x[i] - fps.points.data[p * N + i]) ** 2;
      if (Math.sqrt(d) < 0.05) {
        matched++;
        break;
      }
    }
  }
  const row = {
    net: label, tool: 'PyTorch FPF-style', seconds: base.seconds, iterations: `${base.iterations} Adam (joint)`, points: base.unique,
    stable: base.stable, maxQ: base.unique ? Math.max(...q) : NaN, matched, phases: { optimise: base.seconds_optimise, unique: base.seconds_unique, jacobianEig: base.seconds_jacobian_eig },
    usPerCandidateIteration: (base.seconds_optimise / (base.iterations * STARTS)) * 1e6,
  };
  rows.push(row);
  console.log(`| ${label} | PyTorch FPF-style | ${row.seconds.toFixed(2)} (optimise ${base.seconds_optimise.toFixed(2)}, unique ${base.seconds_unique.toFixed(2)}, Jacobian + eig ${base.seconds_jacobian_eig.toFixed(2)}) | ${row.iterations} | ${row.usPerCandidateIteration.toFixed(1)} | ${row.points} | ${row.stable} | ${row.maxQ.toExponential(1)} | ${matched} of ${base.unique} |`);
  console.log(`| | speed-up | ${(row.seconds / ours.seconds).toFixed(1)}x | | ${(row.usPerCandidateIteration / ours.usPerCandidateIteration).toFixed(1)}x | | | | |`);
}

console.log('\n| N | eigensolve of the Jacobian (R = 2) | eigenvalues only (ms) | with left + right vectors (ms) |');
console.log('|---|---|---|---|');
for (const size of only === 'search' ? [] : [512, 2048]) {
  const { m, n, wi } = structure(size, 4);
  const model = new LowRankRNN({ size, rank: 2, inputs: 1, dtype: 'float64', init: { m, n, wi } });
  const x = new Random(5).fillNormal(new Float64Array(size));
  // median of `repeats` timings, each the mean of `calls` calls, after `calls` warm-up calls
  const time = async (opts, calls, repeats) => {
    for (let c = 0; c < calls; c++) await analysis.linearize(model, x, { ...opts, threads });
    const samples = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) await analysis.linearize(model, x, { ...opts, threads });
      samples.push((performance.now() - t0) / calls);
    }
    return median(samples);
  };
  const reduced = [await time({ method: 'reduced' }, 100, 5), await time({ method: 'reduced', vectors: 'both' }, 100, 5)];
  const denseRepeats = size <= 512 ? 3 : 1;
  const dense = [await time({ method: 'dense' }, 1, denseRepeats), await time({ method: 'dense', vectors: 'both' }, 1, denseRepeats)];
  const row = { N: size, reducedMs: reduced, denseMs: dense };
  console.log(`| ${size} | reduced (R x R, lifted vectors) | ${reduced[0].toFixed(3)} | ${reduced[1].toFixed(3)} |`);
  console.log(`| ${size} | dense (Eigen, N x N) | ${dense[0].toFixed(0)} | ${dense[1].toFixed(0)} |`);
  if (torch) {
    const path = join(work, `jacobian${size}.npz`);
    await saveNpz(path, { jacobian: await analysis.jacobian(model, x) });
    const np = python([path, String(threads), 'eig']);
    row.numpyMs = [np.seconds_values * 1000, np.seconds_vectors * 1000];
    console.log(`| ${size} | numpy.linalg.eig (LAPACK, N x N, right vectors) | ${row.numpyMs[0].toFixed(0)} | ${row.numpyMs[1].toFixed(0)} |`);
  }
  rows.push(row);
  model.dispose();
}
rmSync(work, { recursive: true, force: true });
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
