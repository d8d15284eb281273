// train(model, task or dataset): the reference training loop (Adam, random minibatches, global-norm clipping,
// keep-best, early stop) run by the native engine, with validation, progress and cancellation.
import type { AnyModel, LossOn } from './models.js';
import { checkLossOn, checkSeed, expandMask } from './models.js';
import { Random } from './random.js';
import { asDType, checkTensor, formatShape, type FloatArray, type Tensor } from './tensor.js';

/** Trials to train on: inputs [D, T, K], targets [D, T, F], mask [D, T, F] or [D, T] (default all ones). */
export interface Dataset {
  inputs: Tensor;
  targets: Tensor;
  mask?: Tensor;
  /** Per-trial metadata (tasks provide it; accuracy functions may read it). */
  conditions?: Record<string, number[]>;
}

/** What train() needs from a task: trials for a seed, and optionally the task's accuracy. */
export interface TrainableTask {
  readonly name: string;
  sample(batch: number, opts?: { seed?: number }): Dataset;
  accuracy?(outputs: Tensor, batch: Dataset): number;
}

export interface EpochReport {
  epoch: number;
  /** Mean of this epoch's minibatch losses (the reference's keep-best and early-stop criterion). */
  loss: number;
  validationLoss?: number;
  validationAccuracy?: number;
  seconds: number;
  best: boolean;
}

export interface TrainOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** Global gradient-norm clip; 0 or undefined = off. */
  clip?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Restore the parameters of the epoch with the lowest loss at the end (default true). */
  keepBest?: boolean;
  /** Stop as soon as an epoch's mean loss falls below this value. */
  earlyStop?: number;
  lossOn?: LossOn;
  /** Trials generated from a task (default 1000, as in the reference). */
  examples?: number;
  /** Fraction of trials held out for validation (default 0.2 for tasks, 0 for datasets). */
  validationSplit?: number;
  /** Per-step noise during training (default true). */
  noise?: boolean;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (report: EpochReport) => void;
}

