// Option validation and the ms -> bins conversion shared by every task. Messages name the task and the option, say
// what was expected and show what came: "dm: fixation must be a non-negative duration in ms; got -5".

/** Shows a value in an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (Array.isArray(value)) return value.length > 8 ? `an array of length ${value.length}` : JSON.stringify(value);
  return (value as object).constructor?.name ?? typeof value;
}

/** Slack on ms / dt before flooring, so that e.g. 0.3 ms at dt = 0.1 ms gives 3 bins and not 2. */
const BIN_EPSILON = 1e-9;

/** floor(ms / dt): the reference conversion of a duration to bins (with a tiny slack for binary fractions). */
export function msToBins(ms: number, dt: number): number {
  return Math.floor(ms / dt + BIN_EPSILON);
}

/**
 * Merges user options over defaults, rejecting anything that is not a plain object and any key the task does not
 * know (a misspelt option would otherwise be ignored silently). Keys set to undefined keep their default.
 */
export function mergeOptions<T extends object>(task: string, defaults: T, user: unknown): T {
  if (user === undefined) return { ...defaults };
  if (user === null || typeof user !== 'object' || Array.isArray(user)) {
    throw new TypeError(`${task}: options must be an object; got ${show(user)}`);
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(user)) {
    if (!(key in defaults)) {
      throw new RangeError(`${task}: unknown option '${key}'; known options: ${Object.keys(defaults).join(', ')}`);
    }
    if (value !== undefined) merged[key] = value;
  }
  return merged as T;
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

/** Validators bound to one task name (and optionally a method, e.g. "dm.sample"). */
/** The epochs of the delayed-comparison tasks (WM, DMS), in ms. */
export interface DelayedPairDurations {
  fixation: number;
  stimulus1: number;
  minDelay: number;
  maxDelay: number;
  stimulus2: number;
  decision: number;
}

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

export class Check {
  constructor(readonly where: string) {}

  fail(message: string, Kind: typeof RangeError | typeof TypeError = RangeError): never {
    throw new Kind(`${this.where}: ${message}`);
  }

  number(name: string, value: unknown): number {
    if (typeof value !== 'number') this.fail(`${name} must be a number; got ${show(value)}`, TypeError);
    if (!Number.isFinite(value)) this.fail(`${name} must be finite; got ${value}`);
    return value;
  }

  /** A duration in ms: finite and >= 0. */
  duration(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.fail(`${name} must be a non-negative duration in ms; got ${show(value)}`);
    }
    return value;
  }

  /** The time step in ms: finite and > 0. */
  dt(value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(`dt must be a positive time step in ms; got ${show(value)}`);
    }
    return value;
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
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      this.fail(`${name} must be a finite number >= 0; got ${show(value)}`);
    }
    return value;
  }

  positive(name: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(`${name} must be a finite number > 0; got ${show(value)}`);
    }
    return value;
  }

  probability(name: string, value: unknown): number {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      this.fail(`${name} must be a probability in [0, 1]; got ${show(value)}`);
    }
    return value;
  }

  integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      this.fail(`${name} must be an integer ${range}; got ${show(value)}`);
    }
    return value;
  }

  /** A non-empty array of finite numbers, copied and frozen. */
  numbers(name: string, value: unknown): readonly number[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(`${name} must be a non-empty array of numbers; got ${show(value)}`, TypeError);
    }
    value.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.fail(`${name}[${i}] must be a finite number; got ${show(v)}`);
      }
    });
    return Object.freeze([...value] as number[]);
  }

  oneOf<V>(name: string, value: unknown, allowed: readonly V[]): V {
    if (!allowed.includes(value as V)) {
      this.fail(`${name} must be one of ${allowed.map(show).join(', ')}; got ${show(value)}`);
    }
    return value as V;
  }

  boolean(name: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(`${name} must be true or false; got ${show(value)}`, TypeError);
    return value;
  }

  seed(value: unknown): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(`seed must be a non-negative safe integer; got ${show(value)}`);
    }
    return value;
  }

  batchSize(value: unknown): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      this.fail(`batch must be a positive integer (the number of trials); got ${show(value)}`);
    }
    return value;
  }
}
