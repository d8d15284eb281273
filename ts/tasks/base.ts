// The machinery every task shares: drawing trial conditions, specified conditions (`trials`), catch trials, input
// noise, metadata and the default (reference) accuracy. A task only says how one trial's condition is drawn and how
// it is written into the tensors.

import { Random } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { signAccuracy } from './accuracy.js';
import { BatchWriter, checkBatchFits } from './batch.js';
import type { SampleOptions, Task, TaskBatch, TrialSpec, TrialsOptions } from './types.js';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { Check, show } from './validate.js';

/** The option rules of `sample` and `trials`, and the defaults of `trials`. */
const SAMPLE_RULES: Rules<SampleOptions> = { seed: is.seed() };
const TRIALS_RULES: Rules<TrialsOptions> = { seed: is.seed(), drawNoise: is.boolean(), repeats: is.integer(1) };
export const TRIALS_DEFAULTS: Readonly<Required<Omit<TrialsOptions, 'seed'>>> = Object.freeze({ drawNoise: true, repeats: 1 });

/** One trial's condition: numbers only, so that it can become `TaskBatch.conditions`. */
export type Condition = Record<string, number>;

/** Validates one specified value; returns it (or a normalised copy). */
export type Validate = (check: Check, label: string, value: number) => number;

/** Reads a TrialSpec: every key known, arrays of one common length, finite numbers. */
class SpecReader {
  readonly size: number;

  constructor(
    readonly check: Check,
    private readonly spec: TrialSpec,
    allowed: readonly string[],
  ) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      check.fail(`spec must be an object mapping condition names to values; got ${show(spec)}`, TypeError);
    }
    let size: number | null = null;
    for (const [key, value] of Object.entries(spec)) {
      if (!allowed.includes(key)) {
        const known = allowed.length ? allowed.join(', ') : 'none (this task has no settable condition)';
        check.fail(`unknown condition '${key}'; settable conditions: ${known}`);
      }
      if (Array.isArray(value)) {
        if (value.length === 0) check.fail(`${key} is an empty array; give at least one trial`);
        if (size !== null && value.length !== size) {
          check.fail(`all condition arrays must have one length; ${key} has ${value.length}, another has ${size}`);
        }
        size = value.length;
        value.forEach((v, i) => check.number(`${key}[${i}]`, v));
      } else {
        check.number(key, value);
      }
    }
    this.size = size ?? 1;
  }

  value(key: string, index: number): number | undefined {
    const v = this.spec[key];
    if (v === undefined) return undefined;
    return typeof v === 'number' ? v : v[index];
  }

  label(key: string, index: number): string {
    return Array.isArray(this.spec[key]) ? `${key}[${index}]` : key;
  }
}

/** The specified conditions of one trial (or none, for `sample`). */
export class Given {
  static readonly none = new Given(null, 0);

  constructor(
    private readonly reader: SpecReader | null,
    private readonly index: number,
  ) {}

  has(key: string): boolean {
    return this.reader?.value(key, this.index) !== undefined;
  }

  /** Throws unless `keys` are all specified or all left out (for conditions that only make sense together). */
  together(...keys: string[]): void {
    const given = keys.filter((key) => this.has(key));
    if (given.length > 0 && given.length < keys.length) {
      this.reader!.check.fail(`${keys.join(' and ')} must be specified together; only ${given.join(', ')} came`);
    }
  }

  /** The specified value of `key` after `validate`, or `draw()` when the key is not specified. */
  get(key: string, draw: () => number, validate?: Validate): number {
    const value = this.reader?.value(key, this.index);
    if (value === undefined) return draw();
    return validate ? validate(this.reader!.check, this.reader!.label(key, this.index), value) : value;
  }
}

/** Validates a specified value against a finite set. */
export const among =
  (allowed: readonly number[]): Validate =>
  (check, label, value) =>
    check.oneOf(label, value, allowed);

export interface TaskLayout {
  inputSize: number;
  outputSize: number;
  steps: number;
  dt: number;
  /** Input channels that receive additive white noise N(0, noiseStd²) at every bin. */
  noiseChannels: readonly number[];
  noiseStd: number;
  /** Probability that a random trial is a catch trial; null when the task has no catch trials. */
  fractionCatch: number | null;
  /** Seed of the task's own stream, used by `sample`/`trials` calls that give no seed. */
  seed: number;
}

/** The options every task has: input noise, catch-trial probability (where the task has catch trials), own seed. */
export interface StochasticOptions {
  noiseStd: number;
  fractionCatch?: number;
  seed: number;
}

/** The checked noise, catch-trial and seed part of a task's layout (fractionCatch null for tasks without catch trials). */
export function stochasticLayout(check: Check, o: StochasticOptions): Pick<TaskLayout, 'noiseStd' | 'fractionCatch' | 'seed'> {
  return {
    noiseStd: check.nonNegative('noiseStd', o.noiseStd),
    fractionCatch: o.fractionCatch === undefined ? null : check.probability('fractionCatch', o.fractionCatch),
    seed: check.seed(o.seed),
  };
}

