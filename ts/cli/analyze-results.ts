// `lowrank analyze latent-flow | linearize | meanfield | measures`: the analyses whose result files `lowrank plot`
// and `lowrank report` read. Parses arguments and calls ts/report/analyses.ts (which calls ts/analysis).
import type { Command } from 'commander';
import { loadNpy } from '../io/index.js';
import { loadModel } from '../model/files.js';
import type { AnyModel } from '../model/index.js';
import type { Tensor } from '../core/tensor.js';
import { loadFixedPoints } from '../analysis/fixed-point-files.js';
import { tasks } from '../tasks/index.js';
import {
  latentFlowAnalysis,
  linearizeAnalysis,
  meanFieldAnalysis,
  measuresAnalysis,
  saveAnalysisResult,
  taskStates,
  type AnalysisResult,
  type LatentFlowOptions,
} from '../report/analyses.js';
import { int, numbers } from './args.js';

interface Common {
  model: string;
  out: string;
  json?: boolean;
}

interface GridCli extends Common {
  input?: number[];
  resolution?: number;
  range?: number[];
  axes?: number[];
  at?: number[];
}

interface StatesCli extends Common {
  from?: string;
  fixedPoints?: string;
  task?: string;
  trials: number;
  seed: number;
  input?: number[];
  initial?: string;
  components: number;
}

/** Adds latent-flow, linearize, meanfield and measures to the `analyze` group. */
export function registerResultAnalyses(analyze: Command): void {
  const grid = (c: Command) =>
    c
      .requiredOption('--model <file.npz>', 'a low-rank model (a lowrank-rnn or reference .npz)')
      .option('--input <values>', 'the constant input, comma-separated (default zeros)', numbers('--input'))
      .option('--resolution <n>', 'grid cells per axis (default 50)', int('--resolution'))
      .option('--range <min,max>', 'the range of each plotted kappa axis (default -3,3)', numbers('--range'))
      .option('--axes <i,j>', 'rank >= 3: the two kappa axes of the slice, from 0 (default 0,1)', numbers('--axes'))
      .option('--at <values>', 'rank >= 3: the value of every kappa coordinate off the slice (default zeros)', numbers('--at'))
      .requiredOption('--out <file.npz>', 'where to save the result (numpy-readable .npz)')
      .option('--json', 'print the summary as one JSON line');
  grid(analyze.command('latent-flow').description('the latent flow of a low-rank net on a grid, and its latent fixed points (docs/figures.md)')).action((o: GridCli) =>
    run(o, (model) => latentFlowAnalysis(model, gridOptions(o, model))),
  );
  grid(analyze.command('meanfield').description('the finite-N latent flow against the mean-field flow of the connectivity statistics')).action((o: GridCli) =>
    run(o, (model) => meanFieldAnalysis(model, gridOptions(o, model))),
  );
  const states = (c: Command) =>
    c
      .requiredOption('--model <file.npz>', 'the model (a lowrank-rnn or reference .npz)')
      .option('--from <file.npy>', 'states [S, N] or trajectories [B, T, N]')
      .option('--task <name>', `without --from: simulate trials of this task (noise off): ${tasks.names.join(', ')}`)
      .option('--trials <n>', 'trials simulated with --task', int('--trials'), 32)
      .option('--seed <n>', 'seed of the trials', int('--seed', 0), 0)
      .requiredOption('--out <file.npz>', 'where to save the result (numpy-readable .npz)')
      .option('--json', 'print the summary as one JSON line');
  states(analyze.command('linearize').description('eigenvalues of the Jacobian at given states or at fixed points, with their stability'))
    .option('--fixed-points <file.npz>', "linearize at the points of a fixed-point file ('lowrank analyze fixed-points'), at their inputs")
    .option('--input <values>', 'the constant input, comma-separated (default zeros)', numbers('--input'))
    .action((o: StatesCli) => run(o, (model) => linearizeCli(model, o)));
  states(analyze.command('measures').description('PCA of the states and the readout angles, non-normality and centrality of the connectivity, the weight change'))
    .option('--initial <file.npz>', 'the model before training, for the weight change')
    .option('--components <n>', 'principal components kept', int('--components'), 10)
    .action((o: StatesCli) => run(o, (model) => measuresCli(model, o)));
}

