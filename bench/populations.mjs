// Times Gaussian-mixture fits of this package against scikit-learn on the same data, in the same run:
// N = 4096 rows, D = 6 columns, K = 1..6, 50 restarts, EM (GaussianMixture) and variational (BayesianGaussianMixture,
// Dirichlet-process prior), both with their default k-means initialisation, full covariances.
//
//   npm run build:ts && node bench/populations.mjs                 1 thread for both (OMP/BLAS threads = 1)
//   node bench/populations.mjs --threads 2                          both on 2 threads
//   node bench/populations.mjs --restarts 10 --kmax 4               a shorter run
//   node bench/populations.mjs --init random                        the populations code's init_params='random'
//   node bench/populations.mjs --json out.json                      also write the rows
//
// The data: two zero-mean Gaussian populations with different covariances (a connectivity space of the kind the
// populations paper clusters), 2048 rows each, seed 1. MIXTURE_MODULE=path/to/module.mjs times another build of the
// mixture functions (a module exporting fitMixture); by default dist/index.js's populations.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const value = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const threads = Number(value('--threads', 1));
const restarts = Number(value('--restarts', 50));
const kmax = Number(value('--kmax', 6));
const init = value('--init', 'kmeans');
const methods = value('--methods', 'em,variational').split(',');
const jsonOut = value('--json', undefined);
const N = 4096, D = 6;

const lib = process.env.MIXTURE_MODULE ? await import(process.env.MIXTURE_MODULE) : (await import('../dist/index.js')).populations;

// A small seeded generator (mulberry32 + Box-Muller) so that the data does not depend on the package.
function generator(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
const normal = generator(1);
// Population p: x = A_p z with A_p lower-triangular, different for the two populations.
const factor = (p) => Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => (j > i ? 0 : i === j ? 1 + p * (i % 3) : (p ? 0.8 : -0.3) * Math.cos(i + 2 * j))));
const A = [factor(0), factor(1)];
const x = new Float64Array(N * D);
for (let n = 0; n < N; n++) {
  const z = Array.from({ length: D }, normal);
  const a = A[n % 2];
  for (let i = 0; i < D; i++) {
    let v = 0;
    for (let j = 0; j <= i; j++) v += a[i][j] * z[j];
    x[n * D + i] = v;
  }
}
const dir = mkdtempSync(join(tmpdir(), 'bench-populations-'));
const file = join(dir, 'x.bin');
writeFileSync(file, Buffer.from(x.buffer));
const ourInit = init === 'kmeans' ? 'kmeans++' : init; // ours 'kmeans++' = k-means++ seeding + Lloyd = sklearn 'kmeans'

// One small fit first so that loading the addon is not timed.
await lib.fitMixture({ data: x.subarray(0, 64 * D), shape: [64, D] }, { components: 2, threads });

const rows = [];
for (const method of methods) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const py = spawnSync('python3', [join(import.meta.dirname, 'populations_sklearn.py'), file, N, D, 1, kmax, restarts, method, init], { env, encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`sklearn script failed: ${py.stderr}`);
  const theirs = py.stdout.trim().split('\n').map((l) => JSON.parse(l));
  for (const ref of theirs) {
    const t0 = performance.now();
    const m = await lib.fitMixture({ data: x, shape: [N, D] }, { components: ref.K, method, restarts, threads, seed: 0, init: ourInit });
    const ours = (performance.now() - t0) / 1000;
    rows.push({
      method,
      K: ref.K,
      kept: m.components,
      ours,
      sklearn: ref.seconds,
      speedup: ref.seconds / ours,
      // EM: the mean log-likelihood; variational: the lower bound per sample (what each maximises)
      oursObjective: method === 'em' ? m.logLikelihood : m.lowerBound / N,
      sklearnObjective: method === 'em' ? ref.score : ref.lower_bound / N,
    });
  }
}
rmSync(dir, { recursive: true, force: true });

const total = (key, method) => rows.filter((r) => r.method === method).reduce((s, r) => s + r[key], 0);
console.log(`N = ${N}, D = ${D}, ${restarts} restarts, init ${init}, full covariances, ${threads} thread(s) each`);
console.log('| method | K | kept | ours s | sklearn s | speed-up | ours objective | sklearn objective |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.method} | ${r.K} | ${r.kept} | ${r.ours.toFixed(3)} | ${r.sklearn.toFixed(2)} | ${r.speedup.toFixed(1)}x | ${r.oursObjective.toFixed(6)} | ${r.sklearnObjective.toFixed(6)} |`);
}
for (const method of methods) {
  const o = total('ours', method), s = total('sklearn', method);
  console.log(`| ${method} | all | | ${o.toFixed(3)} | ${s.toFixed(2)} | ${(s / o).toFixed(1)}x | | |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 2));
