// A python3 bridge for tests that compare against numpy / scipy / sklearn run side by side.
import { spawnSync } from 'node:child_process';

/** Whether python3 can import `modules`, checked once per call; `reason` says why not (or the versions found). */
export function pythonWith(modules: string[]): { available: boolean; reason: string } {
  const script = `import ${modules.join(', ')}\nprint(' '.join(m.__name__ + ' ' + getattr(m, '__version__', '?') for m in [${modules.join(', ')}]))`;
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  if (r.error) return { available: false, reason: `python3 not found (${r.error.message})` };
  if (r.status !== 0) {
    return { available: false, reason: `python3 cannot import ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()} (pip install ${modules.join(' ')})` };
  }
  return { available: true, reason: r.stdout.trim() };
}

/** Runs a python3 script (with `args` as sys.argv[1:]) and returns its stdout; throws with stderr on failure. */
export function runPython(script: string, args: string[] = []): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return r.stdout;
}
