// The bad-input corpus harness: each probe runs in its own child process (memory capped, with a timeout) and is
// classified as
//   clear    — an Error whose message says what was wrong (and matches the probe's pattern, when it has one);
//   crash    — a signal, a V8 or native abort, an unhandled rejection, a thrown non-Error, or an error that leaks an
//              internal failure ("Cannot read properties of undefined", "x is not a function", "Invalid array
//              length", ...);
//   hang     — the process outlived its timeout;
//   accepted — the bad input went through without an error;
//   unclear  — an error, but its message does not name what the probe broke (the probe's pattern).
// Probes are one line each (see `api` and `cli`), so new entries are appended to the tables in probes-*.ts.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export type Verdict = 'clear' | 'crash' | 'hang' | 'accepted' | 'unclear';

/** One probe: code run against the package (api) or a command line (cli). */
export interface Probe {
  readonly name: string;
  readonly kind: 'api' | 'cli';
  /** api: the body of an async function of L (the package), F (the fixtures folder) and H (helpers). */
  readonly code?: string;
  /** cli: the arguments of `lowrank`; `$F` stands for the fixtures folder. */
  readonly args?: readonly string[];
  /** What the error message must match (the argument it names, the limit it gives). */
  readonly message?: RegExp;
  /** Seconds before the probe counts as hung (default 15). */
  readonly timeout?: number;
  /** Consecutive api probes with the same key share one process (cheap generic probes); a crash fails the rest. */
  readonly batch?: string;
}

/** What a probe did and its verdict. */
export interface Outcome {
  readonly probe: Probe;
  readonly verdict: Verdict;
  /** The error message, the exit status or what was returned. */
  readonly detail: string;
  readonly seconds: number;
}

/** A probe of the public API (code: an async function body over L, F, H). */
export const api = (name: string, code: string, message?: RegExp, timeout?: number): Probe => ({ name, kind: 'api', code, message, timeout });

/** A probe of the command line, named 'lowrank <name>' (args: one string split at spaces, or an array for arguments with spaces). */
export const cli = (name: string, args: string | readonly string[], message?: RegExp, timeout?: number): Probe => ({
  name: `lowrank ${name}`,
  kind: 'cli',
  args: typeof args === 'string' ? args.split(/\s+/).filter(Boolean) : args,
  message,
  timeout,
});

/** Messages that leak an internal failure rather than say what the user got wrong. */
export const VAGUE =
  /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Invalid array length|Invalid typed array length|Array buffer allocation failed|Maximum call stack|bad_alloc|std::|Cannot convert undefined|Cannot convert a Symbol|of undefined|of null\b/;

const ABORT = /FATAL ERROR|Aborted|core dumped|Segmentation fault|heap out of memory|terminate called|Assertion .* failed/;

/** Memory cap of one probe process (ulimit -d, KiB): a size check that is missing fails fast instead of swapping. */
const MEMORY_KIB = 3_000_000;

const child = join(import.meta.dirname, 'probe-child.mjs');

/** The built package the probes run: dist/ of this checkout, or LOWRANK_CORPUS_DIST (to run the corpus on another build). */
export function distDir(): string {
  return process.env.LOWRANK_CORPUS_DIST ?? join(import.meta.dirname, '..', '..', 'dist');
}

function spawnCapped(args: string[], cwd: string, timeoutSec: number): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const proc = spawn('bash', ['-c', `ulimit -d ${MEMORY_KIB}; exec ${quoted}`], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutSec * 1000);
    proc.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function lastLines(text: string, n = 3): string {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 400);
}

function judgeMessage(probe: Probe, message: string): Verdict {
  if (VAGUE.test(message)) return 'crash';
  if (message.trim().length < 10) return 'unclear';
  if (probe.message && !probe.message.test(message)) return 'unclear';
  return 'clear';
}

function judgeApi(probe: Probe, result: { outcome: string; value?: string; isError?: boolean; name?: string; message?: string; at?: string }, seconds: number): Outcome {
  if (result.outcome === 'returned') return { probe, verdict: 'accepted', detail: `returned ${result.value}`, seconds };
  const detail = `${result.name}: ${result.message}`;
  if (!result.isError) return { probe, verdict: 'crash', detail: `threw a non-Error: ${detail}`, seconds };
  const vague = VAGUE.test(result.message!);
  return { probe, verdict: judgeMessage(probe, result.message!), detail: `${detail}${vague ? ` (${result.at})` : ''}`, seconds };
}

