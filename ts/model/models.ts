// LEAD: remove after merge. The old single-file module, kept as re-exports (and three legacy checkers) so that the
// modules of the other areas keep importing from '../model/models.js' until the merge switches them to
// './model/index.js' and core/validate.ts.
import type { LossOn } from '../native/binding.js';
import { is, show, type Rule } from '../core/validate.js';
import { LOSS_TARGETS } from './options.js';

export * from './options.js';
export * from './config.js';
export * from './batch.js';
export { RNNModel } from './rnn.js';
export { LowRankRNN } from './lowrank.js';
export { FullRankRNN } from './fullrank.js';
export type { AnyModel } from './any.js';

/** "<name> must be <expected>; got <value>", the message of the checkers below. */
function legacyCheck<V>(value: unknown, name: string, rule: Rule): V {
  if (rule.test(value)) return value as V;
  const Kind = rule.type(value) ? RangeError : TypeError;
  throw new Kind(`${name} must be ${rule.expected}; got ${show(value)}`);
}

/** @internal LEAD: remove after merge (use checkValue(where, name, value, is.integer(min))). */
export function requireInt(value: unknown, name: string, min: number): number {
  return legacyCheck(value, name, is.integer(min));
}

/** @internal LEAD: remove after merge (use checkValue with an is.number(...) rule). */
export function requireNumber(value: unknown, name: string, ok: (v: number) => boolean, expect: string): number {
  return legacyCheck(value, name, is.custom(expect, (v) => typeof v === 'number' && Number.isFinite(v) && ok(v), (v) => typeof v === 'number'));
}

/** @internal LEAD: remove after merge (use checkOptions with `lossOn: is.oneOf(LOSS_TARGETS)`). */
export function checkLossOn(value: unknown): LossOn {
  return legacyCheck(value ?? 'outputs', 'lossOn', is.oneOf(LOSS_TARGETS));
}

/** @internal LEAD: remove after merge (use checkOptions with `seed: is.seed()`). */
export function checkSeed(seed: unknown, name = 'seed'): number {
  if (seed === undefined) return 0;
  return legacyCheck(seed, name, is.seed());
}
