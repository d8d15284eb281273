// `lowrank plot KIND --from RESULT.npz --out FIG.svg|png`: one figure of a result file (ts/plot).
import { type Command, Option } from 'commander';
import { FIGURE_DEFAULTS, FIGURE_KINDS, figureFromFile, saveFigure, type FigureKind } from '../plot/index.js';
import { tasks } from '../tasks/index.js';
import { int } from './args.js';

interface PlotCliOptions {
  from: string;
  out: string;
  width?: number;
  height?: number;
  task?: string;
  preset?: string;
  trials: number;
  seed: number;
  condition?: string;
  points?: string;
  maxPoints: number;
}

/** Adds the `plot` command to the program. */
export function registerPlot(program: Command): void {
  program
    .command('plot')
    .description('draw one figure of a result file as SVG or PNG (docs/figures.md)')
    .addArgument(program.createArgument('<kind>', 'the figure').choices(FIGURE_KINDS))
    .requiredOption('--from <file.npz>', 'the result file (or model file) the figure reads')
    .requiredOption('--out <file>', 'the figure: .svg, or .png')
    .option('--width <px>', 'PNG width in pixels', int('--width'))
    .option('--height <px>', 'PNG height in pixels', int('--height'))
    .option('--task <name>', `figures of a model: the task it runs (default: the one its file records): ${tasks.names.join(', ')}`)
    .option('--preset <name>', "the task's constants: 'lint' or 'populations'")
    .option('--trials <n>', 'figures of a model: trials simulated', int('--trials'), FIGURE_DEFAULTS.trials)
    .option('--seed <n>', 'figures of a model: seed of the trials and the noise', int('--seed', 0), FIGURE_DEFAULTS.seed)
    .option('--condition <key>', 'psychometric: the condition on the x axis (default: a coherence)')
    .option('--max-points <n>', 'connectivity, gains: neurons drawn at most, every k-th (0 = all)', int('--max-points', 0), FIGURE_DEFAULTS.maxPoints)
    .addOption(new Option('--points <file.npz>', 'topology: the fixed-point file the graph was computed from (places the nodes)'))
    .action(runPlot);
}

async function runPlot(kind: FigureKind, o: PlotCliOptions): Promise<void> {
  const spec = await figureFromFile(kind, o.from, { task: o.task, preset: o.preset, trials: o.trials, seed: o.seed, condition: o.condition, points: o.points, maxPoints: o.maxPoints });
  await saveFigure(o.out, spec, { width: o.width, height: o.height });
  process.stderr.write(`${kind}: saved ${o.out}\n`);
}
