// Sweep plans: a JSON file declaring one job kind (a `lowrank` command: train, fit, populations,
// partial-observation), the options every job shares and a grid of options to vary. Every job is one point of the
// grid; its id is a hash of its full option set, so it stays the same across reruns and machines. Plans are checked
// in full (keys, grid sizes, every option of every job against the command's own parsers) before anything runs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Command, type Option } from 'commander';
import { checkObject, checkOptions, checkValue, is, show } from '../core/validate.js';
import { registerFit } from '../cli/fit.js';
import { registerPartialObservation } from '../cli/partial-observation.js';
import { registerPopulations } from '../cli/populations.js';
import { registerTrain } from '../cli/train.js';

/** The job kinds a plan may declare: each is the `lowrank` command (and subcommand) of that name, run once per job. */
export const JOB_KINDS = [
  'train',
  'fit',
  'populations cluster',
  'populations resample',
  'populations inactivate',
  'populations gains',
  'populations stability',
  'partial-observation estimate',
] as const;

/** One job kind (see {@link JOB_KINDS}). */
export type JobKind = (typeof JOB_KINDS)[number];

/** Options a plan may not set per job: the sweep sets them itself (--threads where the command takes it). */
const RESERVED = ['out', 'json', 'threads'];

let threaded: Set<string> | undefined;

/** Whether a job kind's command takes --threads. */
export function takesThreads(kind: JobKind): boolean {
  checkValue('takesThreads', 'kind', kind, is.oneOf(JOB_KINDS), 'argument');
  kindOptions(kind);
  return threaded!.has(kind);
}

/** Resources of each SLURM array task (passed to `sbatch`). */
export interface SlurmResources {
  /** `--partition`. */
  partition?: string;
  /** `--time`, e.g. '00:10:00'. */
  time?: string;
  /** `--mem`, e.g. '2G'. */
  mem?: string;
  /** `--cpus-per-task` (default: the plan's threads). */
  cpus?: number;
  /** GPUs per task, as `--gres=gpu:<n>`. */
  gpus?: number;
  /** At most this many array tasks at once (`--array=...%n`). */
  maxRunning?: number;
  /** Extra `sbatch` arguments, verbatim (e.g. ['--account=lab']). */
  extra?: string[];
}

/** A sweep plan as written in PLAN.json. */
export interface SweepPlan {
  /** The command each job runs. */
  kind: JobKind;
  /** Options every job gets (camelCase names of the command's flags, e.g. `batchSize` for --batch-size). */
  options?: Record<string, unknown>;
  /** Options to vary: each a non-empty list; the jobs are every combination. */
  grid: Record<string, unknown[]>;
  /** CPU threads per job (the command's --threads; default 1). */
  threads?: number;
  /** Jobs run at once by the local backend (default: cores / threads, at least 1). */
  workers?: number;
  /**
   * Local backend: `train` jobs that differ only in seed, lr, epochs, batchSize, clip, trials, earlyStop, lrSchedule,
   * noise, alpha or rho run as one ensemble per worker, each job's result unchanged (default true).
   */
  pack?: boolean;
  /** The largest grid accepted (default 10000). */
  maxJobs?: number;
  /** Where results go, relative to the plan file (default: '<plan name>.sweep'). */
  out?: string;
  /** SLURM resources. */
  slurm?: SlurmResources;
}

/** One job: its index in the grid, stable id and full option set. */
export interface SweepJob {
  /** Index in the grid (row-major over the grid's keys as written); the SLURM array index. */
  index: number;
  /** `<kind>-<10 hex digits>` of the hash of the kind and all options: stable across reruns. */
  id: string;
  /** The grid point (only the varied options). */
  params: Record<string, unknown>;
  /** All options (shared ones and the grid point). */
  options: Record<string, unknown>;
}

/** A checked plan with its jobs and paths. */
export interface LoadedPlan {
  /** The plan as given (defaults filled). */
  plan: Required<Omit<SweepPlan, 'slurm'>> & { slurm: SlurmResources };
  /** Absolute path of the plan file ('' for a plan given as an object). */
  path: string;
  /** Directory the jobs run in (the plan file's). */
  dir: string;
  /** Absolute results directory. */
  out: string;
  /** Every job of the grid. */
  jobs: SweepJob[];
}

const PLAN_RULES = {
  kind: is.oneOf(JOB_KINDS),
  options: is.anything(),
  grid: is.anything(),
  threads: is.threads(1),
  workers: is.integer(1, 1024),
  pack: is.boolean(),
  maxJobs: is.integer(1),
  out: is.string(),
  slurm: is.anything(),
};

