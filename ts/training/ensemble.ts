// trainEnsemble(models, task(s) or dataset(s)): E models of one shape trained side by side, each exactly as train()
// would train it alone, in engine calls that each cover every running member (the engine spreads the members over its
// threads). Read `trainEnsemble` top to bottom: check everything, claim the models, start every member's run, then
// call after call: one engine call for the members still running, and each member's own evaluation, keep-best,
// checkpoint, report and stop. Members that need no JavaScript between epochs (no held-out trials, no curriculum, on
// the CPU) run several epochs per call, the engine doing train()'s bookkeeping between them, and their epochs are
// replayed here afterwards: a call then lasts about CALL_SECONDS, so the cores do not idle while JavaScript runs.
import { abortError } from '../core/errors.js';
import { checkObject, checkOptions, checkValue, is, optionError, type Rules } from '../core/validate.js';
import type { AnyModel } from '../model/index.js';
import { native } from '../native/load.js';
import type { NativeEnsembleMember, NativeEnsembleOutcome, NativeEpochPlan } from '../native/binding.js';
import { checkTrainOptions, type TrainOptions } from './options.js';
import { recordEpoch, type EpochReport, type RunState, type TrainResult } from './progress.js';
import {
  checkpointAfter,
  claimModels,
  divergedError,
  epochLoss,
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
import { isTask, splitTrials, stepsPerEpoch, type Dataset, type TrainableTask, type TrialSplit } from './trials.js';

const WHERE = 'trainEnsemble';
/** How long an engine call of members that run several epochs per call should last: long enough that the return to
 * JavaScript costs next to nothing, short enough for live progress (reports come call by call). */
const CALL_SECONDS = 0.2;
/** At most this many minibatch indices per member and call (4 MiB). */
const MAX_CALL_INDICES = 1 << 20;

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
  /** Whether the engine may string its epochs together: no held-out trials, no curriculum, on the CPU. */
  planned: boolean;
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
    await Promise.all(members.map(async (m) => (m.state = await initialState(m.run, m.stage))));
    for (const m of members) m.epoch = m.state!.firstEpoch;
    for (const m of members) m.done = m.epoch > m.run.opts.epochs;
    let running = members.filter((m) => !m.done);
    let epochsPerCall = 1;
    while (running.length > 0) {
      const count = running.every((m) => m.planned) ? epochsPerCall : 1;
      const t0 = performance.now();
      const call = await runCall(running, count, threads ?? models[0].options().threads ?? 0, signal, onProgress);
      if (signal?.aborted || !call.completed) throw abortedEnsemble(members);
      epochsPerCall = Math.max(1, Math.floor((CALL_SECONDS * call.epochs * 1000) / Math.max(1e-3, performance.now() - t0)));
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
    const planned = !stage.validation && !opts.curriculum && model.device === 'cpu';
    return { index, source, run: startRun(model, opts, stage), stage, epoch: 0, done: false, planned };
  } catch (err) {
    if (err instanceof Error) err.message = err.message.replace(/^train: /, `${WHERE}: member ${index}: `);
    throw err;
  }
}

/** The epochs member `m` runs in a call of up to `count` epochs: no further than its last epoch or its next
 * checkpoint (written between calls), and at most MAX_CALL_INDICES minibatch indices. */
function epochsOf(m: Member, count: number): number {
  const { epochs, checkpoint, batchSize } = m.run.opts;
  const indicesPerEpoch = stepsPerEpoch(m.stage, batchSize) * batchSize;
  let n = Math.min(count, epochs - m.epoch + 1, Math.floor(MAX_CALL_INDICES / Math.max(1, indicesPerEpoch)));
  if (checkpoint) n = Math.min(n, checkpoint.every - ((m.epoch - 1) % checkpoint.every));
  return Math.max(1, n);
}

/** The engine's plan of `count` epochs for a member (train()'s settings and the run's state before them). */
function epochPlan(m: Member, count: number): NativeEpochPlan {
  const { opts } = m.run;
  const state = m.state!;
  const s = opts.lrSchedule;
  return {
    count,
    first: m.epoch,
    last: opts.epochs,
    bestLoss: state.bestLoss,
    plateauEpochs: state.plateauEpochs,
    schedule: s?.kind ?? 'none',
    every: s?.kind === 'step' ? s.every : 1,
    factor: s?.factor ?? 1,
    patience: s?.kind === 'plateau' ? s.patience : 0,
    threshold: s?.kind === 'plateau' ? s.threshold : 0,
    minLr: s?.kind === 'plateau' ? s.minLr : 0,
    earlyStop: opts.earlyStop ?? null,
  };
}

