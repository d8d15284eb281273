import { is, checkValue } from '../core/validate.js';
// The task a populations command scores a net on: the task and options recorded in the model file (what `lowrank
// train` writes: meta.task, meta.preset; meta.taskOptions when a script records them), overridden by the user's; and
// the warning when the intact net does not solve it (the usual sign of task options that differ from training's).

/** A task name and the options it is built with. */
export interface TaskChoice {
  /** The task's name (as given, or as the model file records it). */
  name: string;
  /** The task options: the recorded ones (when the recorded task is this one) overridden by the given ones. */
  options: Record<string, unknown>;
  /** Where the options came from: 'model file', 'given', 'model file and given' or 'defaults'. */
  source: string;
}

/**
 * The task to score a model on: `name` (default: `meta.task`), with the options recorded in the model file's `meta`
 * (`preset` and the object `taskOptions`, used only when the recorded task is the same task by `canonical` name)
 * overridden key by key by `given`. Throws a RangeError naming `--task` when neither names a task.
 */
export function chooseTask(
  meta: Record<string, unknown> | undefined,
  name: string | undefined,
  given: Record<string, unknown> | undefined,
  canonical: (name: string) => string = (n) => n,
): TaskChoice {
  const recordedName = typeof meta?.task === 'string' ? meta.task : undefined;
  const chosen = name ?? recordedName;
  if (chosen === undefined) throw new RangeError('--task: give the task to score on; the model file records none');
  const recorded: Record<string, unknown> = {};
  if (recordedName !== undefined && canonical(recordedName) === canonical(chosen)) {
    if (typeof meta?.preset === 'string') recorded.preset = meta.preset;
    const opts = meta?.taskOptions;
    if (opts && typeof opts === 'object' && !Array.isArray(opts)) Object.assign(recorded, opts);
  }
  const hasRecorded = Object.keys(recorded).length > 0, hasGiven = given !== undefined && Object.keys(given).length > 0;
  const source = hasRecorded && hasGiven ? 'model file and given' : hasRecorded ? 'model file' : hasGiven ? 'given' : 'defaults';
  return { name: chosen, options: { ...recorded, ...(given ?? {}) }, source };
}

/** Below this accuracy in any context, the intact net is taken not to solve the task it is scored on. */
export const INTACT_ACCURACY_FLOOR = 0.9;

/**
 * The warning to print when the intact net's accuracy is below `floor` (default {@link INTACT_ACCURACY_FLOOR}) in
 * any context, or undefined: it names the accuracies, the task and the options used, and `--task-options`.
 */
export function intactAccuracyWarning(accuracy: ArrayLike<number>, contexts: readonly string[], choice: TaskChoice, floor = INTACT_ACCURACY_FLOOR): string | undefined {
  checkValue('intactAccuracyWarning', 'accuracy', accuracy, is.numbers(), 'argument');
  checkValue('intactAccuracyWarning', 'contexts', contexts, is.list(), 'argument');
  const low = Array.from(accuracy).some((a) => !(a >= floor));
  if (!low) return undefined;
  const scores = Array.from(accuracy, (a, c) => `${contexts[c] ?? c} ${a.toFixed(3)}`).join(', ');
  return (
    `the intact network scores ${scores} on task ${choice.name} with task options ${JSON.stringify(choice.options)} (${choice.source}), below ${floor} in a context: ` +
    'the task may differ from the one it was trained on; give the training task options with --task-options'
  );
}
