// One validation vocabulary for every public entry (in the spirit of scikit-learn's `_parameter_constraints`): each
// entry declares its option rules as data, `checkOptions` checks them all, and every failure reads the same way:
//   "lint.fit: option 'rank' must be an integer in [1, 512] or 'full'; got 0"
// Unknown keys are errors that list the valid names; options that exist for other kinds of model say so; NaN and
// Infinity print as such. A value that has the wrong type throws TypeError, one of the right type but out of range
// throws RangeError.

/** Shows a value in an error message: strings quoted, NaN/Infinity as such, arrays and objects by shape or class. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return Object.is(value, -0) ? '0' : String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) {
    if (value.length > 8) return `an array of length ${value.length}`;
    return `[${value.map(show).join(', ')}]`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  // Bundlers may rename classes with a leading underscore (_LowRankRNN); users know them by their own names.
  const name = (value as object).constructor?.name?.replace(/^_+/, '');
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/**
 * One rule: what a value must be (`expected`, completing "must be ..."), whether a value is of the right type
 * (`type`; a value of the wrong type throws TypeError) and whether it is acceptable (`test`).
 */
export interface Rule {
  readonly expected: string;
  readonly type: (value: unknown) => boolean;
  readonly test: (value: unknown) => boolean;
}

/** Rules for the options of one entry: one rule (or several, any of which may hold) per option name. */
export type Rules<T> = { readonly [K in keyof T]-?: Rule | readonly Rule[] };

/** Options that exist, but not for this kind of call: the name and why (e.g. Dale's law on a low-rank net). */
export type NotApplicable = Readonly<Record<string, string>>;

const isNumber = (v: unknown): v is number => typeof v === 'number';

/** The most repetitions of a piece of work (draws, bootstraps, restarts) an option may ask for. */
export const MAX_REPEATS = 1_000_000;

