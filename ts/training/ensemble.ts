// trainEnsemble(models, task(s) or dataset(s)): E models of one shape trained side by side, each exactly as train()
// would train it alone, with one native call per epoch for all members (the engine spreads the members over its
// threads). Read `trainEnsemble` top to bottom: check everything, claim the models, start every member's run, then
// epoch after epoch: one engine call for the members still running, and each member's own evaluation, keep-best,
// checkpoint, report and stop.
import { abortError } from '../core/errors.js';
import { checkObject, checkOptions, checkValue, is, optionError, type Rules } from '../core/validate.js';
import type { AnyModel } from '../model/index.js';
import { native } from '../native/load.js';
import type { NativeEnsembleOutcome } from '../native/binding.js';
import { checkTrainOptions, type TrainOptions } from './options.js';
import type { EpochReport, RunState, TrainResult } from './progress.js';
import {
  checkpointAfter,
  claimModels,
  divergedError,
  epochSteps,
  finishEpoch,
  initialState,
  restoreBest,
  resultOf,
  stageOf,
  startRun,
  stopsAfter,
  type Run,
} from './train.js';
import { isTask, splitTrials, type Dataset, type TrainableTask, type TrialSplit } from './trials.js';

const WHERE = 'trainEnsemble';

/** The options of one member that differ from the shared ones (a checkpoint and resume are per member only). */
export type EnsembleMemberOptions = Omit<TrainOptions, 'signal' | 'onProgress'>;

/** Options of {@link trainEnsemble}: train()'s options shared by every member, per-member overrides, and the call's own. */
export interface TrainEnsembleOptions extends Omit<TrainOptions, 'signal' | 'onProgress' | 'checkpoint' | 'resume'> {
  /** One entry per member (E in all): options that override the shared ones for that member, e.g. its `seed`. */
  members?: EnsembleMemberOptions[];
  /** Threads the members are spread over (default: the first model's threads). Results do not depend on it. */
  threads?: number;
  /** Stops every member within one minibatch; the call rejects with an AbortError whose `results` are the runs so far. */
  signal?: AbortSignal;
  /** Called after every epoch of every member with the member's index and its report. */
  onProgress?: (member: number, report: EpochReport) => void;
}

/** One member's outcome: its run as train() reports it, and `error` when its loss stopped being finite (it then
 * stopped alone, holding its best parameters; the message is train()'s). */
export interface EnsembleMemberResult extends TrainResult {
  /** Why this member stopped early (divergence); absent for members that ran to the end or stopped early on purpose. */
  error?: Error;
}

const ENSEMBLE_RULES: Rules<Pick<TrainEnsembleOptions, 'members' | 'threads' | 'signal' | 'onProgress'>> = {
  members: is.custom('an array of option objects, one per model', Array.isArray, Array.isArray),
  threads: is.integer(1, 1024),
  signal: is.signal(),
  onProgress: is.function(),
};

/** What makes two models trainable in one call: kind, N, R, K, O, formulation, activation, dtype and device. */
function shapeOf(model: AnyModel): string {
  const c = model.config;
  const { kind, size, rank, inputs, outputs, formulation, activation } = c;
  return JSON.stringify({ kind, size, rank, inputs, outputs, formulation, activation, dtype: model.dtype, device: model.device });
}

/** A member's run while the ensemble goes on. */
interface Member {
  index: number;
  source: TrainableTask | Dataset;
  run: Run;
  stage: TrialSplit;
  state?: RunState;
  epoch: number;
  done: boolean;
  error?: Error;
}

/**
 * Trains E models of one shape (kind, N, R, K, O, formulation, activation, dtype, device) side by side in one engine
 * call per epoch, each with its own parameters, options (`members[i]` over the shared ones: seed, learning rate,
 * schedule, epochs, ...), Adam state and trials: `source` is one task or dataset for all members (a task's trials are
 * generated with each member's seed) or an array of E of them. Each member's result and final parameters are those
 * `train(models[i], source_i, options_i)` gives, bit for bit on the CPU. Keep-best, early stopping and divergence are
 * per member: a member whose loss stops being finite stops alone with its error (in its result); the others go on.
 * Bad input (an empty list, models of different shapes, a model twice or already training, a source list of the wrong
 * length, bad options) is rejected before any work.
 */
export async function trainEnsemble(
  models: readonly AnyModel[],
  source: TrainableTask | Dataset | readonly (TrainableTask | Dataset)[],
  options: TrainEnsembleOptions = {},
): Promise<EnsembleMemberResult[]> {
  const { members: memberOptions, threads, signal, onProgress, ...shared } = checkObject(WHERE, options) as TrainEnsembleOptions;
  checkOptions(WHERE, ENSEMBLE_RULES, { members: memberOptions, threads, signal, onProgress });
  for (const key of ['checkpoint', 'resume'] as const) {
    if (key in shared) throw new RangeError(`${WHERE}: option '${key}' is per member: give it in members[i] (each member writes its own file)`);
  }
  const sources = checkMembers(models, source, memberOptions);
  const release = claimModels(WHERE, models, models.map((_, i) => `models[${i}]`));
  try {
    const members = models.map((model, i) => planMember(model, i, sources[i], { ...shared, ...memberOptions?.[i], signal }));
    for (const m of members) m.state = await initialState(m.run, m.stage);
    for (const m of members) m.epoch = m.state!.firstEpoch;
    for (const m of members) m.done = m.epoch > m.run.opts.epochs;
    let running = members.filter((m) => !m.done);
    while (running.length > 0) {
      if (signal?.aborted || !(await runEpoch(running, threads ?? models[0].options().threads ?? 0, signal, onProgress))) {
        throw abortedEnsemble(members);
      }
      running = running.filter((m) => !m.done);
    }
    for (const m of members) if (!m.error) restoreBest(m.run, m.state!);
    return members.map((m) => ({ ...resultOf(m.run, m.state!, false), ...(m.error ? { error: m.error } : {}) }));
  } finally {
    release();
  }
}

