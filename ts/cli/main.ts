// The `lowrank` command line: one file per command, each parsing its arguments and calling the domain modules;
// this file only wires them.
import { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerBench } from './bench.js';
import { registerBuild } from './build.js';
import { registerDemo } from './demo.js';
import { registerFit } from './fit.js';
import { registerInfo } from './info.js';
import { registerPopulations } from './populations.js';
import { registerPartialObservation } from './partial-observation.js';
import { registerRecordings } from './recordings.js';
import { registerTrain } from './train.js';
import { checkOutputOptions } from './outputs.js';
import { registerPlot } from './plot.js';
import { registerReport } from './report.js';
import { registerSweep } from './sweep.js';
import { packageVersion } from '../native/load.js';
import { recordCommandLine } from '../results/format.js';

const program = new Command('lowrank')
  .description('Train, fit and analyse low-rank and full-rank recurrent neural networks (native C++/CUDA engine).')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .hook('preAction', (_program, command) => checkOutputOptions(command.opts(), command.name()));

registerInfo(program);
registerTrain(program);
registerFit(program);
registerDemo(program);
registerAnalyze(program);
registerBuild(program);
registerRecordings(program);
registerPopulations(program);
registerPartialObservation(program);
registerPlot(program);
registerReport(program);
registerSweep(program);
registerBench(program);
recordCommandLine(['lowrank', ...process.argv.slice(2)]);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`lowrank: ${err.message}\n`);
  process.exitCode = 1;
});
