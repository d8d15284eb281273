// `lowrank bench`: the suites, the context they run in (threads, CUDA, the python3 baselines shipped in
// assets/bench/), the machine's description and the side-by-side table.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { backendInfo, packageRoot } from '../native/load.js';
import { eigensolvesSuite } from './eigensolves.js';
import { ensemblesSuite } from './ensembles.js';
import { fixedPointsSuite } from './fixed-points.js';
import { trainingStepSuite } from './training-step.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

export type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** Every suite `lowrank bench` knows, in the order a plain `lowrank bench` runs them (one line per suite). */
export const BENCH_SUITES: readonly BenchSuite[] = [
  trainingStepSuite,
  eigensolvesSuite,
  fixedPointsSuite,
  ensemblesSuite,
];

/** The python3 that runs the baselines: LOWRANK_PYTHON, else `python3` on PATH. */
export function pythonCommand(): string {
  return process.env.LOWRANK_PYTHON || 'python3';
}

/** The folder of the baseline scripts (assets/bench/ of the installed package). */
export function baselineFolder(): string {
  return join(packageRoot(), 'assets', 'bench');
}

/** What python3 lacks of `modules`, as one line that says how to install it; null when nothing is missing. */
export function missingPython(modules: readonly string[], python = pythonCommand()): string | null {
  const probe = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], { encoding: 'utf8' });
  const pip = `pip install ${['torch', 'numpy', 'scipy'].filter((m) => modules.includes(m) || m === 'numpy').join(' ')}`;
  if (probe.error) return `${python} was not found (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}): install Python 3, then ${pip} (or point LOWRANK_PYTHON at a python3 that has them)`;
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').pop() ?? '';
    return `${python} cannot import ${modules.join(', ')} (${last}): ${pip}`;
  }
  return null;
}

/** Runs assets/bench/<script> with python3 and returns its last stdout line parsed as JSON (see BenchContext.runPython). */
async function runBaseline(script: string, args: readonly string[], modules: readonly string[], log: (line: string) => void, signal?: AbortSignal): Promise<unknown | null> {
  const python = pythonCommand();
  const missing = missingPython(modules, python);
  if (missing) {
    log(`baseline ${script} skipped: ${missing}`);
    return null;
  }
  const path = join(baselineFolder(), script);
  if (!existsSync(path)) throw new Error(`the baseline script ${path} is missing from this installation`);
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path, ...args], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} did not end with a JSON line; its last line was ${JSON.stringify(last)}`));
      }
    });
  });
}

/** The machine a table was measured on. */
export interface MachineDescription {
  cpu: string;
  /** Hardware threads the OS offers. */
  cores: number;
  /** The SIMD instruction sets the loaded addon was compiled for. */
  simd: string;
  /** Threads of this run (engine and baselines). */
  threads: number;
  /** The dense eigensolver and SVD: the LAPACK library loaded, or Eigen. */
  lapack: string;
  /** The CUDA device used, or null. */
  gpu: string | null;
  node: string;
  /** The addon loaded. */
  binary: string;
  /** Versions of the baselines' python modules, null when missing. */
  python: { torch: string | null; numpy: string | null; scipy: string | null };
  /** The 1-minute load average when the run started (a busy machine skews timings). */
  loadAverage: number;
}

/** CPU, cores, SIMD level, threads, LAPACK, GPU and the baselines' versions. */
export function describeMachine(threads: number, cuda: boolean): MachineDescription {
  const info = backendInfo();
  const probe = spawnSync(pythonCommand(), ['-c', `import importlib, json
out = {}
for m in ('torch', 'numpy', 'scipy'):
    try:
        out[m] = importlib.import_module(m).__version__
    except Exception:
        out[m] = None
print(json.dumps(out))`], { encoding: 'utf8' });
  let python = { torch: null, numpy: null, scipy: null };
  try {
    if (probe.status === 0) python = JSON.parse(probe.stdout.trim().split('\n').pop()!);
  } catch {
    // leave them null
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    simd: info.simd,
    threads,
    lapack: info.lapack.loaded ? `${info.lapack.library}${info.lapack.threads ? ` (${info.lapack.threads} BLAS threads)` : ''}` : `none, Eigen (${info.lapack.reason})`,
    gpu: cuda ? (info.cuda.devices[0]?.name ?? null) : null,
    node: process.version,
    binary: info.binary,
    python,
    loadAverage: loadavg()[0],
  };
}

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Suite names (default: every suite). */
  suites?: readonly string[];
  /** Target rows only, short timings. */
  quick?: boolean;
  /** Threads of the engine and the baselines (default: the hardware threads). */
  threads?: number;
  signal?: AbortSignal;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** What {@link runBench} returns (and `--json` writes). */
export interface BenchReport {
  /** ISO time the run started. */
  started: string;
  machine: MachineDescription;
  rows: BenchRow[];
}

/** The suites named, in the order given; an unknown name is a RangeError that lists the known ones. */
export function selectSuites(names: readonly string[] | undefined): BenchSuite[] {
  if (!names || names.length === 0) return [...BENCH_SUITES];
  return names.map((name) => {
    const suite = BENCH_SUITES.find((s) => s.name === name);
    if (!suite) throw new RangeError(`bench: unknown suite '${name}'; the suites are ${BENCH_SUITES.map((s) => s.name).join(', ')}`);
    return suite;
  });
}

/** Runs the suites and returns the machine's description and every row. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const suites = selectSuites(opts.suites);
  const threads = opts.threads && opts.threads > 0 ? opts.threads : availableParallelism();
  const log = opts.log ?? (() => {});
  const info = backendInfo({ device: 'auto' });
  const cuda = info.cuda.available;
  const started = new Date().toISOString();
  const machine = describeMachine(threads, cuda);
  const ctx: BenchContext = {
    quick: opts.quick ?? false,
    threads,
    cuda,
    signal: opts.signal,
    log,
    runPython: (script, args, modules = []) => runBaseline(script, args, modules, log, opts.signal),
  };
  const rows: BenchRow[] = [];
  for (const suite of suites) {
    log(`${suite.name}: ${suite.description}`);
    rows.push(...(await suite.run(ctx)));
  }
  return { started, machine, rows };
}

/** The baseline's figure over ours for times, ours over the baseline's for throughputs; null without a baseline. */
export function speedup(row: BenchRow): number | null {
  if (row.baseline === null || !(row.ours > 0) || !(row.baseline > 0)) return null;
  return row.higherIsBetter ? row.ours / row.baseline : row.baseline / row.ours;
}

const figure = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** The machine's description and one Markdown table of every row, with each row's speed-up and target. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `machine: ${m.cpu}, ${m.cores} hardware threads, SIMD ${m.simd}; ${m.threads} threads in this run; load average ${m.loadAverage.toFixed(2)}`,
    `GPU: ${m.gpu ?? 'none used'}; LAPACK: ${m.lapack}`,
    `node ${m.node}; torch ${m.python.torch ?? 'missing'}, numpy ${m.python.numpy ?? 'missing'}, scipy ${m.python.scipy ?? 'missing'}; started ${report.started}`,
    '',
    '| suite | row | metric | lowrank-rnn | baseline | speed-up | target | baseline is | note |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    const s = speedup(r);
    const cells = [
      r.suite, r.name, r.metric, figure(r.ours), r.baseline === null ? '-' : figure(r.baseline), s === null ? '-' : `${s >= 10 ? s.toFixed(0) : s.toPrecision(2)}x`,
      r.target === undefined ? '' : `${r.target}x${s !== null && s < r.target ? ' (missed)' : ''}`, r.baselineName ?? '-', r.note ?? '',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
