// The eigensolves suite of `lowrank bench`: dense eigenvalues, eigenvectors (right; left and right) and the thin SVD
// of N x N matrices, this package (LAPACK loaded at run time, else Eigen) against numpy/scipy on the same machine.
// Both sides decompose the same matrix (written to a temporary file that the python baseline reads), with the same
// thread count, the same warm-up, and interleaved: one of our runs, one of numpy's, one of numpy's, one of ours, ...
// so that a change in the machine's load (a shared machine) meets both alike, with a pause before each run (settle).
// Each side times the whole call a user makes (our promise from call to result; numpy's function call).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { eigen, type EigenVectors } from '../analysis/linear.js';
import { svd } from '../core/linalg.js';
import { Random } from '../core/random.js';
import { backendInfo } from '../native/load.js';
import { baselineFolder, missingPython, pythonCommand } from './index.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One kind of decomposition the suite times. */
interface Solve {
  /** The row's name and the numpy script's key. */
  kind: 'values' | 'right vectors' | 'left and right vectors' | 'svd';
  /** What numpy/scipy runs for it. */
  baseline: string;
  run(a: Float64Array, n: number, threads: number): Promise<unknown>;
}

const eigenSolve = (vectors: EigenVectors) => (a: Float64Array, n: number, threads: number) => eigen({ data: a, shape: [n, n] }, { vectors, threads });

