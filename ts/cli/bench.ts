// `lowrank bench [SUITE...] [--quick] [--threads N] [--json FILE] [--list]`: this package against its PyTorch and
// numpy baselines on the user's machine (ts/bench), one side-by-side table with the machine's description.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BENCH_SUITES, formatReport, runBench } from '../bench/index.js';
import { checkOutputPath } from '../io/files.js';
import { threads } from './args.js';

interface BenchCliOptions {
  quick?: boolean;
  threads?: number;
  json?: string;
  list?: boolean;
}

/** Adds the `bench` command to the program. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time this package against PyTorch / numpy baselines on this machine and print the side-by-side table (docs/bench.md)')
    .argument('[suite...]', `the suites to run (default: all): ${BENCH_SUITES.map((s) => s.name).join(', ')}`)
    .option('--quick', 'the target rows only, with short timings')
    .option('--threads <n>', 'threads of the engine and of the baselines (default: every hardware thread)', threads)
    .option('--json <file>', 'also write the machine description and the rows as JSON')
    .option('--list', 'list the suites and exit')
    .action(runBenchCommand);
}

async function runBenchCommand(suites: string[], o: BenchCliOptions): Promise<void> {
  if (o.list) {
    for (const s of BENCH_SUITES) process.stdout.write(`${s.name.padEnd(16)} ${s.description}\n`);
    return;
  }
  if (o.json) await checkOutputPath(o.json, '--json');
  // LAPACK (OpenBLAS) is loaded at the first eigensolve and reads its thread count then.
  if (o.threads && !process.env.LOWRANK_LAPACK_THREADS) process.env.LOWRANK_LAPACK_THREADS = String(o.threads);
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  try {
    const report = await runBench({ suites, quick: o.quick, threads: o.threads, signal: controller.signal, log: (line) => process.stderr.write(`${line}\n`) });
    process.stdout.write(formatReport(report) + '\n');
    if (o.json) {
      writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
      process.stderr.write(`bench: wrote ${o.json}\n`);
    }
  } finally {
    process.off('SIGINT', stop);
  }
}