/** The grid options of the flags; --range applies to each plotted axis (one for rank 1, two otherwise). */
function gridOptions(o: GridCli, model: AnyModel): LatentFlowOptions {
  const options: LatentFlowOptions = {};
  if (o.input) options.inputs = o.input;
  if (o.resolution) options.resolution = o.resolution;
  if (o.axes) {
    if (o.axes.length !== 2) throw new RangeError(`--axes must be two kappa indices, e.g. 0,1; got ${o.axes.join(',')}`);
    options.axes = [o.axes[0], o.axes[1]];
  }
  if (o.at) options.at = o.at;
  if (o.range) {
    if (o.range.length !== 2 || !(o.range[0] < o.range[1])) throw new RangeError(`--range must be min,max with min < max; got ${o.range.join(',')}`);
    const plotted = 'rank' in model && (model as { rank: number }).rank === 1 ? 1 : 2;
    options.ranges = Array.from({ length: plotted }, () => [o.range![0], o.range![1]] as [number, number]);
  }
  return options;
}

async function run(o: Common, analyse: (model: AnyModel) => Promise<AnalysisResult>): Promise<void> {
  const model = await loadModel(o.model, { dtype: 'float64' });
  try {
    const r = await analyse(model);
    await saveAnalysisResult(o.out, r);
    const summary = { type: r.analysis, out: o.out, ...summaryFacts(r) };
    if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else process.stderr.write(`${r.analysis}: saved ${o.out}\n`);
  } finally {
    model.dispose();
  }
}

function summaryFacts(r: AnalysisResult): Record<string, unknown> {
  if (r.analysis === 'latent-flow') return { fixedPoints: (r.result.fixedPoints as { stability: string[] }).stability };
  if (r.analysis === 'linearize') return { stability: (r.result.stability as { type: string[] }).type };
  return r.meta;
}

/** States [S, N] to linearize at: a fixed-point file's points (with their inputs), --from, or a task's states. */
async function linearizeCli(model: AnyModel, o: StatesCli & { fixedPoints?: string }): Promise<AnalysisResult> {
  if (o.fixedPoints) {
    const fps = await loadFixedPoints(o.fixedPoints);
    if (fps.points.shape[0] === 0) throw new RangeError(`${o.fixedPoints} holds no fixed point to linearize at`);
    return linearizeAnalysis(model, fps.points, { inputs: fps.inputs });
  }
  const states = await statesOf(model, o, ', or --fixed-points <file.npz>');
  const N = model.size;
  const rows: Tensor = { data: states.data, shape: [states.data.length / N, N] };
  return linearizeAnalysis(model, rows, { inputs: o.input });
}

async function measuresCli(model: AnyModel, o: StatesCli): Promise<AnalysisResult> {
  const states = o.from || o.task ? await statesOf(model, o) : undefined;
  const initial = o.initial ? await loadModel(o.initial, { dtype: 'float64' }) : undefined;
  try {
    return await measuresAnalysis(model, { states, initial, components: o.components });
  } finally {
    initial?.dispose();
  }
}

async function statesOf(model: AnyModel, o: StatesCli, alternatives = ''): Promise<Tensor> {
  if (o.from) {
    const x = await loadNpy(o.from, { dtype: 'float64' });
    if (x.shape[x.shape.length - 1] !== model.size) throw new RangeError(`--from ${o.from} must hold states [..., ${model.size}] (the model's size); got [${x.shape.join(', ')}]`);
    return x;
  }
  if (!o.task) throw new RangeError(`give --from <file.npy> (states) or --task <name> to simulate them${alternatives}`);
  return (await taskStates(model, o.task, o.trials, o.seed)).states;
}
