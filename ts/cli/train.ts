// `lowrank train`: trains a network on a cognitive task with the reference training loop. Parses arguments and calls
// ts/model and ts/training.
import { existsSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ACTIVATIONS, FullRankRNN, LowRankRNN, type Activation, type AnyModel } from '../model/index.js';
import { modelArrays } from '../model/files.js';
import { saveResult } from '../results/format.js';
import type { Device } from '../native/load.js';
import { tasks } from '../tasks/index.js';
import type { Task } from '../tasks/types.js';
import { train, type LrSchedule, type TrainOptions, type TrainResult } from '../training/train.js';
import { int, num, schedule, threads } from './args.js';
import { interruptSignal, isAbort, reportInterrupted } from './interrupt.js';
import { ProgressLine } from './progress.js';

/** The parsed options of `lowrank train` (also what a packed sweep job is built from). */
export interface TrainCliOptions {
  task: string;
  preset?: string;
  fullRank?: boolean;
  rank: number;
  size: number;
  epochs: number;
  lr: number;
  batchSize: number;
  clip: number;
  noise: number;
  alpha: number;
  activation: Activation;
  outputActivation?: Activation;
  formulation: 'current' | 'rate';
  rho: number;
  trainWi?: boolean;
  biases?: boolean;
  trainWo?: boolean;
  trials: number;
  earlyStop?: number;
  seed: number;
  threads: number;
  device: Device;
  out?: string;
  json?: boolean;
  checkpoint?: string;
  checkpointEvery: number;
  resume?: boolean;
  lrSchedule?: LrSchedule;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a network on a cognitive task with the reference training loop (Adam, masked MSE, keep-best)')
    .requiredOption('--task <name>', `task: ${tasks.names.join(', ')}`)
    .option('--preset <name>', "task constants: 'lint' or 'populations' (dm, mdm, wm)")
    .option('--full-rank', 'train a full-rank network instead of a low-rank one')
    .option('--rank <R>', 'rank of the low-rank network', int('--rank'), 1)
    .option('--size <N>', 'number of units', int('--size'), 512)
    .option('--epochs <n>', 'training epochs', int('--epochs'), 20)
    .option('--lr <x>', 'Adam learning rate', num('--lr'), 1e-2)
    .option('--batch-size <n>', 'trials per minibatch', int('--batch-size'), 32)
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', num('--clip'), 0.1)
    .option('--noise <sigma>', 'per-step noise std', num('--noise'), 0.05)
    .option('--alpha <x>', 'dt / tau', num('--alpha'), 0.2)
    .addOption(new Option('--activation <f>', 'transfer function').choices(ACTIVATIONS).default('tanh'))
    .addOption(new Option('--output-activation <f>', 'readout nonlinearity (default: the transfer function; linear for rate)').choices(ACTIVATIONS))
    .addOption(new Option('--formulation <form>', "'current' (LINT) or 'rate' (seed 001 ReLU networks)").choices(['current', 'rate']).default('current'))
    .option('--rho <x>', 'full-rank initial connectivity scale', num('--rho'), 1)
    .option('--train-wi', 'train the input vectors wi (si is then frozen)')
    .option('--biases', 'add and train the bias b')
    .option('--train-wo', 'train the readout vectors wo (so is then frozen)')
    .option('--trials <n>', 'trials generated for training and validation (20 % held out)', int('--trials'), 1000)
    .option('--early-stop <loss>', 'stop when an epoch loss falls below this value', num('--early-stop'))
    .option('--seed <n>', 'seed of the weights, the trials and the noise', int('--seed', 0), 0)
    .option('--threads <n>', 'CPU threads (0 = all cores)', threads, 0)
    .addOption(new Option('--device <d>', 'backend').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--lr-schedule <spec>', 'step:EVERY:FACTOR or plateau:PATIENCE:FACTOR (multiply the learning rate)', schedule)
    .option('--checkpoint <file.npz>', 'write a checkpoint (also a model file) every --checkpoint-every epochs and at the end')
    .option('--checkpoint-every <n>', 'epochs between checkpoints', int('--checkpoint-every'), 1)
    .option('--resume', 'continue from --checkpoint when it exists (same options; --epochs is the total)')
    .option('--out <file.npz>', 'where to save the trained model (numpy-readable .npz)')
    .option('--json', 'print one JSON line per epoch instead of the progress line')
    .action(runTrain);
}

async function runTrain(o: TrainCliOptions): Promise<void> {
  if (o.resume && !o.checkpoint) throw new InvalidArgumentError('--resume needs --checkpoint <file.npz>');
  const task = taskOf(o);
  const model = buildModel(o, task);
  const progress = new ProgressLine(o.epochs, Boolean(o.json));
  const describe = o.fullRank ? `full-rank N=${o.size}` : `rank-${o.rank} N=${o.size}`;
  progress.note(`training a ${describe} network on ${task.name} (${model.device}, ${task.steps} steps per trial)`);
  const result = await trainModel(model, task, o, progress);
  if (!result.aborted) progress.summary(trainSummary(task, result));
  if (o.out) {
    await saveTrained(o.out, model, task, o.preset, result);
    if (!result.aborted) progress.note(`saved ${o.out}`);
  }
  model.dispose();
  if (result.aborted) {
    const files = [o.out, o.checkpoint].filter((f): f is string => f !== undefined && existsSync(f));
    reportInterrupted(files, o.out ? `the best model so far (epoch ${result.bestEpoch})` : 'the last checkpoint');
  }
}

/** The task the options name. */
export function taskOf(o: TrainCliOptions): Task {
  return tasks.byName(o.task, o.preset ? { preset: o.preset } : {});
}

/** The result line of a run. */
export function trainSummary(task: Task, result: TrainResult): Record<string, unknown> {
  const last = result.epochs[result.epochs.length - 1];
  return { task: task.name, epochs: result.epochs.length, bestLoss: result.bestLoss, validationAccuracy: last?.validationAccuracy, seconds: result.seconds };
}

/** A model file whose meta keeps the task and the epochs, for `lowrank plot training|trials` and `lowrank report`. */
export async function saveTrained(path: string, model: AnyModel, task: Task, preset: string | undefined, result: TrainResult | undefined): Promise<void> {
  const training = result ? { epochs: result.epochs, bestLoss: result.bestLoss, bestEpoch: result.bestEpoch, seconds: result.seconds } : undefined;
  await saveResult(path, 'model', {}, { arrays: modelArrays(model), meta: { task: task.name, preset, training } });
}

/** The network the options describe, sized for the task. */
export function buildModel(o: TrainCliOptions, task: Task): AnyModel {
  const common = {
    size: o.size,
    inputs: task.inputSize,
    outputs: task.outputSize,
    noise: o.noise,
    alpha: o.alpha,
    activation: o.activation,
    outputActivation: o.outputActivation,
    formulation: o.formulation,
    biases: o.biases,
    seed: o.seed,
    threads: o.threads,
    device: o.device,
    train: { ...(o.trainWi ? { wi: true } : {}), ...(o.trainWo ? { wo: true } : {}) },
  };
  return o.fullRank ? new FullRankRNN({ ...common, rho: o.rho }) : new LowRankRNN({ ...common, rank: o.rank });
}

/** train()'s options from the command's. */
export function trainOptionsOf(o: TrainCliOptions): TrainOptions {
  return {
    epochs: o.epochs,
    lr: o.lr,
    batchSize: o.batchSize,
    clip: o.clip,
    trials: o.trials,
    earlyStop: o.earlyStop,
    seed: o.seed,
    lrSchedule: o.lrSchedule,
    checkpoint: o.checkpoint ? { path: o.checkpoint, every: o.checkpointEvery } : undefined,
    resume: o.resume ? true : undefined,
  };
}

/** Trains until done, or until Ctrl-C (then the result so far, `aborted`; the model holds its best parameters). */
async function trainModel(model: AnyModel, task: Task, o: TrainCliOptions, progress: ProgressLine): Promise<TrainResult> {
  try {
    return await train(model, task, { ...trainOptionsOf(o), signal: interruptSignal(), onProgress: (e) => progress.epoch(e) });
  } catch (err) {
    const partial = (err as { result?: TrainResult }).result;
    if (!isAbort(err) || !partial) throw err;
    return partial;
  } finally {
    progress.done();
  }
}
