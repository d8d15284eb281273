// `lowrank recordings inspect FILE`: what a recording file holds (NWB tables and series, HDF5 datasets, MATLAB
// variables), before fitting it with `lowrank fit --nwb` or `--mat`.
import type { Command } from 'commander';
import { inspectFile } from '../recordings/index.js';

export function registerRecordings(program: Command): void {
  const recordings = program.command('recordings').description('look into recording files (NWB, HDF5, MATLAB)');
  recordings
    .command('inspect <file>')
    .description('list what a recording file holds: units, trials and their columns, time series (NWB), datasets (HDF5), variables (MATLAB)')
    .action(async (file: string) => {
      process.stdout.write((await inspectFile(file)) + '\n');
    });
}
