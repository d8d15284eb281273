// What low-rank and full-rank nets share (DESIGN.md §2): the native model, parameters, simulation, loss and
// gradients, and derivation (options() and the arguments of with()).
import type { LossOn, NativeInitialValues, NativeModelHandle, NativeSpec, ParamName } from '../native/binding.js';
import { native, resolveDevice, type ResolvedDevice } from '../native/load.js';
import { checkOptions, is, type NotApplicable, type Rules } from '../core/validate.js';
import { asDType, shapeSize, type DType, type FloatArray, type Tensor } from '../core/tensor.js';
import { dynamicsOf, optionsFromConfig, type ModelConfig } from './config.js';
import { type CommonModelOptions, type ModelChanges } from './options.js';
import { checkParamNames, checkParamValue } from './params.js';
import {
  CALL_NOT_APPLICABLE,
  LOSS_DEFAULTS,
  LOSS_RULES,
  SIMULATE_DEFAULTS,
  SIMULATE_RULES,
  checkInitialStates,
  checkInputs,
  prepareBatch,
  type LossBatch,
  type LossOptions,
  type PreparedBatch,
  type SimulateOptions,
  type Simulation,
} from './batch.js';

/** Options that a derived model cannot change, and why. */
const FIXED_ON_DERIVE: NotApplicable = {
  size: 'the size cannot change; build a new model',
  init: 'the parameters are carried over; pass new values as params',
  seed: 'the parameters are carried over, not drawn; pass new values as params',
};

/** Shared machinery of LowRankRNN and FullRankRNN. */
export abstract class RNNModel {
  readonly config: ModelConfig;
  readonly dtype: DType;
  /** Where this model runs (its `device` option resolved). */
  readonly device: ResolvedDevice;
  readonly #threads: number;
  readonly #handle: NativeModelHandle;
  readonly #spec: NativeSpec;
  readonly #shapes: Map<ParamName, { offset: number; shape: number[] }>;
  #disposed = false;
  /** The last call queued on this model; the first waits for the initial parameters. */
  #queue: Promise<unknown>;

  /**
   * `opts`: checked options (with their defaults); `extra`: the kind's own native spec fields; `initial`: the given
   * values and the draws of the others. The native model copies the given values at once and makes large draws on a
   * worker thread, which every later call on the model waits for (so construction never blocks the event loop).
   */
  protected constructor(config: ModelConfig, opts: CommonModelOptions, extra: Partial<NativeSpec>, initial: NativeInitialValues) {
    if (new.target === RNNModel) throw new TypeError('RNNModel is the base class of LowRankRNN and FullRankRNN; construct one of those');
    this.config = config;
    this.dtype = opts.dtype!;
    this.#threads = opts.threads!;
    this.device = resolveDevice(opts.device);
    this.#spec = { ...nativeSpecOf(config), ...extra };
    const { binding } = native(this.device);
    this.#handle = new binding.NativeModel(this.#spec, { dtype: this.dtype, device: this.device, threads: this.#threads }, initial);
    this.#shapes = new Map(this.#handle.layout().map((s) => [s.name, { offset: s.offset, shape: s.shape }]));
    this.#queue = this.#handle.initialised();
  }

