// A model's config: what it keeps of its options (and what a model file stores as `config`), built from checked
// options, and turned back into options in one place (`optionsFromConfig`, used by model.options() and loadModel).
import { checkValue, is, show } from '../core/validate.js';
import {
  defaultTrainFlags,
  type Activation,
  type CommonModelOptions,
  type Formulation,
  type FullRankOptions,
  type LowRankOptions,
  type ParamName,
} from './options.js';

/** The kind of a net: 'lowrank' (LowRankRNN) or 'fullrank' (FullRankRNN). */
export type ModelKind = 'lowrank' | 'fullrank';
export const MODEL_KINDS: readonly ModelKind[] = ['lowrank', 'fullrank'];

/**
 * What a model keeps of its options (`model.config`), and what a model file stores as its `config` entry (JSON). The
 * fields mean what the options of the same name mean (see {@link CommonModelOptions}), with the defaults filled in.
 */
export interface ModelConfig {
  /** The kind of net. */
  kind: ModelKind;
  /** The version of this layout (see {@link MODEL_FORMAT_VERSION}). */
  formatVersion: 1;
  /** Number of units N. */
  size: number;
  /** 0 for full-rank nets. */
  rank: number;
  /** Input channels K. */
  inputs: number;
  /** Output channels O. */
  outputs: number;
  /** See {@link Formulation}. */
  formulation: Formulation;
  /** Transfer function of the units. */
  activation: Activation;
  /** Negative slope of leaky-relu. */
  slope: number;
  /** Readout nonlinearity, resolved (no longer left to the default). */
  outputActivation: Activation;
  /** dt / tau. */
  alpha: number;
  /** Per-step noise std sigma. */
  noise: number;
  /** Whether self-connections are kept at zero. */
  noAutapse: boolean;
  /** The resolved train flag of every parameter (see {@link defaultTrainFlags}). */
  train: Record<ParamName, boolean>;
  /** Full-rank nets: the scale of the random wrec. */
  rho?: number;
  /** Full-rank nets with Dale's law: one sign per unit. */
  daleSigns?: number[];
  /** Full-rank nets with a fixed connectivity mask (stored beside the config as the array `mask`). */
  hasMask?: boolean;
}

/** The options a config carries (everything but dtype, device, threads, seed, init and the mask's values). */
export type ConfigOptions = LowRankOptions | FullRankOptions;

/** The config of a model built from `o`: options checked and merged over the defaults (see options.ts). */
export function modelConfig(kind: ModelKind, o: CommonModelOptions & { rank?: number; rho?: number }, where: string): ModelConfig {
  checkValue(where, 'size', o.size, is.integer(1));
  const formulation = o.formulation!;
  const activation = o.activation!;
  const config: ModelConfig = {
    kind,
    formatVersion: 1,
    size: o.size,
    rank: kind === 'lowrank' ? o.rank! : 0,
    inputs: o.inputs!,
    outputs: o.outputs!,
    formulation,
    activation,
    slope: o.slope!,
    outputActivation: o.outputActivation ?? (formulation === 'rate' ? 'linear' : activation),
    alpha: o.alpha!,
    noise: o.noise!,
    noAutapse: o.noAutapse!,
    train: defaultTrainFlags(kind === 'lowrank', o.train, o.biases, where),
  };
  if (kind === 'fullrank') config.rho = o.rho;
  return config;
}

/** The config fields that set a net's dynamics and sizes, beside its size and connectivity (one list for options
 * and for the native spec). */
const DYNAMICS_FIELDS = ['inputs', 'outputs', 'formulation', 'activation', 'slope', 'outputActivation', 'alpha', 'noise', 'noAutapse'] as const;

/** The dynamics fields of a config (see DYNAMICS_FIELDS). */
export function dynamicsOf<C extends Partial<ModelConfig>>(config: C): Pick<C, (typeof DYNAMICS_FIELDS)[number]> {
  return Object.fromEntries(DYNAMICS_FIELDS.map((k) => [k, config[k]])) as Pick<C, (typeof DYNAMICS_FIELDS)[number]>;
}

/**
 * The constructor options a config stands for. Fields a config lacks (a partial config of another tool) stay
 * undefined, so that the defaults apply; a config of an unknown kind is an error.
 */
export function optionsFromConfig(config: Partial<ModelConfig>, where = 'config'): ConfigOptions {
  const kind = checkKind(config.kind, where);
  const common: CommonModelOptions = {
    size: config.size!,
    ...dynamicsOf(config),
    train: config.train ? { ...config.train } : undefined,
  };
  if (kind === 'lowrank') return { ...common, rank: config.rank } satisfies LowRankOptions;
  const dale = config.daleSigns ? Int8Array.from(config.daleSigns) : undefined;
  return { ...common, rho: config.rho, dale } satisfies FullRankOptions;
}

/** `kind` when it is a known kind of model, else a RangeError naming the kinds. */
export function checkKind(kind: unknown, where: string): ModelKind {
  if (MODEL_KINDS.includes(kind as ModelKind)) return kind as ModelKind;
  throw new RangeError(`${where}: unknown model kind ${show(kind)}; a model is one of ${MODEL_KINDS.map(show).join(', ')}`);
}