const SOLVES: readonly Solve[] = [
  { kind: 'values', baseline: 'numpy.linalg.eigvals', run: eigenSolve('none') },
  { kind: 'right vectors', baseline: 'numpy.linalg.eig', run: eigenSolve('right') },
  { kind: 'left and right vectors', baseline: 'scipy.linalg.eig(left=True)', run: eigenSolve('both') },
  { kind: 'svd', baseline: 'numpy.linalg.svd(full_matrices=False)', run: (a, n, threads) => svd(a, n, n, n, { threads }) },
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

/**
 * Timed runs of one row on each side (LOWRANK_BENCH_EIGEN_REPEATS overrides): fewer for the large sizes and with
 * --quick; the median is reported.
 */
function repeatsFor(n: number, quick: boolean): number {
  const env = Number(process.env.LOWRANK_BENCH_EIGEN_REPEATS);
  if (Number.isInteger(env) && env > 0) return env;
  return n >= 1024 ? (quick ? 1 : 3) : quick ? 5 : 7;
}

/** A dense Jacobian-like test matrix: -I + g W with W ~ N(0, 1/N), g = 1.5 (complex pairs and a spread of scales). */
export function testMatrix(n: number, seed = 1): Float64Array {
  const rng = new Random(seed);
  const a = new Float64Array(n * n);
  const scale = 1.5 / Math.sqrt(n);
  for (let i = 0; i < a.length; i++) a[i] = scale * rng.normal();
  for (let i = 0; i < n; i++) a[i * n + i] -= 1;
  return a;
}

/**
 * A pause before each timed run while both sides run: OpenBLAS's threads keep spinning for a while after a call
 * returns (0.13 s for numpy's, measured with time.process_time() around a sleep after numpy.linalg.eigvals) and
 * would take the cores from the other side's next run. Below SETTLE_FROM (the tests' tiny matrices, a call of a few
 * ms on one thread) it is left out.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
const SETTLE_FROM = 256;

const median = (samples: number[]) => [...samples].sort((x, y) => x - y)[Math.floor(samples.length / 2)];

/** The python side (assets/bench/eigensolves_numpy.py): one JSON line per job, answered by one JSON line. */
class NumpyBaseline {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private stderr = '';
  private closed = false;

  constructor(threads: number) {
    this.child = spawn(pythonCommand(), [join(baselineFolder(), 'eigensolves_numpy.py'), String(threads)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const deliver = (line: string | null) => {
      const w = this.waiting;
      if (w) {
        this.waiting = null;
        w(line);
      } else if (line !== null) this.lines.push(line);
    };
    createInterface({ input: this.child.stdout }).on('line', deliver).on('close', () => {
      this.closed = true;
      deliver(null);
    });
  }

  /** The next line the script prints; an Error when it has exited. */
  async next(): Promise<unknown> {
    const line = this.lines.length ? this.lines.shift()! : this.closed ? null : await new Promise<string | null>((resolve) => (this.waiting = resolve));
    if (line === null) throw new Error(`eigensolves_numpy.py exited: ${this.stderr.trim().split('\n').slice(-5).join('\n')}`);
    return JSON.parse(line);
  }

  /** One timed run of `kind` on the n x n matrix in `path`: seconds, or null where the baseline cannot run it. */
  async run(kind: Solve['kind'], n: number, path: string): Promise<number | null> {
    this.child.stdin.write(`${JSON.stringify({ kind, n, path })}\n`);
    return ((await this.next()) as { seconds: number | null }).seconds;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** `lowrank bench eigensolves`. */
export const eigensolvesSuite: BenchSuite = {
  name: 'eigensolves',
  description: 'dense eigenvalues, eigenvectors (right; left and right) and SVD at N = 512 and 2048 against numpy/scipy (LAPACK), interleaved, same matrices',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const ns = sizes(ctx.quick);
    const lapack = backendInfo().lapack;
    const solver = lapack.loaded ? `LAPACK (${lapack.library})` : `Eigen (${lapack.reason})`;
    const missing = missingPython(['numpy']);
    if (missing) ctx.log(`baseline eigensolves_numpy.py skipped: ${missing}`);
    const numpy = missing ? null : new NumpyBaseline(ctx.threads);
    const versions = numpy ? ((await numpy.next()) as { numpy: string; scipy: string | null }) : null;
    const folder = mkdtempSync(join(tmpdir(), 'lowrank-eigensolves-'));
    const rows: BenchRow[] = [];
    try {
      for (const n of ns) {
        const a = testMatrix(n);
        const path = join(folder, `${n}.f64`);
        writeFileSync(path, new Uint8Array(a.buffer, a.byteOffset, a.byteLength)); // little-endian, as numpy reads it
        for (const s of SOLVES) {
          const ours: number[] = [];
          const theirs: number[] = [];
          let available = numpy !== null;
          const oursOnce = async () => {
            const t0 = performance.now();
            await s.run(a, n, ctx.threads);
            ours.push((performance.now() - t0) / 1000);
          };
          const theirsOnce = async () => {
            const t = available ? await numpy!.run(s.kind, n, path) : null;
            if (t === null) available = false;
            else theirs.push(t);
          };
          if (n <= 512) {
            // one untimed run on each side
            await s.run(a, n, ctx.threads);
            if (available && (await numpy!.run(s.kind, n, path)) === null) available = false;
          }
          for (let r = 0; r < repeatsFor(n, ctx.quick); r++) {
            ctx.signal?.throwIfAborted();
            for (const side of r % 2 === 0 ? [oursOnce, theirsOnce] : [theirsOnce, oursOnce]) {
              if (available && n >= SETTLE_FROM) await settle();
              await side();
            }
          }
          const seconds = median(ours);
          const baseline = theirs.length ? median(theirs) : null;
          const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
          ctx.log(`eigensolves: ${s.kind}, N = ${n}: ${seconds.toFixed(3)} s (${solver}; runs ${list(ours)}); numpy ${baseline === null ? '-' : `${baseline.toFixed(3)} s (runs ${list(theirs)})`}`);
          rows.push({
            suite: 'eigensolves',
            name: `${s.kind} N=${n}`,
            params: { N: n, kind: s.kind, threads: ctx.threads, solver: lapack.loaded ? 'lapack' : 'eigen', repeats: ours.length },
            metric: 's',
            higherIsBetter: false,
            ours: seconds,
            baseline,
            baselineName: baseline === null ? null : `${s.baseline} (numpy ${versions!.numpy}${versions!.scipy ? `, scipy ${versions!.scipy}` : ''})`,
            target: n === 512 || n === 2048 ? 1 : undefined,
            note: numpy === null ? 'numpy not available' : baseline === null ? `${s.baseline} not available (pip install scipy)` : `${solver}; median of ${ours.length} interleaved runs each`,
          });
        }
      }
    } finally {
      numpy?.close();
      rmSync(folder, { recursive: true, force: true });
    }
    return rows;
  },
};