/** One engine call for every running member (planned members up to `count` epochs, the others one), then each
 * member's own bookkeeping. Resolves with whether the call completed (false: it was aborted; the epochs members
 * completed before that are recorded) and the most epochs a member ran. */
async function runCall(
  running: Member[],
  count: number,
  threads: number,
  signal: AbortSignal | undefined,
  onProgress: TrainEnsembleOptions['onProgress'],
): Promise<{ completed: boolean; epochs: number }> {
  const t0 = performance.now();
  for (const m of running) m.stage = stageOf(m.run, m.stage, m.epoch);
  const args: NativeEnsembleMember[] = running.map((m) => {
    if (!m.planned) return { model: m.run.model.handle, ...epochSteps(m.run, m.state!, m.stage, m.epoch) };
    const n = epochsOf(m, count);
    return { model: m.run.model.handle, ...epochSteps(m.run, m.state!, m.stage, m.epoch, n), epochs: epochPlan(m, n) };
  });
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
  const completed = !signal?.aborted && !outcomes.some((o) => o.aborted);
  await Promise.all(
    running.map((m, i) => {
      if (m.planned) return replayEpochs(m, outcomes[i], args[i].options.optimizerSteps, onProgress);
      return completed ? finishMember(m, outcomes[i], t0, onProgress) : undefined;
    }),
  );
  return { completed, epochs: Math.max(...args.map((a) => a.epochs?.count ?? 1)) };
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

/**
 * Records the epochs the engine ran for a planned member as train() records its epochs (reports, keep-best with the
 * engine's copy of the best epoch's parameters, schedule, early stop, checkpoint, progress), then its divergence if
 * its loss stopped being finite. The engine made the same decisions between the epochs (native/core/epoch_rules.hpp);
 * a result whose learning rates, best epoch or stop differ from these is refused as an internal error.
 */
async function replayEpochs(m: Member, outcome: NativeEnsembleOutcome, steps: number, onProgress: TrainEnsembleOptions['onProgress']): Promise<void> {
  const { run } = m;
  const state = m.state!;
  const ran = outcome.epochs!;
  const first = m.epoch;
  const bestParams = () => ran.bestParams ?? disagreement(m, first, 'it kept no parameters for a best epoch');
  for (let k = 0; k < ran.lr.length; k++) {
    if (ran.lr[k] !== state.lr) disagreement(m, m.epoch, `learning rate ${ran.lr[k]}, expected ${state.lr}`);
    const loss = epochLoss(outcome.losses.subarray(k * steps, (k + 1) * steps));
    const report: EpochReport = { epoch: m.epoch, lr: state.lr, loss, monitor: run.monitor, seconds: ran.seconds[k], best: false };
    recordEpoch(state, report, bestParams, run.opts.lrSchedule);
    const stopping = stopsAfter(run, report);
    const last = k === ran.lr.length - 1;
    if (stopping && !last) disagreement(m, m.epoch, 'it ran on after the run stopped');
    if (last && !outcome.error && !outcome.aborted) await checkpointAfter(run, state, m.epoch, stopping);
    onProgress?.(m.index, report);
    m.epoch += 1;
    m.done = stopping;
  }
  if (ran.bestEpoch !== (state.bestEpoch >= first ? state.bestEpoch : 0)) disagreement(m, m.epoch - 1, `best epoch ${ran.bestEpoch}, expected ${state.bestEpoch}`);
  if (outcome.error) {
    m.error = divergedError(run, state, m.epoch, outcome.error);
    m.done = true;
  }
}

/** The engine's bookkeeping of a member's epochs differs from train()'s: a bug, never a user error. */
function disagreement(m: Member, epoch: number, what: string): never {
  throw new Error(`${WHERE}: internal error: the engine's bookkeeping of member ${m.index} differs from train()'s in epoch ${epoch} (${what}); please report this`);
}

function abortedEnsemble(members: Member[]): Error {
  for (const m of members) if (m.state) restoreBest(m.run, m.state);
  const results = members.map((m) => (m.state ? resultOf(m.run, m.state, true) : undefined));
  return abortError('the ensemble was aborted; every model holds its best parameters', { results });
}
