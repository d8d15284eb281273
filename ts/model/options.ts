// Model options (DESIGN.md §2): the option types, the one defaults table, the option rules as data (checked by
// core/validate.ts) and the reference train flags. What a model stores of its options is its config (config.ts).
import type { LossOn, ParamName } from '../native/binding.js';
import { DEVICES, type Device } from '../native/load.js';
import { checkOptions, checkValue, is, optionError, type NotApplicable, type Rule, type Rules } from '../core/validate.js';
import type { DType, FloatArray, Tensor } from '../core/tensor.js';

export type { LossOn, ParamName } from '../native/binding.js';

/** The transfer functions a model can use, for the units (`activation`) and the readout (`outputActivation`). */
export const ACTIVATIONS = ['tanh', 'relu', 'leaky-relu', 'softplus', 'linear'] as const;
/** A transfer function: tanh, relu, leaky-relu (negative slope `slope`), softplus or linear. */
export type Activation = (typeof ACTIVATIONS)[number];
/** The two formulations of the dynamics, see {@link Formulation}. */
export const FORMULATIONS = ['current', 'rate'] as const;
/**
 * How a model's state evolves, with x_{t+1} = x_t + alpha F(x_t): 'current' (LINT and the low-rank populations code),
 * F(x) = -x + J phi(x + b) + W_in^T u, the states being currents; 'rate' (the ReLU networks of seed 001),
 * F(r) = -r + f(W r + W_in^T u + b), the states being rates.
 */
export type Formulation = (typeof FORMULATIONS)[number];
/**
 * Every parameter name, in the order of a model's flat parameter vector: m, n [N, R] (low-rank connectivity), wrec
 * [N, N] (full-rank connectivity), wi [K, N] and si [K] (input vectors and scales), wo [N, O] and so [O] (readout
 * vectors and scales), h0 [N] (initial state), b [N] (bias). A model holds only those of its kind.
 */
export const PARAM_NAMES: readonly ParamName[] = ['m', 'n', 'wrec', 'wi', 'si', 'wo', 'so', 'h0', 'b'];
/** What a loss compares with its targets. */
export const LOSS_TARGETS: readonly LossOn[] = ['outputs', 'rates', 'states'];

/** The options that low-rank and full-rank nets share; defaults in {@link MODEL_DEFAULTS}. */
export interface CommonModelOptions {
  /** Number of units N. */
  size: number;
  /** Input channels K (default 1). */
  inputs?: number;
  /** Output channels O (default 1). */
  outputs?: number;
  /** 'current' (LINT / populations code, default) or 'rate' (the ReLU networks of seed 001). */
  formulation?: Formulation;
  /** Transfer function of the units (default 'tanh'). */
  activation?: Activation;
  /** Negative slope of leaky-relu (default 0.01). */
  slope?: number;
  /** Readout nonlinearity: default the transfer function for 'current', 'linear' for 'rate'. */
  outputActivation?: Activation;
  /** alpha = dt / tau (default 0.2). */
  alpha?: number;
  /** Per-step noise std sigma (default 0). */
  noise?: number;
  /** Train flags per parameter; defaults follow the reference (see `defaultTrainFlags`). */
  train?: Partial<Record<ParamName, boolean>>;
  /** Adds a trained bias b (reference `add_biases`). */
  biases?: boolean;
  /** Keeps self-connections at zero (exactly, also for low-rank nets). */
  noAutapse?: boolean;
  /** Seed of the initial weights. */
  seed?: number;
  /** float32 (default, training) or float64 (tests, analysis). */
  dtype?: DType;
  /** Where the model runs (default: LOWRANK_DEVICE, else 'auto'); see `Device`. */
  device?: Device;
  /** CPU threads (default 0: all cores). Results do not depend on it. */
  threads?: number;
  /** Initial values that replace the random initialisation. */
  init?: Partial<Record<ParamName, FloatArray | Tensor>>;
}

/** The options of {@link LowRankRNN}: the common ones and the rank. */
export interface LowRankOptions extends CommonModelOptions {
  /** Rank R in [1, size] (default 1). */
  rank?: number;
}

