// Low-rank and full-rank RNNs (DESIGN.md §2): options, reference initialisation, parameters, simulation, gradients.
import { totalmem } from 'node:os';
import type { LossOn, NativeModelHandle, NativeSpec, ParamName } from '../native/binding.js';
import { native, resolveDevice, type Device } from '../native/load.js';
import { Random } from '../core/random.js';
import {
  asDType,
  checkTensor,

  formatShape,
  shapeSize,
  type DType,
  type FloatArray,
  type Tensor,
} from '../core/tensor.js';

export type { LossOn, ParamName } from '../native/binding.js';

export const ACTIVATIONS = ['tanh', 'relu', 'leaky-relu', 'softplus', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export type Formulation = 'current' | 'rate';

export const PARAM_NAMES: readonly ParamName[] = ['m', 'n', 'wrec', 'wi', 'si', 'wo', 'so', 'h0', 'b'];

export interface CommonModelOptions {
  /** Number of units N. */
  size: number;
  /** Input channels K (default 1). */
  inputs?: number;
  /** Output channels O (default 1). */
  outputs?: number;
  /** 'current' (LINT / populations code, default) or 'rate' (the ReLU networks of seed 001). */
  formulation?: Formulation;
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
  device?: Device;
  /** CPU threads (default: all cores). Results do not depend on it. */
  threads?: number;
  /** Initial values that replace the random initialisation. */
  init?: Partial<Record<ParamName, FloatArray | Tensor>>;
}

/** What `model.with()` changes: any option but the size, and any parameters (the rest are carried over). */
export type ModelChanges<O extends CommonModelOptions> = Partial<Omit<O, 'init' | 'size' | 'seed'>> & {
  params?: Partial<Record<ParamName, Tensor | FloatArray>>;
};

export interface LowRankOptions extends CommonModelOptions {
  /** Rank R >= 1 (default 1). */
  rank?: number;
}

export interface FullRankOptions extends CommonModelOptions {
  /** wrec ~ N(0, rho^2 / N) (default 1). */
  rho?: number;
  /** Dale's law: the fraction of excitatory units (the first ones), or one sign (+1 / -1) per unit. */
  dale?: { excitatory: number } | Int8Array | number[];
  /** Fixed connectivity mask, N x N (1 = connection allowed), row i = postsynaptic unit. */
  mask?: Uint8Array | Tensor;
}

export interface SimulateOptions {
  /** Draw per-step noise (default true when the model has noise). */
  noise?: boolean;
  seed?: number;
  /** [B, N] initial states instead of h0. */
  initialStates?: Tensor;
  states?: boolean;
  rates?: boolean;
  outputs?: boolean;
}

export interface Simulation {
  /** [B, T+1, N], x_0 = h0 included. */
  states?: Tensor;
  /** [B, T+1, N], phi(x + b) (current formulation) or the rates themselves (rate formulation). */
  rates?: Tensor;
  /** [B, T, O]; outputs[:, t] reads out state t+1. */
  outputs?: Tensor;
}

export interface LossBatch {
  inputs: Tensor;
  /** [B, T, F] with F = O for outputs and N for rates or states. */
  targets: Tensor;
  /** [B, T, F] or [B, T] (broadcast over features); default all ones. */
  mask?: Tensor;
  initialStates?: Tensor;
}

export interface LossOptions {
  lossOn?: LossOn;
  noise?: boolean;
  seed?: number;
}

export interface ModelConfig {
  kind: 'lowrank' | 'fullrank';
  formatVersion: 1;
  size: number;
  rank: number;
  inputs: number;
  outputs: number;
  formulation: Formulation;
  activation: Activation;
  slope: number;
  outputActivation: Activation;
  alpha: number;
  noise: number;
  noAutapse: boolean;
  train: Record<ParamName, boolean>;
  rho?: number;
  daleSigns?: number[];
  hasMask?: boolean;
}

export function requireInt(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}; got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireNumber(value: unknown, name: string, ok: (v: number) => boolean, expect: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new RangeError(`${name} must be ${expect}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function requireActivation(value: unknown, name: string): Activation {
  if (!ACTIVATIONS.includes(value as Activation)) {
    throw new TypeError(`${name} must be one of ${ACTIVATIONS.join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as Activation;
}

/**
 * Reference train flags: m, n, wrec trained; wi, wo, h0 frozen; si (so) trained unless wi (wo) is, in which case
 * it is frozen; b trained when biases are on. Explicit flags override, except that si/so cannot be trained together
 * with wi/wo (the reference forbids it: the scale and the vectors would be redundant).
 */
export function defaultTrainFlags(
  lowRank: boolean,
  train: Partial<Record<ParamName, boolean>> = {},
  biases = false,
): Record<ParamName, boolean> {
  for (const key of Object.keys(train)) {
    if (!PARAM_NAMES.includes(key as ParamName)) {
      throw new TypeError(`train.${key} is not a parameter; use ${PARAM_NAMES.join(', ')}`);
    }
  }
  const wi = train.wi ?? false;
  const wo = train.wo ?? false;
  if (wi && train.si) throw new RangeError('train.si cannot be true when train.wi is true (si is frozen when wi trains)');
  if (wo && train.so) throw new RangeError('train.so cannot be true when train.wo is true (so is frozen when wo trains)');
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

let modelSeedCounter = 1;

/** Shared machinery of LowRankRNN and FullRankRNN. */
export abstract class RNNModel {
  readonly config: ModelConfig;
  readonly dtype: DType;
  readonly device: 'cpu' | 'cuda';
  readonly #threads: number;
  readonly #handle: NativeModelHandle;
  readonly #spec: NativeSpec;
  readonly #shapes: Map<ParamName, { offset: number; shape: number[] }>;
  #disposed = false;
  #queue: Promise<unknown> = Promise.resolve();

  protected constructor(config: ModelConfig, opts: CommonModelOptions, extra: Partial<NativeSpec>, initial: Map<ParamName, FloatArray>) {
    this.config = config;
    this.dtype = opts.dtype ?? 'float32';
    if (this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new TypeError(`dtype must be 'float32' or 'float64'; got ${JSON.stringify(this.dtype)}`);
    }
    const threads = opts.threads ?? 0;
    requireInt(threads, 'threads', 0);
    this.#threads = threads;
    this.device = resolveDevice(opts.device);
    const { binding } = native(opts.device);
    const spec: NativeSpec = {
      size: config.size,
      rank: config.kind === 'lowrank' ? config.rank : 0,
      inputs: config.inputs,
      outputs: config.outputs,
      formulation: config.formulation,
      activation: config.activation,
      slope: config.slope,
      outputActivation: config.outputActivation,
      outputSlope: config.slope,
      alpha: config.alpha,
      noise: config.noise,
      noAutapse: config.noAutapse,
      trainable: config.train,
      ...extra,
    };
    this.#spec = spec;
    this.#handle = new binding.NativeModel(spec, { dtype: this.dtype, device: this.device, threads });
    this.#shapes = new Map(this.#handle.layout().map((s) => [s.name, { offset: s.offset, shape: s.shape }]));
    const flat = this.#handle.getParams();
    for (const [name, values] of initial) {
      const seg = this.#shapes.get(name);
      if (!seg) continue;
      flat.set(values, seg.offset);
    }
    this.#handle.setParams(flat);
  }

  get size(): number {
    return this.config.size;
  }
  get inputSize(): number {
    return this.config.inputs;
  }
  get outputSize(): number {
    return this.config.outputs;
  }

  /** Names of this model's parameters, in file order. */
  get paramNames(): ParamName[] {
    return [...this.#shapes.keys()];
  }

  /** The native handle, for the training and analysis modules of this package.
   * @internal */
  get handle(): NativeModelHandle {
    this.#checkAlive();
    return this.#handle;
  }

  /** The native description of this model (sizes and options), for the analysis modules of this package.
   * @internal */
  get nativeSpec(): NativeSpec {
    return this.#spec;
  }

  /** Runs `job` after every earlier call on this model has settled (calls on one model are serialised). */
  protected serialize<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The constructor options that rebuild this model: every config field, the dtype, device and threads (no `init`
   * and no `seed`: the parameters are not part of the options).
   */
  options(): CommonModelOptions {
    const c = this.config;
    return {
      size: c.size,
      inputs: c.inputs,
      outputs: c.outputs,
      formulation: c.formulation,
      activation: c.activation,
      slope: c.slope,
      outputActivation: c.outputActivation,
      alpha: c.alpha,
      noise: c.noise,
      noAutapse: c.noAutapse,
      train: { ...c.train },
      dtype: this.dtype,
      device: this.device,
      threads: this.#threads,
    };
  }

  /**
   * The arguments of a model derived from this one: its options with `changes` applied, and its parameters with
   * `changes.params` applied. A carried parameter whose shape the changes alter (e.g. `wo` when `outputs` changes)
   * must be given in `changes.params`.
   */
  protected derivedOptions<O extends CommonModelOptions>(own: O, changes: ModelChanges<O>): O {
    const { params, ...options } = changes as ModelChanges<O> & { init?: unknown; size?: unknown };
    if ('init' in options || 'size' in options) {
      throw new RangeError(`model.with: ${'init' in options ? "'init'" : "'size'"} cannot change; pass new values as params, or build a new model`);
    }
    const derived = { ...own, ...options } as O;
    const carried = this.params();
    const init: Partial<Record<ParamName, FloatArray | Tensor>> = {};
    for (const [name, value] of Object.entries(carried) as [ParamName, Tensor][]) init[name] = value;
    for (const [name, value] of Object.entries(params ?? {}) as [ParamName, FloatArray | Tensor][]) {
      if (value !== undefined) init[name] = value;
    }
    derived.init = init;
    return derived;
  }

  /** A copy of every parameter, named as in the reference code. */
  params(): Record<ParamName, Tensor> {
    const flat = this.handle.getParams();
    const out = {} as Record<ParamName, Tensor>;
    for (const [name, seg] of this.#shapes) {
      out[name] = { data: flat.slice(seg.offset, seg.offset + shapeSize(seg.shape)), shape: [...seg.shape] };
    }
    return out;
  }

  param(name: ParamName): Tensor {
    const seg = this.#shapes.get(name);
    if (!seg) throw new RangeError(`this ${this.config.kind} model has no parameter '${name}'; it has ${this.paramNames.join(', ')}`);
    const flat = this.handle.getParams();
    return { data: flat.slice(seg.offset, seg.offset + shapeSize(seg.shape)), shape: [...seg.shape] };
  }

  /** The shape of a parameter. */
  paramShape(name: ParamName): number[] {
    const seg = this.#shapes.get(name);
    if (!seg) throw new RangeError(`this ${this.config.kind} model has no parameter '${name}'`);
    return [...seg.shape];
  }

  /**
   * Replaces some parameters. Shapes are checked; values are converted to the model's dtype; the structural
   * constraints (no autapses, Dale's law, connectivity mask) are applied to wrec.
   */
  setParams(values: Partial<Record<ParamName, Tensor | FloatArray>>): void {
    const flat = this.handle.getParams();
    for (const [key, value] of Object.entries(values)) {
      const name = key as ParamName;
      const seg = this.#shapes.get(name);
      if (!seg) throw new RangeError(`this ${this.config.kind} model has no parameter '${key}'; it has ${this.paramNames.join(', ')}`);
      const data = checkParamValue(value, name, seg.shape);
      flat.set(asDType(data, this.dtype), seg.offset);
    }
    this.#handle.setParams(flat);
  }

  /** All parameters as one flat vector in layout order (for optimiser snapshots). */
  flatParams(): FloatArray {
    return this.handle.getParams();
  }

  setFlatParams(flat: FloatArray): void {
    this.handle.setParams(flat);
  }

  /** Splits a flat vector in layout order (parameters or gradients) into named tensors.
   * @internal */
  unflatten(flat: FloatArray): Record<ParamName, Tensor> {
    const out = {} as Record<ParamName, Tensor>;
    for (const [name, seg] of this.#shapes) {
      out[name] = { data: flat.slice(seg.offset, seg.offset + shapeSize(seg.shape)), shape: [...seg.shape] };
    }
    return out;
  }

  /**
   * Runs the network on inputs [B, T, K]. Returns states [B, T+1, N] and outputs [B, T, O] by default, rates on
   * request. Noise follows the model's sigma unless `noise: false`; the same seed gives the same result.
   */
  async simulate(inputs: Tensor, opts: SimulateOptions = {}): Promise<Simulation> {
    const { B, T } = this.#checkInputs(inputs);
    const init = this.#checkInitialStates(opts.initialStates, B);
    const seed = checkSeed(opts.seed);
    const data = asDType(inputs.data, this.dtype);
    const N = this.size;
    return this.serialize(async () => {
      const r = await this.handle.simulate(data, init, {
        batch: B,
        steps: T,
        seed,
        noise: opts.noise ?? true,
        states: opts.states ?? true,
        rates: opts.rates ?? false,
        outputs: opts.outputs ?? true,
      });
      const out: Simulation = {};
      if (r.states) out.states = { data: r.states, shape: [B, T + 1, N] };
      if (r.rates) out.rates = { data: r.rates, shape: [B, T + 1, N] };
      if (r.outputs) out.outputs = { data: r.outputs, shape: [B, T, this.outputSize] };
      return out;
    });
  }

  /** Masked MSE (reference `loss_mse`) of a batch. */
  async loss(batch: LossBatch, opts: LossOptions = {}): Promise<number> {
    return (await this.#lossCall(batch, opts, false)).loss;
  }

  /** Loss and its gradient with respect to every parameter (frozen ones included). */
  async gradients(batch: LossBatch, opts: LossOptions = {}): Promise<{ loss: number; grads: Record<ParamName, Tensor> }> {
    const r = await this.#lossCall(batch, opts, true);
    return { loss: r.loss, grads: this.unflatten(r.grad!) };
  }

  /** Validates a batch and converts it to the arrays the engine takes.
   * @internal */
  prepareBatch(batch: LossBatch, lossOn: LossOn, name = 'batch') {
    const { B, T } = this.#checkInputs(batch.inputs, `${name}.inputs`);
    const F = lossOn === 'outputs' ? this.outputSize : this.size;
    if (F === 0) throw new RangeError(`lossOn 'outputs' needs a model with outputs; this one has none (use 'rates' or 'states')`);
    checkTensor(batch.targets, `${name}.targets`, [B, T, F]);
    const mask = expandMask(batch.mask, B, T, F, `${name}.mask`);
    return {
      B,
      T,
      F,
      inputs: asDType(batch.inputs.data, this.dtype),
      targets: asDType(batch.targets.data, this.dtype),
      mask: asDType(mask, this.dtype),
      initialStates: this.#checkInitialStates(batch.initialStates, B),
    };
  }

  async #lossCall(batch: LossBatch, opts: LossOptions, gradient: boolean) {
    const lossOn = checkLossOn(opts.lossOn);
    const p = this.prepareBatch(batch, lossOn);
    const seed = checkSeed(opts.seed);
    return this.serialize(() =>
      this.handle.lossAndGradient(p.inputs, p.targets, p.mask, p.initialStates, {
        batch: p.B,
        steps: p.T,
        lossOn,
        seed,
        noise: opts.noise ?? true,
        gradient,
      }),
    );
  }

  #checkInputs(inputs: Tensor, name = 'inputs'): { B: number; T: number } {
    checkTensor(inputs, name);
    if (inputs.shape.length !== 3 || inputs.shape[2] !== this.inputSize) {
      throw new RangeError(`${name} must have shape [batch, steps, ${this.inputSize}]; got ${formatShape(inputs.shape)}`);
    }
    const [B, T] = inputs.shape;
    if (B < 1 || T < 1) throw new RangeError(`${name} needs at least one trial and one step; got ${formatShape(inputs.shape)}`);
    return { B, T };
  }

  #checkInitialStates(init: Tensor | undefined, B: number): FloatArray | null {
    if (!init) return null;
    checkTensor(init, 'initialStates', [B, this.size]);
    return asDType(init.data, this.dtype);
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error('this model has been disposed');
  }

  /** Frees native memory. Further calls throw. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#handle.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export function checkLossOn(value: unknown): LossOn {
  const v = value ?? 'outputs';
  if (v !== 'outputs' && v !== 'rates' && v !== 'states') {
    throw new TypeError(`lossOn must be 'outputs', 'rates' or 'states'; got ${JSON.stringify(value)}`);
  }
  return v;
}

export function checkSeed(seed: unknown, name = 'seed'): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer; got ${JSON.stringify(seed)}`);
  }
  return seed;
}

function checkParamValue(value: Tensor | FloatArray, name: string, shape: number[]): FloatArray {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (value.length !== shapeSize(shape)) {
      throw new RangeError(`${name} must have ${shapeSize(shape)} values (shape ${formatShape(shape)}); got ${value.length}`);
    }
    checkTensor({ data: value, shape: [value.length] }, name);
    return value;
  }
  checkTensor(value, name);
  if (shapeSize(value.shape) !== shapeSize(shape) || value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${name} must have shape ${formatShape(shape)}; got ${formatShape(value.shape)}`);
  }
  return value.data;
}

/** A mask [B, T, F], from [B, T, F], [B, T] (same for every feature) or nothing (all ones). */
export function expandMask(mask: Tensor | undefined, B: number, T: number, F: number, name: string): FloatArray {
  if (!mask) return new Float32Array(B * T * F).fill(1);
  checkTensor(mask, name);
  if (mask.shape.length === 3) {
    checkTensor(mask, name, [B, T, F]);
    return mask.data;
  }
  checkTensor(mask, name, [B, T]);
  const out = new (mask.data.constructor as Float32ArrayConstructor)(B * T * F);
  for (let i = 0; i < B * T; i++) out.fill(mask.data[i], i * F, i * F + F);
  return out;
}

function commonConfig(opts: CommonModelOptions, kind: 'lowrank' | 'fullrank', rank: number): ModelConfig {
  if (opts === null || typeof opts !== 'object') throw new TypeError('model options must be an object');
  const size = requireInt(opts.size, 'size', 1);
  const formulation = opts.formulation ?? 'current';
  if (formulation !== 'current' && formulation !== 'rate') {
    throw new TypeError(`formulation must be 'current' or 'rate'; got ${JSON.stringify(formulation)}`);
  }
  const activation = requireActivation(opts.activation ?? 'tanh', 'activation');
  return {
    kind,
    formatVersion: 1,
    size,
    rank,
    inputs: requireInt(opts.inputs ?? 1, 'inputs', 0),
    outputs: requireInt(opts.outputs ?? 1, 'outputs', 0),
    formulation,
    activation,
    slope: requireNumber(opts.slope ?? 0.01, 'slope', (v) => v >= 0, 'a number >= 0'),
    outputActivation: requireActivation(opts.outputActivation ?? (formulation === 'rate' ? 'linear' : activation), 'outputActivation'),
    alpha: requireNumber(opts.alpha ?? 0.2, 'alpha', (v) => v > 0 && v <= 1, 'in (0, 1]'),
    noise: requireNumber(opts.noise ?? 0, 'noise', (v) => v >= 0, 'a number >= 0'),
    noAutapse: opts.noAutapse ?? false,
    train: defaultTrainFlags(kind === 'lowrank', opts.train, opts.biases),
  };
}

/**
 * Refuses a model whose parameters, gradients and optimiser moments (about 40 bytes per parameter) cannot fit in
 * this machine's memory, before anything is allocated.
 */
function checkModelFits(kind: string, size: number, params: number): void {
  const bytes = params * 40;
  if (bytes > 0.8 * totalmem()) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    throw new RangeError(
      `a ${kind} net of size ${size} has ${params.toExponential(2)} parameters and needs about ${gib(bytes)} GiB ` +
        `to train, but this machine has ${gib(totalmem())} GiB; use a smaller size${kind === 'full-rank' ? ' or a low-rank net' : ''}`,
    );
  }
}

/** Initial values: reference distributions, replaced by `opts.init` where given. */
function initialValues(
  shapes: Record<string, number[]>,
  draws: Record<string, (rng: Random, out: Float64Array) => void>,
  opts: CommonModelOptions,
): Map<ParamName, FloatArray> {
  const rng = new Random(opts.seed ?? modelSeedCounter++);
  const out = new Map<ParamName, FloatArray>();
  for (const [name, shape] of Object.entries(shapes)) {
    const given = opts.init?.[name as ParamName];
    if (given !== undefined) {
      out.set(name as ParamName, checkParamValue(given, `init.${name}`, shape));
      continue;
    }
    const values = new Float64Array(shapeSize(shape));
    draws[name]?.(rng, values);
    out.set(name as ParamName, values);
  }
  for (const key of Object.keys(opts.init ?? {})) {
    if (!(key in shapes)) throw new RangeError(`init.${key} is not a parameter of this model; it has ${Object.keys(shapes).join(', ')}`);
  }
  return out;
}

const ones = (_: Random, out: Float64Array) => out.fill(1);

/**
 * Low-rank RNN, J = m n^T / N (the connectivity matrix is never formed). Reference initialisation: m, n, wi ~ N(0, 1),
 * wo ~ N(0, 4^2), si = so = 1, h0 = b = 0.
 */
export class LowRankRNN extends RNNModel {
  constructor(opts: LowRankOptions) {
    const rank = requireInt(opts?.rank ?? 1, 'rank', 1);
    const config = commonConfig(opts, 'lowrank', rank);
    if (rank > config.size) throw new RangeError(`rank must be <= size (${config.size}); got ${rank}`);
    const { size: N, inputs: K, outputs: O } = config;
    checkModelFits('low-rank', N, N * (2 * rank + K + O + 2));
    const initial = initialValues(
      { m: [N, rank], n: [N, rank], wi: [K, N], si: [K], wo: [N, O], so: [O], h0: [N], b: [N] },
      {
        m: (r, o) => r.fillNormal(o),
        n: (r, o) => r.fillNormal(o),
        wi: (r, o) => r.fillNormal(o),
        si: ones,
        wo: (r, o) => r.fillNormal(o, 4),
        so: ones,
      },
      opts,
    );
    super(config, opts, {}, initial);
  }

  get rank(): number {
    return this.config.rank;
  }

  override options(): LowRankOptions {
    return { ...super.options(), rank: this.rank };
  }

  /** A new low-rank net with every option and parameter of this one, except what `changes` replaces. */
  with(changes: ModelChanges<LowRankOptions> = {}): LowRankRNN {
    return new LowRankRNN(this.derivedOptions(this.options(), changes));
  }
}

/**
 * Full-rank RNN with the reference initialisation: wrec ~ N(0, rho^2 / N), wi ~ N(0, 1), wo ~ N(0, 1 / N^2),
 * si = so = 1; the readout has no 1/N. With Dale's law, wrec_ij = d_j |w_ij| with inhibitory columns scaled by
 * nE / nI so that the expected input is balanced, and signs are kept during training.
 */
export class FullRankRNN extends RNNModel {
  /** The fixed connectivity mask (N x N, row = postsynaptic unit), when one was given. */
  readonly connectivityMask?: Uint8Array;

  constructor(opts: FullRankOptions) {
    const config = commonConfig(opts, 'fullrank', 0);
    const { size: N, inputs: K, outputs: O } = config;
    checkModelFits('full-rank', N, N * (N + K + O + 2));
    const rho = requireNumber(opts.rho ?? 1, 'rho', (v) => v >= 0, 'a number >= 0');
    const daleSigns = parseDale(opts.dale, N);
    const mask = parseMask(opts.mask, N);
    config.rho = rho;
    if (daleSigns) config.daleSigns = Array.from(daleSigns);
    if (mask) config.hasMask = true;
    const initial = initialValues(
      { wrec: [N, N], wi: [K, N], si: [K], wo: [N, O], so: [O], h0: [N], b: [N] },
      {
        wrec: (r, o) => {
          r.fillNormal(o, rho / Math.sqrt(N));
          if (daleSigns) balanceDale(o, daleSigns, N);
        },
        wi: (r, o) => r.fillNormal(o),
        si: ones,
        wo: (r, o) => r.fillNormal(o, 1 / N),
        so: ones,
      },
      opts,
    );
    super(config, opts, { daleSigns, connectivityMask: mask }, initial);
    this.connectivityMask = mask;
  }

  override options(): FullRankOptions {
    const c = this.config;
    return {
      ...super.options(),
      rho: c.rho,
      dale: c.daleSigns ? Int8Array.from(c.daleSigns) : undefined,
      mask: this.connectivityMask,
    };
  }

  /** A new full-rank net with every option (Dale signs and mask included) and parameter of this one, except what
   * `changes` replaces. */
  with(changes: ModelChanges<FullRankOptions> = {}): FullRankRNN {
    return new FullRankRNN(this.derivedOptions(this.options(), changes));
  }
}

function parseDale(dale: FullRankOptions['dale'], N: number): Int8Array | undefined {
  if (dale === undefined) return undefined;
  if (dale instanceof Int8Array || Array.isArray(dale)) {
    if (dale.length !== N) throw new RangeError(`dale must have one sign per unit (${N}); got ${dale.length}`);
    const signs = Int8Array.from(dale);
    if (signs.some((s) => s !== 1 && s !== -1)) throw new RangeError('dale signs must be +1 (excitatory) or -1 (inhibitory)');
    return signs;
  }
  const frac = requireNumber(dale.excitatory, 'dale.excitatory', (v) => v >= 0 && v <= 1, 'a fraction in [0, 1]');
  const nE = Math.round(frac * N);
  return Int8Array.from({ length: N }, (_, i) => (i < nE ? 1 : -1));
}

function balanceDale(w: Float64Array, signs: Int8Array, N: number): void {
  const nE = signs.filter((s) => s > 0).length;
  const nI = N - nE;
  const inhibitoryScale = nI > 0 && nE > 0 ? nE / nI : 1;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const a = Math.abs(w[i * N + j]);
      w[i * N + j] = signs[j] > 0 ? a : -a * inhibitoryScale;
    }
  }
}

function parseMask(mask: FullRankOptions['mask'], N: number): Uint8Array | undefined {
  if (mask === undefined) return undefined;
  const data = mask instanceof Uint8Array ? mask : checkTensor(mask, 'mask', [N, N]).data;
  if (data.length !== N * N) throw new RangeError(`mask must be ${N} x ${N}; got ${data.length} values`);
  return Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
}

export type AnyModel = LowRankRNN | FullRankRNN;