export abstract class TrialTask<O extends object> implements Task {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly steps: number;
  readonly dt: number;
  readonly options: Readonly<O>;
  private readonly layout: TaskLayout;
  private readonly stream: Random;

  /** Metadata keys, in order; each condition row must have all of them. */
  protected abstract readonly conditionKeys: readonly string[];
  /** Keys that `trials()` accepts ('catch' is added for tasks with catch trials). */
  protected abstract readonly specKeys: readonly string[];

  protected constructor(
    readonly name: string,
    options: O,
    layout: TaskLayout,
  ) {
    this.options = Object.freeze({ ...options });
    this.layout = layout;
    this.inputSize = layout.inputSize;
    this.outputSize = layout.outputSize;
    this.steps = layout.steps;
    this.dt = layout.dt;
    this.stream = new Random(layout.seed);
  }

  /** Draws the condition of one non-catch trial; keys present in `given` are taken from there instead. */
  protected abstract condition(rng: Random, given: Given): Condition;

  /** Writes trial `b` (signal only; the base adds the noise). May add metadata keys to `c`. */
  protected abstract write(w: BatchWriter, b: number, c: Condition, rng: Random): void;

  sample(batch: number, opts: SampleOptions = {}): TaskBatch {
    const check = new Check(`${this.name}.sample`);
    const size = checkBatchFits(check.where, check.batchSize(batch), this.steps, this.inputSize, this.outputSize);
    const rng = this.rngFor(check, checkOptions(check.where, SAMPLE_RULES, opts));
    const { fractionCatch } = this.layout;
    const rows = Array.from({ length: size }, () =>
      fractionCatch !== null && fractionCatch > 0 && rng.uniform() < fractionCatch
        ? this.catchRow()
        : this.condition(rng, Given.none),
    );
    return this.render(check.where, rows, rng, true);
  }

  /**
   * Trials for specified conditions, e.g. `cdm.trials({ coherenceA: [1, -1], coherenceB: [-1, 1], context: 1 })`.
   * Keys left out are drawn at random as in `sample`; `catch: 1` makes a catch trial where the task has them.
   * The batch has `steps` bins like any other.
   */
  trials(spec: TrialSpec, opts: TrialsOptions = {}): TaskBatch {
    const check = new Check(`${this.name}.trials`);
    const allowed = this.layout.fractionCatch === null ? this.specKeys : [...this.specKeys, 'catch'];
    const reader = new SpecReader(new Check(check.where, 'condition'), spec, allowed);
    const o = checkOptions(check.where, TRIALS_RULES, opts, TRIALS_DEFAULTS);
    const rng = this.rngFor(check, o);
    const repeats = o.repeats!;
    const noise = o.drawNoise!;
    checkBatchFits(check.where, check.batchSize(reader.size * repeats), this.steps, this.inputSize, this.outputSize, 'trials x repeats');
    const rows: Condition[] = [];
    for (let i = 0; i < reader.size; i++) {
      const given = new Given(reader, i);
      const isCatch = given.get('catch', () => 0, among([0, 1])) === 1;
      for (let r = 0; r < repeats; r++) rows.push(isCatch ? this.catchRow() : this.condition(rng, given));
    }
    return this.render(check.where, rows, rng, noise);
  }

  /** The reference accuracy: sign of the masked output mean vs sign of the masked target mean, catch trials out. */
  accuracy(outputs: Tensor, batch: TaskBatch): number {
    return signAccuracy(outputs, batch, `${this.name}.accuracy`);
  }

  /** A catch trial: every metadata key 0 except `catch` = 1 (the task's `write` decides what a catch trial shows). */
  protected catchRow(): Condition {
    const row: Condition = Object.fromEntries(this.conditionKeys.map((key) => [key, 0]));
    row.catch = 1;
    return row;
  }

  private rngFor(check: Check, opts: SampleOptions): Random {
    return opts.seed === undefined ? this.stream : new Random(check.seed(opts.seed));
  }

  private render(where: string, rows: Condition[], rng: Random, noise: boolean): TaskBatch {
    const w = new BatchWriter(where, rows.length, this.steps, this.inputSize, this.outputSize);
    rows.forEach((c, b) => this.write(w, b, c, rng));
    if (noise) w.addNoise(rng, this.layout.noiseStd, this.layout.noiseChannels);
    const conditions: Record<string, number[]> = {};
    for (const key of this.conditionKeys) {
      conditions[key] = rows.map((row, b) => {
        if (row[key] === undefined) throw new Error(`${where}: internal error, trial ${b} has no '${key}'`);
        return row[key];
      });
    }
    return w.finish(conditions);
  }
}
