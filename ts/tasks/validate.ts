// The tasks' rules over the package's one validation vocabulary (ts/core/validate.ts) and the ms -> bins conversion
// shared by every task. Messages have the one format: "dm: option 'fixation' must be a non-negative duration in ms;
// got -5".
import { checkValue, is, mergeOptions, optionError, show, type Rule, type ValueRole } from '../core/validate.js';

export { mergeOptions, show };

/** Slack on ms / dt before flooring, so that e.g. 0.3 ms at dt = 0.1 ms gives 3 bins and not 2. */
const BIN_EPSILON = 1e-9;

/** floor(ms / dt): the reference conversion of a duration to bins (with a tiny slack for binary fractions). */
export function msToBins(ms: number, dt: number): number {
  return Math.floor(ms / dt + BIN_EPSILON);
}

/**
 * Options of a task with named presets: the preset (user's `preset`, else `fallback`) gives the defaults, and the
 * user's other options override them. An unknown preset name is an error that lists the known ones.
 */
export function resolvePreset<P extends string, T extends object>(
  task: string,
  presets: Record<P, T>,
  fallback: P,
  user: unknown,
): T & { preset: P } {
  const name = user !== null && typeof user === 'object' && 'preset' in user ? user.preset ?? fallback : fallback;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(presets, name)) {
    const known = Object.keys(presets).map((k) => `'${k}'`).join(', ');
    throw new RangeError(`${task}: unknown preset ${show(name)}; expected one of ${known}`);
  }
  return mergeOptions(task, { preset: name as P, ...presets[name as P] }, user);
}

/** Consecutive epochs laid out from bin 0: each name maps to its [start, end) bins; `total` is the sum. */
export function timeline<N extends string>(
  parts: ReadonlyArray<readonly [N, number]>,
): { epochs: Readonly<Record<N, readonly [number, number]>>; total: number } {
  const epochs = {} as Record<N, readonly [number, number]>;
  let t = 0;
  for (const [name, bins] of parts) {
    epochs[name] = Object.freeze([t, t + bins] as const);
    t += bins;
  }
  return { epochs: Object.freeze(epochs), total: t };
}

/** The epochs of the delayed-comparison tasks (WM, DMS), in ms. */
export interface DelayedPairDurations {
  fixation: number;
  stimulus1: number;
  minDelay: number;
  maxDelay: number;
  stimulus2: number;
  decision: number;
}

/** The epochs of a delayed-comparison trial (WM, DMS) in bins. */
export type DelayedPairBins = Readonly<DelayedPairDurations>;

/**
 * fixation, stimulus 1, a variable delay in [minDelay, maxDelay], stimulus 2, decision: the bins of each epoch and
 * the padded trial length (the longest delay). Validates every duration and the delay range.
 */
export function delayedPairBins(check: Check, o: DelayedPairDurations, dt: number): { bins: DelayedPairBins; steps: number } {
  const bins = Object.freeze({
    fixation: check.bins('fixation', o.fixation, dt, 0),
    stimulus1: check.bins('stimulus1', o.stimulus1, dt),
    minDelay: check.bins('minDelay', o.minDelay, dt, 0),
    maxDelay: check.bins('maxDelay', o.maxDelay, dt, 0),
    stimulus2: check.bins('stimulus2', o.stimulus2, dt),
    decision: check.bins('decision', o.decision, dt),
  });
  if (o.maxDelay < o.minDelay) check.fail(`maxDelay (${o.maxDelay} ms) must be >= minDelay (${o.minDelay} ms)`);
  return { bins, steps: bins.fixation + bins.stimulus1 + bins.maxDelay + bins.stimulus2 + bins.decision };
}

/** Task-specific rules: durations in ms and the time step. */
const DURATION = is.custom('a non-negative duration in ms', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, (v) => typeof v === 'number');
const TIME_STEP = is.custom('a positive time step in ms', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, (v) => typeof v === 'number');
const PROBABILITY = { ...is.number(0, 1), expected: 'a probability in [0, 1]' };
const FINITE = is.number();

/**
 * The checks of one task entry (a constructor, or a method such as "dm.sample"), in the package's one message format.
 * Options are checked as options ("option 'x'"), values inside them and call arguments by their paths.
 */
export class Check {
  constructor(
    readonly where: string,
    readonly role: ValueRole = 'option',
  ) {}

  fail(message: string, Kind: typeof RangeError | typeof TypeError = RangeError): never {
    throw new Kind(`${this.where}: ${message}`);
  }

  rule<V>(name: string, value: unknown, rule: Rule | readonly Rule[]): V {
    return checkValue<V>(this.where, name, value, rule, this.role);
  }

  number(name: string, value: unknown): number {
    return this.rule(name, value, FINITE);
  }

  /** A duration in ms: finite and >= 0. */
  duration(name: string, value: unknown): number {
    return this.rule(name, value, DURATION);
  }

  /** The time step in ms: finite and > 0. */
  dt(value: unknown): number {
    return this.rule('dt', value, TIME_STEP);
  }

  /** A duration converted to bins; `minBins` (default 1) is the fewest bins the epoch may have. */
  bins(name: string, ms: unknown, dt: number, minBins = 1): number {
    const bins = msToBins(this.duration(name, ms), dt);
    if (bins < minBins) {
      this.fail(
        `${name} = ${ms} ms gives ${bins} bin${bins === 1 ? '' : 's'} at dt = ${dt} ms; ` +
          `it needs at least ${minBins} (make it at least ${minBins * dt} ms or lower dt)`,
      );
    }
    return bins;
  }

  nonNegative(name: string, value: unknown): number {
    return this.rule(name, value, is.nonNegative());
  }

  positive(name: string, value: unknown): number {
    return this.rule(name, value, is.positive());
  }

  probability(name: string, value: unknown): number {
    return this.rule(name, value, PROBABILITY);
  }

  integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.rule(name, value, is.integer(min, max === Number.MAX_SAFE_INTEGER ? Infinity : max));
  }

  /** A non-empty array of finite numbers, copied and frozen. */
  numbers(name: string, value: unknown): readonly number[] {
    this.rule(name, value, is.arrayOf(FINITE, 'a non-empty array of finite numbers'));
    return Object.freeze([...(value as number[])]);
  }

  oneOf<V>(name: string, value: unknown, allowed: readonly V[]): V {
    return this.rule(name, value, is.oneOf(allowed));
  }

  boolean(name: string, value: unknown): boolean {
    return this.rule(name, value, is.boolean());
  }

  seed(value: unknown): number {
    return this.rule('seed', value, is.seed());
  }

  /** The number of trials of a batch: a call argument. */
  batchSize(value: unknown): number {
    return checkValue(this.where, 'batch', value, { ...is.integer(1), expected: 'a positive integer (the number of trials)' }, 'argument');
  }
}

export { optionError };
