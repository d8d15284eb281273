// The rule every entry that takes a model checks it with (core/validate.ts vocabulary): a LowRankRNN or a FullRankRNN
// (or one of the two), so that `train({}, data)` says "train: argument 'model' must be a LowRankRNN or a
// FullRankRNN; got an object" instead of failing deep inside.
import { is, optionError, type Rule } from '../core/validate.js';
import type { AnyModel } from './any.js';
import { FullRankRNN } from './fullrank.js';
import { LowRankRNN } from './lowrank.js';

const anyModel = (v: unknown) => v instanceof LowRankRNN || v instanceof FullRankRNN;

/** Rules for a model argument: either kind, or one of the two (anything else is of the wrong type: a TypeError). */
export const MODEL_RULE = {
  any: is.custom('a LowRankRNN or a FullRankRNN', anyModel, anyModel),
  lowrank: is.custom('a LowRankRNN', (v) => v instanceof LowRankRNN, anyModel),
  fullrank: is.custom('a FullRankRNN', (v) => v instanceof FullRankRNN, anyModel),
} as const satisfies Record<string, Rule>;

/** Checks that `value` is a model of the given kind; a TypeError naming `where` and `name` when it is not. */
export function checkModel(where: string, name: string, value: unknown, kind: 'lowrank'): LowRankRNN;
export function checkModel(where: string, name: string, value: unknown, kind: 'fullrank'): FullRankRNN;
export function checkModel(where: string, name: string, value: unknown, kind?: 'any'): AnyModel;
export function checkModel(where: string, name: string, value: unknown, kind: keyof typeof MODEL_RULE = 'any'): AnyModel {
  const rule = MODEL_RULE[kind];
  if (!rule.test(value)) throw optionError(where, name, rule.expected, value, TypeError, 'argument');
  return value as AnyModel;
}
