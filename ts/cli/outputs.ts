// Output paths are checked before a command starts its work (a preAction hook in main.ts), so that a bad --out
// fails at once instead of after a long training or fit.
import { checkOutputDirectory, checkOutputPath } from '../io/files.js';

/** The options of any command that name a file it writes, and those that name a directory it writes into. */
const FILE_OPTIONS = { out: '--out', topology: '--topology', saveModel: '--save-model', table: '--table', checkpoint: '--checkpoint' } as const;
const DIRECTORY_OPTIONS = { outDir: '--out-dir' } as const;

/** Commands that check their own outputs: `build --out` is a folder relative to the package, not to the working directory. */
const OWN_CHECKS = new Set(['build']);

/**
 * Checks every output path among a command's parsed options (see checkOutputPath and checkOutputDirectory), except for
 * the commands that check their own.
 */
export async function checkOutputOptions(options: Record<string, unknown>, command = ''): Promise<void> {
  if (OWN_CHECKS.has(command)) return;
  for (const [key, flag] of Object.entries(FILE_OPTIONS)) {
    if (typeof options[key] === 'string') await checkOutputPath(options[key] as string, flag);
  }
  for (const [key, flag] of Object.entries(DIRECTORY_OPTIONS)) {
    if (typeof options[key] === 'string') await checkOutputDirectory(options[key] as string, flag);
  }
}