function rangeText(min: number, max: number, minOpen = false, maxOpen = false): string {
  if (max === Infinity) return min === -Infinity ? '' : `${minOpen ? '>' : '>='} ${min}`;
  if (min === -Infinity) return `${maxOpen ? '<' : '<='} ${max}`;
  return `in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
}

/**
 * The most CPU threads one call may ask for (a model, an analysis, a mixture fit, a sweep job): a documented cap, so
 * that a typo such as 100000 is refused with a clear error instead of exhausting the system's thread limit. The
 * native thread pool refuses more too (kMaxThreads in native/core/thread_pool.hpp).
 */
export const MAX_THREADS = 1024;

/** The rule vocabulary. Bounds that depend on the call (e.g. rank <= N) are passed when the rules are built. */
export const is = {
  /** A safe integer in [min, max]. */
  integer(min = -Infinity, max = Infinity): Rule {
    const range = rangeText(min, max);
    return {
      expected: `an integer${range ? ` ${range}` : ''}`,
      type: isNumber,
      test: (v) => isNumber(v) && Number.isSafeInteger(v) && v >= min && v <= max,
    };
  },
  /** A thread count: an integer in [min, MAX_THREADS] (0 = every core, where min is 0). */
  threads(min = 0): Rule {
    const rule = is.integer(min, MAX_THREADS);
    return { ...rule, expected: `${rule.expected} (${MAX_THREADS} is the cap on threads)` };
  },
  /** A finite number in [min, max] (or with open ends). */
  number(min = -Infinity, max = Infinity, opts: { minOpen?: boolean; maxOpen?: boolean } = {}): Rule {
    const range = rangeText(min, max, opts.minOpen, opts.maxOpen);
    return {
      expected: `a finite number${range ? ` ${range}` : ''}`,
      type: isNumber,
      test: (v) =>
        isNumber(v) &&
        Number.isFinite(v) &&
        (opts.minOpen ? v > min : v >= min) &&
        (opts.maxOpen ? v < max : v <= max),
    };
  },
  /** A finite number > 0. */
  positive(): Rule {
    return is.number(0, Infinity, { minOpen: true });
  },
  /** A finite number >= 0. */
  nonNegative(): Rule {
    return is.number(0);
  },
  /**
   * A count of repeated work (draws, bootstraps, restarts, null data sets): an integer in [min, MAX_REPEATS]. More
   * would run for days; a count that large is a typo.
   */
  repeats(min = 1): Rule {
    return is.integer(min, MAX_REPEATS);
  },
  /** A task: anything with `sample(trials, { seed })` (the tasks of `tasks`, or a user's own). */
  task(): Rule {
    const object = (v: unknown) => v !== null && typeof v === 'object';
    return is.custom('a task (with sample(trials, options))', (v) => object(v) && typeof (v as { sample?: unknown }).sample === 'function', object);
  },
  /** An array or typed array of numbers (their values are checked where they are used). */
  numbers(): Rule {
    const object = (v: unknown) => v !== null && typeof v === 'object';
    return is.custom('an array of numbers', (v) => Array.isArray(v) || ArrayBuffer.isView(v), object);
  },
  /** An array (its elements are checked where they are used). */
  list(): Rule {
    return is.custom('an array', Array.isArray, (v) => v !== null && typeof v === 'object');
  },
  /** A seed: a safe integer >= 0. */
  seed(): Rule {
    return { ...is.integer(0), expected: 'a non-negative safe integer' };
  },
  /** One of the listed values. */
  oneOf<V>(values: readonly V[]): Rule {
    return {
      expected: values.length === 1 ? show(values[0]) : `one of ${values.map(show).join(', ')}`,
      type: (v) => values.some((a) => typeof a === typeof v),
      test: (v) => values.includes(v as V),
    };
  },
  boolean(): Rule {
    return { expected: 'true or false', type: (v) => typeof v === 'boolean', test: (v) => typeof v === 'boolean' };
  },
  string(): Rule {
    const s = (v: unknown) => typeof v === 'string' && v.length > 0;
    return { expected: 'a non-empty string', type: (v) => typeof v === 'string', test: s };
  },
  function(): Rule {
    const f = (v: unknown) => typeof v === 'function';
    return { expected: 'a function', type: f, test: f };
  },
  /** An AbortSignal (anything with `aborted` and `addEventListener`). */
  signal(): Rule {
    const s = (v: unknown) =>
      v !== null && typeof v === 'object' && 'aborted' in v && typeof (v as AbortSignal).addEventListener === 'function';
    return { expected: 'an AbortSignal', type: s, test: s };
  },
  /** A tensor { data: Float32Array | Float64Array, shape } (its shape is checked where it is used). */
  tensor(): Rule {
    const t = (v: unknown) =>
      v !== null &&
      typeof v === 'object' &&
      'data' in v &&
      'shape' in v &&
      (v.data instanceof Float32Array || v.data instanceof Float64Array) &&
      Array.isArray(v.shape);
    return { expected: 'a tensor { data: Float32Array | Float64Array, shape }', type: t, test: t };
  },
  /** A plain object; its own keys are checked by the caller (or by `checkOptions` on it). */
  object(what = 'an object'): Rule {
    const o = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    return { expected: what, type: o, test: o };
  },
  /** A non-empty array whose every element passes `element`. */
  arrayOf(element: Rule, what?: string): Rule {
    return {
      expected: what ?? `a non-empty array whose every element is ${element.expected}`,
      type: Array.isArray,
      test: (v) => Array.isArray(v) && v.length > 0 && v.every((x) => element.test(x)),
    };
  },
  /** Any value (for options whose values are checked where they are used, e.g. by a task's constructor). */
  anything(): Rule {
    return { expected: 'anything', type: () => true, test: () => true };
  },
  /** Anything that passes `test`, described by `expected` (for the few rules the vocabulary lacks). */
  custom(expected: string, test: (value: unknown) => boolean, type: (value: unknown) => boolean = () => true): Rule {
    return { expected, type, test };
  },
} as const;

/** What a checked value is: an option of an options object, a positional argument of a call, or a trial condition. */
export type ValueRole = 'option' | 'argument' | 'condition';

/**
 * The one message format: "<where>: option '<name>' must be <expected>; got <value>" (or "argument '<name>'" for a
 * positional argument).
 */
export function optionError(
  where: string,
  name: string,
  expected: string,
  value: unknown,
  Kind: typeof RangeError | typeof TypeError = RangeError,
  role: ValueRole = 'option',
): Error {
  return new Kind(`${where}: ${role} '${name}' must be ${expected}; got ${show(value)}`);
}

/** Checks one value against its rule(s) (any of which may hold); returns it unchanged. */
export function checkValue<V = unknown>(where: string, name: string, value: unknown, rule: Rule | readonly Rule[], role: ValueRole = 'option'): V {
  const list: readonly Rule[] = Array.isArray(rule) ? rule : [rule as Rule];
  if (list.some((r) => r.test(value))) return value as V;
  const expected = list.map((r) => r.expected).join(' or ');
  const wrongType = !list.some((r) => r.type(value));
  throw optionError(where, name, expected, value, wrongType ? TypeError : RangeError, role);
}

/** Rejects anything but a plain object (undefined is an empty object). */
export function checkObject(where: string, user: unknown, what = 'options'): Record<string, unknown> {
  if (user === undefined) return {};
  if (user === null || typeof user !== 'object' || Array.isArray(user)) {
    throw new TypeError(`${where}: ${what} must be an object; got ${show(user)}`);
  }
  return user as Record<string, unknown>;
}

/**
 * Checks user options against `rules`: every key must be a known option (else the valid names are listed; a key in
 * `notApplicable` gets its reason), and every value that is not undefined must pass its rule. Returns the options
 * merged over `defaults` (keys set to undefined keep their default).
 */
export function checkOptions<T extends object>(
  where: string,
  rules: Rules<T>,
  user: unknown,
  defaults: Partial<T> = {},
  notApplicable: NotApplicable = {},
): T {
  const given = checkObject(where, user);
  for (const key of Object.keys(given)) {
    if (Object.prototype.hasOwnProperty.call(rules, key)) continue;
    if (Object.prototype.hasOwnProperty.call(notApplicable, key)) {
      throw new RangeError(`${where}: option '${key}' does not apply here: ${notApplicable[key]}`);
    }
    throw new RangeError(`${where}: unknown option '${key}'; valid options: ${Object.keys(rules).join(', ')}`);
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) if (value !== undefined) merged[key] = value;
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined) checkValue(where, key, value, (rules as Record<string, Rule | readonly Rule[]>)[key]);
  }
  return merged as T;
}

/**
 * Merges user options over `defaults`, whose keys are the known options (values are checked afterwards by the
 * caller); unknown keys are rejected as by `checkOptions`.
 */
export function mergeOptions<T extends object>(where: string, defaults: T, user: unknown): T {
  const rules = Object.fromEntries(Object.keys(defaults).map((k) => [k, is.anything()])) as Rules<T>;
  return checkOptions(where, rules, user, defaults);
}

/**
 * Checks a group of options nested in an entry's options (e.g. train's `lrSchedule`, fixedPoints' `adam`) like
 * `checkOptions`, naming its fields by their path: "train: option 'lrSchedule.every' must be ...", "fixedPoints:
 * unknown option 'adam.rate'; valid options in 'adam': maxIterations, lr, ...".
 */
export function checkOptionGroup<T extends object>(where: string, group: string, rules: Rules<T>, user: unknown, defaults: Partial<T> = {}): T {
  const given = checkObject(where, user, `option '${group}'`);
  for (const key of Object.keys(given)) {
    if (!Object.prototype.hasOwnProperty.call(rules, key)) {
      throw new RangeError(`${where}: unknown option '${group}.${key}'; valid options in '${group}': ${Object.keys(rules).join(', ')}`);
    }
  }
  const merged = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) if (value !== undefined) merged[key] = value;
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined) checkValue(where, `${group}.${key}`, value, (rules as Record<string, Rule | readonly Rule[]>)[key]);
  }
  return merged as T;
}
