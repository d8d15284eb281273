// Ctrl-C in the long commands: the first SIGINT aborts the running job through an AbortSignal, so that the command
// can save what is finished and say where (exit status 130); a second Ctrl-C ends the process at once (Node's
// default, restored after the first).

/** The AbortSignal a long command passes to its job, fired by the first Ctrl-C. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return controller.signal;
}

/** True for the error an aborted job throws. */
export function isAbort(err: unknown): boolean {
  return (err as Error | null)?.name === 'AbortError';
}

/** The job's result, or undefined when it was aborted (other errors are rethrown). */
export function unlessAborted<T>(job: Promise<T>): Promise<T | undefined> {
  return job.catch((err: unknown) => (isAbort(err) ? undefined : Promise.reject(err)));
}

/**
 * After a Ctrl-C: one stderr line naming the files that keep the finished work (or saying that none was finished),
 * even under --json, and exit status 130 (128 + SIGINT).
 */
export function reportInterrupted(files: readonly string[], what = 'the finished work'): void {
  process.stderr.write(files.length > 0 ? `interrupted: saved ${what} to ${files.join(', ')}\n` : 'interrupted: nothing saved (nothing was finished, or no output file was given)\n');
  process.exitCode = 130;
}