/** The members' sources (one each) after the checks that need no work. */
function checkMembers(
  models: readonly AnyModel[],
  source: TrainableTask | Dataset | readonly (TrainableTask | Dataset)[],
  memberOptions: EnsembleMemberOptions[] | undefined,
): (TrainableTask | Dataset)[] {
  if (!Array.isArray(models) || models.length === 0) throw optionError(WHERE, 'models', 'a non-empty array of models', models, TypeError, 'argument');
  models.forEach((m, i) => {
    if (!m || typeof m !== 'object' || typeof (m as AnyModel).flatParams !== 'function') {
      throw optionError(WHERE, `models[${i}]`, 'a LowRankRNN or FullRankRNN', m, TypeError, 'argument');
    }
  });
  const first = models.indexOf(models.find((m, i) => models.indexOf(m) !== i)!);
  if (first >= 0) throw new RangeError(`${WHERE}: argument 'models' must hold distinct models; models[${first}] appears twice`);
  const shape = shapeOf(models[0]);
  models.forEach((m, i) => {
    if (shapeOf(m) !== shape) throw new RangeError(`${WHERE}: argument 'models' must share one shape; models[0] is ${shape}, models[${i}] is ${shapeOf(m)}`);
  });
  const E = models.length;
  if (memberOptions && memberOptions.length !== E) throw optionError(WHERE, 'members', `an array of ${E} option objects (one per model)`, `${memberOptions.length} entries`);
  memberOptions?.forEach((m, i) => {
    const given = checkObject(WHERE, m, `option 'members[${i}]'`);
    for (const key of ['signal', 'onProgress']) {
      if (key in given) throw new RangeError(`${WHERE}: option 'members[${i}].${key}' is the call's: give it once, next to 'members'`);
    }
  });
  if (!Array.isArray(source)) return models.map(() => source as TrainableTask | Dataset);
  checkValue(WHERE, 'source', source.length, is.oneOf([E]), 'argument');
  return [...source];
}

/** A member's checked options, trials and run (the messages of train()'s checks name the member). */
function planMember(model: AnyModel, index: number, source: TrainableTask | Dataset, options: TrainOptions): Member {
  try {
    const opts = checkTrainOptions(options, isTask(source), model.paramNames);
    const stage = splitTrials(model, source, opts);
    return { index, source, run: startRun(model, opts, stage), stage, epoch: 0, done: false };
  } catch (err) {
    if (err instanceof Error) err.message = err.message.replace(/^train: /, `${WHERE}: member ${index}: `);
    throw err;
  }
}

/** One epoch of every running member: one engine call for all, then each member's own bookkeeping; false when the
 * call was aborted. */
async function runEpoch(running: Member[], threads: number, signal: AbortSignal | undefined, onProgress: TrainEnsembleOptions['onProgress']): Promise<boolean> {
  const t0 = performance.now();
  for (const m of running) m.stage = stageOf(m.run, m.stage, m.epoch);
  const args = running.map((m) => ({ model: m.run.model.handle, ...epochSteps(m.run, m.state!, m.stage, m.epoch) }));
  const { binding } = native(running[0].run.model.device);
  const job = binding.NativeModel.trainEnsemble(args, { threads });
  const onAbort = () => job.abort();
  signal?.addEventListener('abort', onAbort);
  let outcomes: NativeEnsembleOutcome[];
  try {
    outcomes = await job.promise;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted || outcomes.some((o) => o.aborted)) return false;
  await Promise.all(running.map((m, i) => finishMember(m, outcomes[i], t0, onProgress)));
  return true;
}

async function finishMember(m: Member, outcome: NativeEnsembleOutcome, t0: number, onProgress: TrainEnsembleOptions['onProgress']): Promise<void> {
  const state = m.state!;
  if (outcome.error) {
    m.error = divergedError(m.run, state, m.epoch, outcome.error);
    m.done = true;
    return;
  }
  const report = await finishEpoch(m.run, state, m.stage, m.epoch, outcome.losses, t0);
  const stopping = stopsAfter(m.run, report);
  await checkpointAfter(m.run, state, m.epoch, stopping);
  onProgress?.(m.index, report);
  m.epoch += 1;
  m.done = stopping;
}

function abortedEnsemble(members: Member[]): Error {
  for (const m of members) if (m.state) restoreBest(m.run, m.state);
  const results = members.map((m) => (m.state ? resultOf(m.run, m.state, true) : undefined));
  return abortError('the ensemble was aborted; every model holds its best parameters', { results });
}
