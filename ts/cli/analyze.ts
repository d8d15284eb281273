// `lowrank analyze ...`: dynamics analyses of a saved model. Parses arguments and calls ts/analysis.
import { type Command, Option } from 'commander';
import * as analysis from '../analysis/index.js';
import { loadNpy } from '../io/index.js';
import { loadModel } from '../model/files.js';
import type { AnyModel } from '../model/index.js';
import { tasks } from '../tasks/index.js';
import type { Tensor } from '../core/tensor.js';
import { int, num, numbers, threads } from './args.js';
import { interruptSignal, reportInterrupted, unlessAborted } from './interrupt.js';
import { registerResultAnalyses } from './analyze-results.js';

interface FixedPointCliOptions {
  model: string;
  from?: string;
  task?: string;
  trials: number;
  input?: number[];
  count: number;
  perturbation: number;
  seed: number;
  tolerance?: number;
  unique?: number;
  maxIterations?: number;
  search: analysis.FixedPointSearchMethod;
  convention: 'continuous' | 'discrete';
  topology?: string;
  threads: number;
  device: 'auto' | 'cpu' | 'cuda';
  out: string;
  json?: boolean;
}

/** Adds the `analyze` command group to the program. */
export function registerAnalyze(program: Command): void {
  const analyze = program.command('analyze').description('reverse-engineer a saved network as a dynamical system');
  analyze
    .command('fixed-points')
    .description('fixed and slow points at a constant input, their stability, and optionally the topology graph (docs/analysis.md)')
    .requiredOption('--model <file.npz>', 'the model (a lowrank-rnn or reference .npz)')
    .option('--from <file.npy>', 'trajectories [B, T, N] or states [S, N] to start from')
    .option('--task <name>', `without --from: simulate trials of this task (noise off): ${tasks.names.join(', ')}`)
    .option('--trials <n>', 'trials simulated with --task', int('--trials'), 32)
    .option('--input <values>', 'the constant input, comma-separated (default zeros)', numbers('--input'))
    .option('--count <n>', 'initial states sampled from the trajectories', int('--count'), 256)
    .option('--perturbation <std>', 'std of the Gaussian perturbation added to each initial state', num('--perturbation'), 0)
    .option('--seed <n>', 'seed of the sampling (and of the trials with --task)', int('--seed', 0), 0)
    .option('--tolerance <q>', 'keep points with q below this times the median q along the trajectories (default 1e-4)', num('--tolerance'))
    .option('--unique <d>', 'merge points closer than this times the trajectories\' radius (default 1e-3)', num('--unique'))
    .option('--max-iterations <n>', 'Adam iterations per candidate (default 5000; selects the full search, or the Adam prefix of --search newton)', int('--max-iterations', 0))
    .addOption(new Option('--search <s>', "auto: the exact latent search for low-rank nets, Newton after 200 Adam iterations for full-rank ones, the full one elsewhere; latent, newton or full (docs/analysis.md)").choices(['auto', 'latent', 'newton', 'full']).default('auto'))
    .addOption(new Option('--convention <c>', 'stability convention').choices(['continuous', 'discrete']).default('continuous'))
    .option('--topology <file.npz>', 'also compute the topology graph (noisy restarts) and save it here')
    .option('--threads <n>', 'CPU threads (0 = all cores)', threads, 0)
    .addOption(new Option('--device <d>', 'where the model runs, and with it the first (Adam) phase of the search and the reduced eigenproblems').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .requiredOption('--out <file.npz>', 'where to save the fixed points (numpy-readable .npz)')
    .option('--json', 'print the summary as one JSON line')
    .action(runFixedPoints);
  registerResultAnalyses(analyze);
}

async function runFixedPoints(o: FixedPointCliOptions): Promise<void> {
  const model = await loadModel(o.model, { dtype: 'float64', device: o.device });
  try {
    const from = await startingStates(o, model);
    const signal = interruptSignal();
    const fps = await unlessAborted(findFixedPoints(o, model, from, signal));
    if (!fps) return reportInterrupted([]);
    await analysis.saveFixedPoints(o.out, fps);
    const types: Record<string, number> = {};
    for (const t of fps.stability.type) types[t] = (types[t] ?? 0) + 1;
    const summary: Record<string, unknown> = { points: fps.points.shape[0], types, method: fps.method, search: fps.search, seconds: fps.seconds, out: o.out };
    if (o.topology) {
      const topo = await unlessAborted(analysis.topology(model, fps, { seed: o.seed, threads: o.threads, signal }));
      if (!topo) return reportInterrupted([o.out], 'the fixed points');
      await analysis.saveTopology(o.topology, topo);
      summary.topology = o.topology;
    }
    if (o.json) process.stdout.write(JSON.stringify({ type: 'fixed-points', ...summary }) + '\n');
    else {
      const list = Object.entries(types).map(([t, k]) => `${k} ${t}`).join(', ');
      process.stderr.write(`${fps.points.shape[0]} points (${list}) in ${fps.seconds.toFixed(2)} s; saved ${o.out}\n`);
    }
  } finally {
    model.dispose();
  }
}

/** The trajectories the search starts from: --from, or the model's noise-free run on --task trials. */
async function startingStates(o: FixedPointCliOptions, model: AnyModel): Promise<Tensor> {
  if (o.from) return loadNpy(o.from, { dtype: 'float64' });
  if (!o.task) throw new RangeError('give --from <file.npy> (trajectories or states) or --task <name> to simulate them');
  const task = tasks.byName(o.task);
  if (task.inputSize !== model.inputSize) {
    throw new RangeError(`--task ${o.task} has ${task.inputSize} inputs but the model takes ${model.inputSize}`);
  }
  const sim = await model.simulate(task.sample(o.trials, { seed: o.seed }).inputs, { drawNoise: false, outputs: false });
  return sim.states!;
}

function findFixedPoints(o: FixedPointCliOptions, model: AnyModel, from: Tensor, signal: AbortSignal) {
  let phase = '';
  return analysis.fixedPoints(model, {
    from,
    inputs: o.input,
    count: o.count,
    perturbation: o.perturbation,
    seed: o.seed,
    tolerance: { q: o.tolerance, unique: o.unique },
    ...(o.maxIterations === undefined ? {} : { adam: { maxIterations: o.maxIterations } }),
    search: o.search,
    stability: { convention: o.convention },
    threads: o.threads,
    signal,
    onProgress: (p) => {
      if (o.json || p.phase === phase) return;
      phase = p.phase;
      process.stderr.write(`${p.phase}: ${p.total} ${p.phase === 'linearize' ? 'points' : 'candidates'}\n`);
    },
  });
}