const SLURM_RULES = {
  partition: is.string(),
  time: is.string(),
  mem: is.string(),
  cpus: is.integer(1),
  gpus: is.integer(0),
  maxRunning: is.integer(1),
  extra: is.anything(),
};

let commands: Map<string, Command> | undefined;

/** The options each job kind takes, read from its `lowrank` command (camelCase name -> commander Option). */
export function kindOptions(kind: JobKind): Map<string, Option> {
  checkValue('kindOptions', 'kind', kind, is.oneOf(JOB_KINDS), 'argument');
  if (!commands) {
    const program = new Command('lowrank');
    for (const register of [registerTrain, registerFit, registerPopulations, registerPartialObservation]) register(program);
    commands = new Map(program.commands.map((c) => [c.name(), c]));
  }
  const [name, sub] = kind.split(' ');
  const parent = commands.get(name);
  const command = sub ? parent?.commands.find((c) => c.name() === sub) : parent;
  if (!command || !JOB_KINDS.includes(kind)) throw new RangeError(`sweep plan: option 'kind' must be one of ${JOB_KINDS.join(', ')}; got ${show(kind)}`);
  threaded ??= new Set();
  if (command.options.some((o) => o.long === '--threads')) threaded.add(kind);
  return new Map(command.options.filter((o) => o.long && !RESERVED.includes(o.attributeName())).map((o) => [o.attributeName(), o]));
}

/** Checks one option value of a job against the command's flag (its type, parser and choices). */
function checkJobOption(where: string, name: string, value: unknown, option: Option): void {
  if (option.isBoolean()) {
    checkValue(where, name, value, is.boolean());
    return;
  }
  const text = flagText(value);
  if (text === undefined) {
    throw new TypeError(`${where}: option '${name}' (${option.long}) must be a number, a string or a list of numbers; got ${show(value)}`);
  }
  if (option.argChoices && !option.argChoices.includes(text)) {
    throw new RangeError(`${where}: option '${name}' (${option.long}) must be one of ${option.argChoices.join(', ')}; got ${show(value)}`);
  }
  try {
    option.parseArg?.(text, option.defaultValue as never);
  } catch (err) {
    throw new RangeError(`${where}: option '${name}' (${option.long}): ${(err as Error).message}`);
  }
}

/** The command-line text of an option value (lists joined by commas), or undefined for a value with none. */
export function flagText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' && Number.isFinite(v))) return value.join(',');
  return undefined;
}

/** The stable id of a job: its kind and a hash of its options (keys sorted). */
export function jobId(kind: JobKind, options: Record<string, unknown>): string {
  checkValue('jobId', 'kind', kind, is.oneOf(JOB_KINDS), 'argument');
  checkValue('jobId', 'options', options, is.object(), 'argument');
  const canonical = JSON.stringify(Object.keys(options).sort().map((k) => [k, options[k]]));
  return `${kind.replace(' ', '-')}-${createHash('sha256').update(`${kind}\n${canonical}`).digest('hex').slice(0, 10)}`;
}

/** Checks that `loaded` is what checkPlan or loadPlan returned (the sweep functions take nothing else). */
export function checkLoaded(where: string, loaded: unknown): LoadedPlan {
  const ok = (v: unknown) => v !== null && typeof v === 'object' && Array.isArray((v as LoadedPlan).jobs) && typeof (v as LoadedPlan).plan === 'object' && typeof (v as LoadedPlan).out === 'string';
  checkValue(where, 'loaded', loaded, is.custom('a plan from loadPlan or checkPlan', ok, (v) => v !== null && typeof v === 'object'), 'argument');
  return loaded as LoadedPlan;
}

/**
 * Checks a plan and expands its grid. Throws a RangeError/TypeError naming the offending key before anything runs:
 * unknown keys, an empty grid or grid list, a grid larger than `maxJobs` (its size is given), an option the job kind
 * does not take, or a value its flag rejects.
 */
