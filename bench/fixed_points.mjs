// Fixed-point benchmark: the fixed-point suite of `lowrank bench` (ts/bench/fixed-points.ts: analysis.fixedPoints
// against the FixedPointFinder-style PyTorch baseline assets/bench/fixed_points_torch.py, same initial states, machine
// and thread count, in the same run), then, as developer rows, the reduced (R x R) against the dense (N x N)
// eigensolve of a low-rank net's Jacobian, with numpy's dense eig.
//
//   node bench/fixed_points.mjs              (after npx tsup; PyTorch rows skipped when python3 lacks torch)
//   node bench/fixed_points.mjs --quick      the suite's quick mode (200 initial states, one run)
//   node bench/fixed_points.mjs --json out.json
//   node bench/fixed_points.mjs --only search | eigen     one half
//   node bench/fixed_points.mjs --net rank-2 | full-rank  one net of the search half
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowRankRNN, Random, analysis, saveNpz } from '../dist/index.js';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const quick = args.includes('--quick');
const onlyNet = args.includes('--net') ? args[args.indexOf('--net') + 1] : undefined;
const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'lowrank-fp-bench-'));

/** The suite, bundled from its TypeScript source next to dist/ (the package's own modules stay external). */
async function loadSuite() {
  const outfile = join(root, 'dist', 'bench', 'fixed-points.mjs');
  const r = spawnSync(join(root, 'node_modules', '.bin', 'esbuild'), [join(root, 'ts/bench/fixed-points.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${outfile}`, '--log-level=warning'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  return import(outfile);
}

/** python3 assets/bench/<script> args; the last stdout line as JSON, or null (with one line) when a module is missing. */
async function runPython(script, scriptArgs, modules = []) {
  const check = spawnSync('python3', ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { encoding: 'utf8' });
  if (check.status !== 0) {
    console.error(`baseline skipped: python3 with ${modules.join(', ')} is needed (pip install ${modules.join(' ')})`);
    return null;
  }
  const r = spawnSync('python3', [join(root, 'assets/bench', script), ...scriptArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

function python(scriptArgs) {
  const r = spawnSync('python3', [join(root, 'assets/bench/fixed_points_torch.py'), ...scriptArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`fixed_points_torch.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Rank-2 structure with two bistable directions (n_r = 2 m_r + noise). */
function structure(size, seed) {
  const rng = new Random(seed);
  const m = rng.fillNormal(new Float64Array(size * 2));
  const n = m.map((v) => 2 * v + 0.3 * rng.normal());
  const wi = rng.fillNormal(new Float64Array(size));
  return { m, n, wi };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const torch = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const rows = [];
console.log(`threads ${threads}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
if (only !== 'eigen') {
  // the suite's rows net by net (fixedPointsSuite.run does the same), each printed as soon as it is measured
  const suite = await loadSuite();
  const context = { quick, threads, cuda: false, log: (line) => console.error(line), runPython };
  console.log('| row | ours (s) | baseline (s) | speed-up | target | note |');
  console.log('|---|---|---|---|---|---|');
  const nets = suite.benchNets();
  const m = nets[0].arrays.m.data;
  for (const net of nets.filter((n) => !onlyNet || n.label.startsWith(onlyNet))) {
    for (const r of await suite.netRows(net, m, context, work)) {
      const ratio = r.baseline === null ? '' : `${(r.baseline / r.ours).toFixed(1)}x`;
      console.log(`| ${r.name} | ${r.ours.toFixed(3)} | ${r.baseline === null ? 'not run' : r.baseline.toFixed(2)} | ${ratio} | ${r.target ? `${r.target}x` : ''} | ${r.note ?? ''} |`);
      rows.push(r);
    }
  }
  for (const net of nets) net.model.dispose();
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

if (only !== 'search') {
  console.log('\n| N | eigensolve of the Jacobian (R = 2) | eigenvalues only (ms) | with left + right vectors (ms) |');
  console.log('|---|---|---|---|');
}
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