/** The options of {@link FullRankRNN}: the common ones, the scale of the random weights, Dale's law and a mask. */
export interface FullRankOptions extends CommonModelOptions {
  /** wrec ~ N(0, rho^2 / N) (default 1). */
  rho?: number;
  /** Dale's law: the fraction of excitatory units (the first ones), or one sign (+1 / -1) per unit. */
  dale?: { excitatory: number } | Int8Array | number[];
  /** Fixed connectivity mask, N x N (1 = connection allowed), row i = postsynaptic unit. */
  mask?: Uint8Array | Tensor;
}

/** What `model.with()` changes: any option but the size, and any parameters (the rest are carried over). */
export type ModelChanges<O extends CommonModelOptions> = Partial<Omit<O, 'init' | 'size' | 'seed'>> & {
  params?: Partial<Record<ParamName, Tensor | FloatArray>>;
};

/**
 * The defaults of the model options, read by the constructors. Not in the table: `outputActivation` (the transfer
 * function for 'current', 'linear' for 'rate'), `train` (see `defaultTrainFlags`), `device` (LOWRANK_DEVICE, else
 * 'auto') and `seed` (a new one per model). `rank` applies to low-rank nets only, `rho` to full-rank nets only.
 */
export const MODEL_DEFAULTS = {
  inputs: 1,
  outputs: 1,
  formulation: 'current',
  activation: 'tanh',
  slope: 0.01,
  alpha: 0.2,
  noise: 0,
  biases: false,
  noAutapse: false,
  dtype: 'float32',
  threads: 0,
  rank: 1,
  rho: 1,
} as const satisfies Partial<LowRankOptions & FullRankOptions>;

const DALE_AND_MASK = "Dale's law and fixed masks apply to full-rank nets";

/** Options of full-rank nets that a low-rank net rejects, and why. */
export const LOWRANK_NOT_APPLICABLE: NotApplicable = {
  dale: DALE_AND_MASK,
  mask: DALE_AND_MASK,
  rho: "rho scales the random wrec of full-rank nets; a low-rank net's connectivity is m n^T / N",
};

/** Options of low-rank nets that a full-rank net rejects, and why. */
export const FULLRANK_NOT_APPLICABLE: NotApplicable = {
  rank: "rank applies to low-rank nets; a full-rank net's wrec is N x N (use LowRankRNN)",
};

/** The size when it is valid (bounds of other rules depend on it), else undefined (its own rule then fails). */
function validSize(size: unknown): number | undefined {
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 1 ? size : undefined;
}

const isFloatArray = (v: unknown): v is FloatArray => v instanceof Float32Array || v instanceof Float64Array;
/** A parameter value: a tensor or a flat Float32Array / Float64Array (its size is checked where it is used). */
export const paramValueRule: Rule = is.custom(
  'a tensor or a Float32Array or Float64Array',
  (v) => isFloatArray(v) || is.tensor().test(v),
  (v) => isFloatArray(v) || is.tensor().type(v),
);

function commonRules(): Rules<CommonModelOptions> {
  return {
    size: is.integer(1),
    inputs: is.integer(0),
    outputs: is.integer(0),
    formulation: is.oneOf(FORMULATIONS),
    activation: is.oneOf(ACTIVATIONS),
    slope: is.nonNegative(),
    outputActivation: is.oneOf(ACTIVATIONS),
    alpha: is.number(0, 1, { minOpen: true }),
    noise: is.nonNegative(),
    train: is.object(`an object of train flags (${PARAM_NAMES.join(', ')})`),
    biases: is.boolean(),
    noAutapse: is.boolean(),
    seed: is.seed(),
    dtype: is.oneOf(['float32', 'float64']),
    device: is.oneOf(DEVICES),
    threads: is.threads(),
    init: is.object('an object of initial parameter values'),
  };
}

/** The rules of LowRankRNN's options; the rank is bounded by the size. */
export function lowRankRules(size: unknown): Rules<LowRankOptions> {
  return { ...commonRules(), rank: is.integer(1, validSize(size) ?? Infinity) };
}