  /**
   * Resolves once the model's initial parameters are in place. A large net draws them on a worker thread (so that
   * `new FullRankRNN({ size: 2000 })` returns at once); the asynchronous calls (simulate, loss, train, saveModel...)
   * wait for them without blocking, while a synchronous read (params(), flatParams()) made before then waits on
   * the spot. Await this before such a read to keep the event loop free.
   */
  ready(): Promise<void> {
    return this.handle.initialised();
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
    return { ...optionsFromConfig(this.config), dtype: this.dtype, device: this.device, threads: this.#threads };
  }

  /**
   * The arguments of a model derived from this one: its options with `changes` applied (checked against the kind's
   * `rules`), and its parameters with `changes.params` applied. A carried parameter whose shape the changes alter
   * (e.g. `wo` when `outputs` changes) must be given in `changes.params`.
   */
  protected derivedOptions<O extends CommonModelOptions>(own: O, changes: ModelChanges<O>, rules: Rules<O>, notApplicable: NotApplicable): O {
    const { size: _size, init: _init, seed: _seed, ...changeable } = rules as Rules<CommonModelOptions>;
    const withRules = { ...changeable, params: is.object('an object of parameter values') } as Rules<ModelChanges<O>>;
    const { params, ...options } = checkOptions('model.with', withRules, changes, {}, { ...notApplicable, ...FIXED_ON_DERIVE });
    const given = checkParamNames('model.with: params', this.paramNames, params);
    const init: Partial<Record<ParamName, FloatArray | Tensor>> = { ...this.params() };
    for (const [name, value] of Object.entries(given) as [ParamName, FloatArray | Tensor][]) if (value !== undefined) init[name] = value;
    return { ...own, ...options, init } as O;
  }

  /** A copy of every parameter, named as in the reference code. */
  params(): Record<ParamName, Tensor> {
    return this.unflatten(this.handle.getParams());
  }

  /** A copy of one parameter, with its shape (e.g. m [N, R], wi [K, N]). */
  param(name: ParamName): Tensor {
    const seg = this.#segment(name);
    const flat = this.handle.getParams();
    return { data: flat.slice(seg.offset, seg.offset + shapeSize(seg.shape)), shape: [...seg.shape] };
  }

  /** The shape of a parameter. */
  paramShape(name: ParamName): number[] {
    return [...this.#segment(name).shape];
  }

  /**
   * Replaces some parameters. Shapes are checked; values are converted to the model's dtype; the structural
   * constraints (no autapses, Dale's law, connectivity mask) are applied to wrec.
   */
  setParams(values: Partial<Record<ParamName, Tensor | FloatArray>>): void {
    const flat = this.handle.getParams();
    for (const [key, value] of Object.entries(values)) {
      const seg = this.#segment(key);
      flat.set(asDType(checkParamValue(value, key, seg.shape), this.dtype), seg.offset);
    }
    this.#handle.setParams(flat);
  }

  /** All parameters as one flat vector in layout order (for optimiser snapshots). */
  flatParams(): FloatArray {
    return this.handle.getParams();
  }

  /**
   * Replaces every parameter from one flat vector in layout order, as {@link flatParams} returns it; the structural
   * constraints are applied as in {@link setParams}.
   */
  setFlatParams(flat: FloatArray): void {
    this.handle.setParams(flat);
  }

  /** Splits a fresh flat vector in layout order (parameters or gradients, as the engine returns them) into named
   * tensors that are views of it (no copy).
   * @internal */
  unflatten(flat: FloatArray): Record<ParamName, Tensor> {
    const out = {} as Record<ParamName, Tensor>;
    for (const [name, seg] of this.#shapes) {
      out[name] = { data: flat.subarray(seg.offset, seg.offset + shapeSize(seg.shape)), shape: [...seg.shape] };
    }
    return out;
  }

  /**
   * Runs the network on inputs [B, T, K]. Returns states [B, T+1, N] and outputs [B, T, O] by default, rates on
   * request; `states: false` (or `outputs: false`) skips an array the caller does not need. Noise follows the model's
   * sigma unless `drawNoise: false`; the same seed gives the same result. The engine allocates and fills the arrays
   * on its worker threads and hands them over without a copy.
   */
  async simulate(inputs: Tensor, opts: SimulateOptions = {}): Promise<Simulation> {
    const o = checkOptions('model.simulate', SIMULATE_RULES, opts, SIMULATE_DEFAULTS, CALL_NOT_APPLICABLE);
    const { B, T } = checkInputs(inputs, this.inputSize);
    const init = checkInitialStates(o.initialStates, B, this.#batchShape());
    const data = asDType(inputs.data, this.dtype);
    const N = this.size;
    return this.serialize(async () => {
      const r = await this.handle.simulate(data, init, {
        batch: B,
        steps: T,
        seed: o.seed!,
        noise: o.drawNoise!,
        states: o.states!,
        rates: o.rates!,
        outputs: o.outputs!,
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
    return (await this.#lossCall('model.loss', batch, opts, false)).loss;
  }

  /** Loss and its gradient with respect to every parameter (frozen ones included). */
  async gradients(batch: LossBatch, opts: LossOptions = {}): Promise<{ loss: number; grads: Record<ParamName, Tensor> }> {
    const r = await this.#lossCall('model.gradients', batch, opts, true);
    return { loss: r.loss, grads: this.unflatten(r.grad!) };
  }

  /** Validates a batch and converts it to the arrays the engine takes.
   * @internal */
  prepareBatch(batch: LossBatch, lossOn: LossOn, name = 'batch'): PreparedBatch {
    return prepareBatch(batch, lossOn, this.#batchShape(), name);
  }

  async #lossCall(where: string, batch: LossBatch, opts: LossOptions, gradient: boolean) {
    const o = checkOptions(where, LOSS_RULES, opts, LOSS_DEFAULTS, CALL_NOT_APPLICABLE);
    const p = this.prepareBatch(batch, o.lossOn!);
    return this.serialize(() =>
      this.handle.lossAndGradient(p.inputs, p.targets, p.mask, p.initialStates, {
        batch: p.B,
        steps: p.T,
        lossOn: o.lossOn!,
        seed: o.seed!,
        noise: o.drawNoise!,
        gradient,
      }),
    );
  }

  #batchShape() {
    return { size: this.size, inputs: this.inputSize, outputs: this.outputSize, dtype: this.dtype };
  }

  #segment(name: string): { offset: number; shape: number[] } {
    const seg = this.#shapes.get(name as ParamName);
    if (!seg) throw new RangeError(`this ${this.config.kind} model has no parameter '${name}'; it has ${this.paramNames.join(', ')}`);
    return seg;
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

  /** Frees native memory as {@link dispose} does, for `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** The native spec of a config (a full-rank net adds its Dale signs and mask). */
function nativeSpecOf(config: ModelConfig): NativeSpec {
  return {
    size: config.size,
    rank: config.kind === 'lowrank' ? config.rank : 0,
    ...dynamicsOf(config),
    outputSlope: config.slope,
    trainable: config.train,
  };
}
