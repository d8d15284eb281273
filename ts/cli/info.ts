// `lowrank info`: the package version, the compiled backends and the device in use, as JSON.
import type { Command } from 'commander';
import { backendInfo } from '../native/load.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the package version, the compiled backends, the device in use, and which binary was loaded and why (JSON)')
    .action(() => {
      process.stdout.write(JSON.stringify(backendInfo(), null, 2) + '\n');
    });
}