function daleRule(N: number | undefined): Rule {
  const signs = (v: unknown) =>
    (v instanceof Int8Array || Array.isArray(v)) &&
    (N === undefined || v.length === N) &&
    Array.from(v as ArrayLike<unknown>).every((s) => s === 1 || s === -1);
  const fraction = (v: unknown) =>
    is.object().test(v) &&
    !ArrayBuffer.isView(v) &&
    Object.keys(v as object).every((k) => k === 'excitatory') &&
    is.number(0, 1).test((v as { excitatory?: unknown }).excitatory);
  return is.custom(
    `{ excitatory: a fraction in [0, 1] } or one sign (+1 excitatory, -1 inhibitory) per unit${N === undefined ? '' : ` (${N})`}`,
    (v) => signs(v) || fraction(v),
  );
}

function maskRule(N: number | undefined): Rule {
  const cells = N === undefined ? undefined : N * N;
  return is.custom(
    N === undefined ? 'a Uint8Array or a tensor of size x size' : `a Uint8Array of ${cells} values or a tensor [${N}, ${N}]`,
    (v) =>
      (v instanceof Uint8Array && (cells === undefined || v.length === cells)) ||
      (is.tensor().test(v) && (N === undefined || ((v as Tensor).shape.length === 2 && (v as Tensor).shape.every((d) => d === N)))),
  );
}

/** The rules of FullRankRNN's options; Dale signs and the mask are sized by the size. */
export function fullRankRules(size: unknown): Rules<FullRankOptions> {
  const N = validSize(size);
  return { ...commonRules(), rho: is.nonNegative(), dale: daleRule(N), mask: maskRule(N) };
}

/** The defaults of one kind of net (MODEL_DEFAULTS without the other kind's option). */
export function kindDefaults(kind: 'lowrank' | 'fullrank'): Partial<LowRankOptions & FullRankOptions> {
  const { rank, rho, ...common } = MODEL_DEFAULTS;
  return kind === 'lowrank' ? { ...common, rank } : { ...common, rho };
}

const TRAIN_FLAG_RULES = Object.fromEntries(PARAM_NAMES.map((name) => [name, is.boolean()])) as Rules<Record<ParamName, boolean>>;

/**
 * Reference train flags: m, n, wrec trained; wi, wo, h0 frozen; si (so) trained unless wi (wo) is, in which case
 * it is frozen; b trained when biases are on. Explicit flags override, except that si/so cannot be trained together
 * with wi/wo (the reference forbids it: the scale and the vectors would be redundant), and a flag cannot train a
 * parameter that the kind of net lacks (wrec of a low-rank net, m and n of a full-rank net).
 */
export function defaultTrainFlags(
  lowRank: boolean,
  train: Partial<Record<ParamName, boolean>> = {},
  biases = false,
  where = 'defaultTrainFlags',
): Record<ParamName, boolean> {
  checkValue(where, 'lowRank', lowRank, is.boolean(), 'argument');
  checkOptions(`${where}.train`, TRAIN_FLAG_RULES, train);
  for (const name of lowRank ? (['wrec'] as const) : (['m', 'n'] as const)) {
    if (train[name]) {
      const why = lowRank
        ? 'a low-rank net has no wrec (its connectivity is m n^T / N)'
        : 'a full-rank net has no m and n (its connectivity is wrec)';
      throw new RangeError(`${where}: option 'train.${name}' does not apply here: ${why}`);
    }
  }
  const wi = train.wi ?? false;
  const wo = train.wo ?? false;
  if (wi && train.si) throw optionError(where, 'train.si', 'false when train.wi is true (si is frozen when wi trains)', true);
  if (wo && train.so) throw optionError(where, 'train.so', 'false when train.wo is true (so is frozen when wo trains)', true);
  return {
    m: lowRank && (train.m ?? true),
    n: lowRank && (train.n ?? true),
    wrec: !lowRank && (train.wrec ?? true),
    wi,
    si: !wi && (train.si ?? true),
    wo,
    so: !wo && (train.so ?? true),
    h0: train.h0 ?? false,
    b: train.b ?? biases,
  };
}
