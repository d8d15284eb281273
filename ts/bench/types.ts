// The shapes shared by the benchmark suites of `lowrank bench` (ts/bench/) and the bench/*.mjs scripts.

/** What a benchmark suite gets from `lowrank bench`. */
export interface BenchContext {
  /** `--quick`: the target rows only, with short timings. */
  quick: boolean;
  /** Threads for the engine and for the baseline. */
  threads: number;
  /** True when a CUDA device is present and the CUDA backend loaded: suites add their GPU rows. */
  cuda: boolean;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** A progress line (stderr). */
  log(line: string): void;
  /**
   * Runs a baseline script shipped in assets/bench/ with python3 and parses the last line of its stdout as JSON; null
   * (and one logged line saying how to install what is missing) when python3 or the script's modules are missing.
   */
  runPython(script: string, args: readonly string[], modules?: readonly string[]): Promise<unknown | null>;
}

/** One row of the side-by-side table. */
export interface BenchRow {
  /** The suite's name, e.g. 'training-step'. */
  suite: string;
  /** The row's name, e.g. 'low-rank N=512 R=1 B=32 T=75'. */
  name: string;
  /** The row's parameters (shape, sizes, thread count). */
  params: Record<string, number | string>;
  /** What `ours` and `baseline` measure, e.g. 'ms/step', 's', 'fits/h'. */
  metric: string;
  /** True for throughputs (fits/h), false for times. */
  higherIsBetter: boolean;
  /** This package's figure. */
  ours: number;
  /** The baseline's figure, or null when it did not run. */
  baseline: number | null;
  /** What the baseline is, e.g. 'PyTorch 2.13 (reference-style loop)'; null when it did not run. */
  baselineName: string | null;
  /** The speed-up this row should reach, when the project has a target for it. */
  target?: number;
  /** Coverage, why the baseline is missing, and the like. */
  note?: string;
}

/** A group of rows `lowrank bench` can run (`lowrank bench <suite>`). */
export interface BenchSuite {
  /** Name on the command line, e.g. 'training-step'. */
  name: string;
  /** One line for `lowrank bench --list`. */
  description: string;
  /** Runs the suite's rows, baselines side by side. */
  run(context: BenchContext): Promise<BenchRow[]>;
}
