// The eigensolves suite of `lowrank bench`: dense eigenvalues, eigenvectors (right; left and right) and the thin SVD
// of N x N matrices, this package (LAPACK loaded at run time, else Eigen) against numpy/scipy on the same machine.
import { eigen, type EigenVectors } from '../analysis/linear.js';
import { svd } from '../core/linalg.js';
import { Random } from '../core/random.js';
import { backendInfo } from '../native/load.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One kind of decomposition the suite times. */
interface Solve {
  /** The row's name and the numpy script's key. */
  kind: 'values' | 'right vectors' | 'left and right vectors' | 'svd';
  /** What numpy/scipy runs for it. */
  baseline: string;
  run(a: Float64Array, n: number): Promise<unknown>;
}

const eigenSolve = (vectors: EigenVectors) => (a: Float64Array, n: number) => eigen({ data: a, shape: [n, n] }, { vectors });

const SOLVES: readonly Solve[] = [
  { kind: 'values', baseline: 'numpy.linalg.eigvals', run: eigenSolve('none') },
  { kind: 'right vectors', baseline: 'numpy.linalg.eig', run: eigenSolve('right') },
  { kind: 'left and right vectors', baseline: 'scipy.linalg.eig(left=True)', run: eigenSolve('both') },
  { kind: 'svd', baseline: 'numpy.linalg.svd(full_matrices=False)', run: (a, n) => svd(a, n, n) },
];

/** The sizes timed: the target sizes, or LOWRANK_BENCH_EIGEN_SIZES (a comma-separated list, for quick checks). */
function sizes(quick: boolean): number[] {
  const env = process.env.LOWRANK_BENCH_EIGEN_SIZES;
  if (env) {
    const list = env.split(',').map(Number);
    if (list.some((n) => !Number.isInteger(n) || n < 2)) throw new RangeError(`LOWRANK_BENCH_EIGEN_SIZES must list integers >= 2; got ${JSON.stringify(env)}`);
    return list;
  }
  return quick ? [512, 2048] : [128, 512, 1024, 2048];
}

/** Timing repeats of one row: fewer for the large sizes and with --quick; the median is reported. */
const repeatsFor = (n: number, quick: boolean) => (n >= 1024 ? (quick ? 1 : 3) : quick ? 3 : 5);

/** A dense Jacobian-like test matrix: -I + g W with W ~ N(0, 1/N), g = 1.5 (complex pairs and a spread of scales). */
export function testMatrix(n: number, seed = 1): Float64Array {
  const rng = new Random(seed);
  const a = new Float64Array(n * n);
  const scale = 1.5 / Math.sqrt(n);
  for (let i = 0; i < a.length; i++) a[i] = scale * rng.normal();
  for (let i = 0; i < n; i++) a[i * n + i] -= 1;
  return a;
}

async function median(times: number, run: () => Promise<unknown>, signal?: AbortSignal): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < times; r++) {
    signal?.throwIfAborted();
    const t0 = performance.now();
    await run();
    samples.push((performance.now() - t0) / 1000);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
}

interface NumpyResult {
  numpy: string;
  scipy: string | null;
  /** seconds by `${kind} ${N}`; null where the baseline could not run it (scipy missing) */
  seconds: Record<string, number | null>;
}

/** `lowrank bench eigensolves`. */
export const eigensolvesSuite: BenchSuite = {
  name: 'eigensolves',
  description: 'dense eigenvalues, eigenvectors (right; left and right) and SVD at N = 512 and 2048 against numpy/scipy (LAPACK)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const ns = sizes(ctx.quick);
    const lapack = backendInfo().lapack;
    const solver = lapack.loaded ? `LAPACK (${lapack.library})` : `Eigen (${lapack.reason})`;
    const ours: { kind: Solve['kind']; n: number; seconds: number }[] = [];
    for (const n of ns) {
      const a = testMatrix(n);
      for (const s of SOLVES) {
        const repeats = repeatsFor(n, ctx.quick);
        if (n <= 512) await s.run(a, n); // warm-up
        const seconds = await median(repeats, () => s.run(a, n), ctx.signal);
        ctx.log(`eigensolves: ${s.kind}, N = ${n}: ${seconds.toFixed(3)} s (${solver})`);
        ours.push({ kind: s.kind, n, seconds });
      }
    }
    const jobs = ours.map((r) => ({ kind: r.kind, n: r.n, repeats: repeatsFor(r.n, ctx.quick) }));
    const base = (await ctx.runPython('eigensolves_numpy.py', [JSON.stringify(jobs), String(ctx.threads)], ['numpy'])) as NumpyResult | null;
    return ours.map((r): BenchRow => {
      const solve = SOLVES.find((s) => s.kind === r.kind)!;
      const seconds = base?.seconds[`${r.kind} ${r.n}`] ?? null;
      const missing = base === null ? 'numpy not available' : seconds === null ? `${solve.baseline} not available (pip install scipy)` : undefined;
      return {
        suite: 'eigensolves',
        name: `${r.kind} N=${r.n}`,
        params: { N: r.n, kind: r.kind, threads: ctx.threads, solver: lapack.loaded ? 'lapack' : 'eigen' },
        metric: 's',
        higherIsBetter: false,
        ours: r.seconds,
        baseline: seconds,
        baselineName: seconds === null ? null : `${solve.baseline} (numpy ${base!.numpy}${base!.scipy ? `, scipy ${base!.scipy}` : ''})`,
        target: r.n === 512 || r.n === 2048 ? 1 : undefined,
        note: missing ?? solver,
      };
    });
  },
};