export interface TrainResult {
  epochs: EpochReport[];
  bestLoss: number;
  /** 0 = the initial parameters were never beaten. */
  bestEpoch: number;
  aborted: boolean;
  seconds: number;
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(value: unknown, name: string, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number; got ${JSON.stringify(value)}`);
  }
  return value;
}

interface PreparedData {
  inputs: FloatArray;
  targets: FloatArray;
  mask: FloatArray;
  examples: number;
  steps: number;
}

function sliceTrials(d: Dataset, from: number, to: number): Dataset {
  const cut = (t: Tensor): Tensor => {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return { data: t.data.slice(from * per, to * per), shape: [to - from, ...t.shape.slice(1)] };
  };
  const conditions = d.conditions
    ? Object.fromEntries(Object.entries(d.conditions).map(([k, v]) => [k, v.slice(from, to)]))
    : undefined;
  return { inputs: cut(d.inputs), targets: cut(d.targets), mask: d.mask ? cut(d.mask) : undefined, conditions };
}

function prepare(model: AnyModel, d: Dataset, lossOn: LossOn, name: string): PreparedData {
  checkTensor(d.inputs, `${name}.inputs`);
  if (d.inputs.shape.length !== 3 || d.inputs.shape[2] !== model.inputSize) {
    throw new RangeError(`${name}.inputs must have shape [trials, steps, ${model.inputSize}]; got ${formatShape(d.inputs.shape)}`);
  }
  const [D, T] = d.inputs.shape;
  const F = lossOn === 'outputs' ? model.outputSize : model.size;
  checkTensor(d.targets, `${name}.targets`, [D, T, F]);
  return {
    inputs: asDType(d.inputs.data, model.dtype),
    targets: asDType(d.targets.data, model.dtype),
    mask: asDType(expandMask(d.mask, D, T, F, `${name}.mask`), model.dtype),
    examples: D,
    steps: T,
  };
}

function abortError(result: TrainResult): Error {
  const err = new Error('training was aborted; the model holds its best parameters') as Error & { result?: TrainResult };
  err.name = 'AbortError';
  err.result = result;
  return err;
}

/**
 * Trains `model` in place. With a task, `examples` trials are generated once (seeded) and the last
 * `validationSplit` of them are held out, as in the reference generators. Each epoch runs floor(train / batchSize)
 * Adam steps on minibatches drawn without replacement within a batch. Rejects with an AbortError when `signal`
 * aborts (within one minibatch) and with an Error when the loss becomes NaN/Inf; in both cases the model keeps its
 * best parameters.
 */
export async function train(model: AnyModel, source: TrainableTask | Dataset, opts: TrainOptions = {}): Promise<TrainResult> {
  const epochs = positiveInt(opts.epochs ?? 1, 'epochs');
  const lr = positiveNumber(opts.lr ?? 1e-3, 'lr');
  const batchSize = positiveInt(opts.batchSize ?? 32, 'batchSize');
  const clip = positiveNumber(opts.clip ?? 0, 'clip', true);
  const lossOn = checkLossOn(opts.lossOn);
  const seed = checkSeed(opts.seed);
  const keepBest = opts.keepBest ?? true;
  const noise = opts.noise ?? true;
  const isTask = typeof (source as TrainableTask).sample === 'function';
  const split = opts.validationSplit ?? (isTask ? 0.2 : 0);
  if (!(split >= 0 && split < 1)) throw new RangeError(`validationSplit must be in [0, 1); got ${split}`);
  if (opts.earlyStop !== undefined) positiveNumber(opts.earlyStop, 'earlyStop');

  const task = isTask ? (source as TrainableTask) : undefined;
  const all = task ? task.sample(positiveInt(opts.examples ?? 1000, 'examples'), { seed }) : (source as Dataset);
  const total = all.inputs.shape[0];
  const nVal = Math.floor(total * split);
  const nTrain = total - nVal;
  if (nTrain < batchSize) {
    throw new RangeError(`batchSize (${batchSize}) is larger than the ${nTrain} training trials; lower batchSize or add trials`);
  }
  const trainSet = nVal > 0 ? sliceTrials(all, 0, nTrain) : all;
  const valSet = nVal > 0 ? sliceTrials(all, nTrain, total) : undefined;
  const data = prepare(model, trainSet, lossOn, task ? `${task.name} trials` : 'dataset');
  const stepsPerEpoch = Math.floor(nTrain / batchSize);
  const rng = new Random(seed);

  const started = performance.now();
  const reports: EpochReport[] = [];
  let bestLoss = await model.loss(trainSet, { lossOn, seed, noise: false });
  let bestParams = model.flatParams();
  let bestEpoch = 0;
  const handle = model.handle;
  const onAbort = () => handle.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const result = (aborted: boolean): TrainResult => ({
    epochs: reports,
    bestLoss,
    bestEpoch,
    aborted,
    seconds: (performance.now() - started) / 1000,
  });
  const restoreBest = () => {
    if (keepBest) model.setFlatParams(bestParams);
  };

  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) {
        restoreBest();
        throw abortError(result(true));
      }
      const t0 = performance.now();
      const indices = new Int32Array(stepsPerEpoch * batchSize);
      for (let s = 0; s < stepsPerEpoch; s++) indices.set(rng.sampleIndices(nTrain, batchSize), s * batchSize);
      let run;
      try {
        run = await handle.trainSteps(data.inputs, data.targets, data.mask, indices, {
          examples: data.examples,
          steps: data.steps,
          lossOn,
          batch: batchSize,
          optimizerSteps: stepsPerEpoch,
          lr,
          beta1: opts.beta1 ?? 0.9,
          beta2: opts.beta2 ?? 0.999,
          eps: opts.eps ?? 1e-8,
          clip,
          seed,
          noise,
        });
      } catch (err) {
        restoreBest();
        const e = err as Error;
        throw new Error(`training diverged in epoch ${epoch}: ${e.message}; the model holds its best parameters (epoch ${bestEpoch})`, { cause: err });
      }
      if (run.aborted || opts.signal?.aborted) {
        restoreBest();
        throw abortError(result(true));
      }
      const loss = run.losses.reduce((a, b) => a + b, 0) / Math.max(1, run.losses.length);
      const report: EpochReport = { epoch, loss, seconds: (performance.now() - t0) / 1000, best: false };
      if (loss < bestLoss) {
        bestLoss = loss;
        bestEpoch = epoch;
        bestParams = model.flatParams();
        report.best = true;
      }
      if (valSet) {
        report.validationLoss = await model.loss(valSet, { lossOn, seed: seed + epoch, noise });
        if (task?.accuracy && lossOn === 'outputs') {
          const sim = await model.simulate(valSet.inputs, { seed: seed + epoch, noise, states: false });
          report.validationAccuracy = task.accuracy(sim.outputs!, valSet);
        }
      }
      report.seconds = (performance.now() - t0) / 1000;
      reports.push(report);
      opts.onProgress?.(report);
      if (opts.earlyStop !== undefined && loss < opts.earlyStop) break;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  restoreBest();
  return result(false);
}