export function checkPlan(user: unknown, path = ''): LoadedPlan {
  const where = 'sweep plan';
  const given = checkObject(where, user, 'the plan');
  if (given.kind === undefined) throw new RangeError(`${where}: option 'kind' is required (one of ${JOB_KINDS.join(', ')})`);
  if (given.grid === undefined) throw new RangeError(`${where}: option 'grid' is required (an object of non-empty lists)`);
  const base = path ? dirname(path) : process.cwd();
  const name = path ? path.replace(/^.*[\\/]/, '').replace(/\.json$/i, '') : 'sweep';
  const plan = checkOptions(where, PLAN_RULES, given, { threads: 1, pack: true, maxJobs: 10000, out: `${name}.sweep`, options: {}, slurm: {} }) as LoadedPlan['plan'];
  plan.workers ??= 1;
  if (given.workers === undefined) plan.workers = Math.max(1, Math.floor(availableCores() / plan.threads));
  plan.slurm = checkOptions(`${where}: slurm`, SLURM_RULES, plan.slurm) as SlurmResources;
  if (plan.slurm.extra !== undefined && !(Array.isArray(plan.slurm.extra) && plan.slurm.extra.every((e) => typeof e === 'string'))) {
    throw new TypeError(`${where}: option 'slurm.extra' must be a list of strings; got ${show(plan.slurm.extra)}`);
  }
  const known = kindOptions(plan.kind);
  const shared = checkObject(where, plan.options, "option 'options'");
  const grid = checkObject(where, plan.grid, "option 'grid'");
  const keys = Object.keys(grid);
  if (keys.length === 0) throw new RangeError(`${where}: option 'grid' must have at least one option to vary; got an empty object`);
  const explain = (key: string, section: string): Error => {
    if (RESERVED.includes(key)) return new RangeError(`${where}: option '${section}.${key}' is set by the sweep itself (${key === 'threads' ? "use the plan's 'threads'" : 'each job writes its own result'})`);
    return new RangeError(`${where}: option '${section}.${key}' is not an option of job kind '${plan.kind}'; valid options: ${[...known.keys()].join(', ')}`);
  };
  for (const key of Object.keys(shared)) {
    if (!known.has(key)) throw explain(key, 'options');
    checkJobOption(`${where}: options`, key, shared[key], known.get(key)!);
  }
  for (const key of keys) {
    if (!known.has(key)) throw explain(key, 'grid');
    if (key in shared) throw new RangeError(`${where}: option '${key}' is both in 'options' and in 'grid'; keep one`);
    const values = grid[key];
    if (!Array.isArray(values) || values.length === 0) throw new RangeError(`${where}: option 'grid.${key}' must be a non-empty list of values; got ${show(values)}`);
    for (const v of values) checkJobOption(`${where}: grid`, key, v, known.get(key)!);
  }
  const sizes = keys.map((k) => (grid[k] as unknown[]).length);
  const total = sizes.reduce((a, b) => a * b, 1);
  if (total > plan.maxJobs) {
    throw new RangeError(`${where}: the grid has ${total} jobs (${keys.map((k, i) => `${k}: ${sizes[i]}`).join(' x ')}), more than maxJobs = ${plan.maxJobs}; shrink the grid or raise 'maxJobs'`);
  }
  const jobs: SweepJob[] = [];
  for (let index = 0; index < total; index++) {
    const params: Record<string, unknown> = {};
    let rest = index;
    for (let k = keys.length - 1; k >= 0; k--) {
      params[keys[k]] = (grid[keys[k]] as unknown[])[rest % sizes[k]];
      rest = Math.floor(rest / sizes[k]);
    }
    const ordered = Object.fromEntries(keys.map((k) => [k, params[k]]));
    const options = { ...shared, ...ordered };
    jobs.push({ index, id: jobId(plan.kind, options), params: ordered, options });
  }
  const ids = new Set(jobs.map((j) => j.id));
  if (ids.size !== jobs.length) throw new RangeError(`${where}: the grid has repeated values (${jobs.length} jobs but ${ids.size} distinct)`);
  return { plan, path: path ? resolve(path) : '', dir: resolve(base), out: resolve(base, plan.out), jobs };
}

/** Reads and checks a plan file (see {@link checkPlan}). */
export function loadPlan(path: string): LoadedPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RangeError(`sweep: cannot read the plan ${show(path)}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RangeError(`sweep: the plan ${show(path)} is not valid JSON: ${(err as Error).message}`);
  }
  return checkPlan(parsed, resolve(path));
}

/** The command-line arguments of one job (without --out, --json and --threads). */
export function jobArguments(kind: JobKind, options: Record<string, unknown>): string[] {
  checkValue('jobArguments', 'kind', kind, is.oneOf(JOB_KINDS), 'argument');
  const known = kindOptions(kind);
  const args: string[] = kind.split(' ');
  for (const [key, value] of Object.entries(options)) {
    const option = known.get(key)!;
    if (option.isBoolean()) {
      if (value === true) args.push(option.long!);
    } else args.push(option.long!, flagText(value)!);
  }
  return args;
}

function availableCores(): number {
  return Math.max(1, Number(process.env.LOWRANK_SWEEP_CORES) || availableParallelism());
}