/** Runs API probes in one child process (one probe, or a batch of cheap ones) and classifies each. */
async function runApi(probes: readonly Probe[], fixtures: string, scratch: string): Promise<Outcome[]> {
  const single = probes.length === 1 && !probes[0].batch;
  const code = single ? probes[0].code! : JSON.stringify(probes.map((p) => ({ name: p.name, code: p.code })));
  const timeout = Math.max(...probes.map((p) => p.timeout ?? 15)) + (single ? 0 : 2 * probes.length);
  const r = await spawnCapped([process.execPath, '--max-old-space-size=1024', child, distDir(), fixtures, code], scratch, timeout);
  const results = new Map<string, Parameters<typeof judgeApi>[1]>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('PROBE-RESULT ')) continue;
    const { probe: name, ...result } = JSON.parse(line.slice("PROBE-RESULT ".length));
    results.set(single ? probes[0].name : name, result);
  }
  const seconds = r.seconds / probes.length;
  let failedFirst = false;
  return probes.map((probe) => {
    const result = results.get(probe.name);
    if (result) return judgeApi(probe, result, seconds);
    const first = !failedFirst;
    failedFirst = true;
    const why = r.timedOut ? `no answer in ${timeout} s` : `status ${r.status} signal ${r.signal}: ${lastLines(r.stderr)}`;
    const verdict: Verdict = r.timedOut ? 'hang' : 'crash';
    return { probe, verdict, detail: first ? why : `not run: an earlier probe of its batch failed (${why})`, seconds };
  });
}

/** Runs one CLI probe in a child process and classifies it. */
async function runCli(probe: Probe, fixtures: string, scratch: string): Promise<Outcome> {
  const timeout = probe.timeout ?? 15;
  const args = probe.args!.map((a) => a.replaceAll('$F', fixtures));
  const r = await spawnCapped([process.execPath, '--max-old-space-size=1024', join(distDir(), 'cli.js'), ...args], scratch, timeout);
  if (r.timedOut) return { probe, verdict: 'hang', detail: `no answer in ${timeout} s`, seconds: r.seconds };
  if (r.signal || (r.status ?? 0) >= 128 || ABORT.test(r.stderr)) {
    return { probe, verdict: 'crash', detail: `status ${r.status} signal ${r.signal}: ${lastLines(r.stderr)}`, seconds: r.seconds };
  }
  if (r.status === 0) return { probe, verdict: 'accepted', detail: `exit 0: ${lastLines(r.stdout, 1)}`, seconds: r.seconds };
  const message = r.stderr.split('\n').filter((l) => l.startsWith('lowrank:') || l.startsWith('error:')).join(' ') || lastLines(r.stderr);
  if (/\n\s+at /.test(r.stderr) || /lowrank: undefined/.test(r.stderr)) return { probe, verdict: 'crash', detail: lastLines(r.stderr), seconds: r.seconds };
  return { probe, verdict: judgeMessage(probe, message), detail: message.slice(0, 400), seconds: r.seconds };
}

/** The units a corpus runs: one probe each, or the consecutive probes that share a batch key. */
function units(probes: readonly Probe[]): Probe[][] {
  const out: Probe[][] = [];
  for (const p of probes) {
    const last = out[out.length - 1];
    if (p.batch && last && last[0].batch === p.batch) last.push(p);
    else out.push([p]);
  }
  return out;
}

/** Runs the probes, `parallel` processes at a time; calls `done` after each unit. Outcomes are in the probes' order. */
export async function runCorpus(probes: readonly Probe[], fixtures: string, scratch: string, parallel = 2, done?: (o: Outcome[]) => void): Promise<Outcome[]> {
  const work = units(probes);
  const results: Outcome[][] = new Array(work.length);
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const i = next++;
      const unit = work[i];
      results[i] = unit[0].kind === 'cli' ? [await runCli(unit[0], fixtures, scratch)] : await runApi(unit, fixtures, scratch);
      done?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results.flat();
}

/** Counts per verdict. */
export function tally(outcomes: readonly Outcome[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { clear: 0, crash: 0, hang: 0, accepted: 0, unclear: 0 };
  for (const o of outcomes) counts[o.verdict] += 1;
  return counts;
}

/**
 * For the property tests: runs `call` and returns the error it threw (undefined when it returned), after checking
 * that the error is an Error of one of `names`, with a message that is not vague (see VAGUE) and says something.
 */
export async function clearErrorOf(call: () => unknown, names: readonly string[]): Promise<Error | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    if (!(err instanceof Error)) throw new Error(`threw a non-Error: ${String(err)}`);
    if (!names.includes(err.name)) throw new Error(`threw ${err.name} (expected ${names.join(' or ')}): ${err.message}`);
    if (VAGUE.test(err.message) || err.message.length < 10) throw new Error(`threw a vague message: ${err.message}\n${err.stack}`);
    return err;
  }
}
