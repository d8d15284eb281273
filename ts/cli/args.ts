// Option parsers shared by the commands: each throws commander's InvalidArgumentError naming the option.
import { InvalidArgumentError } from 'commander';
import { MAX_THREADS } from '../core/validate.js';
import type { LrSchedule } from '../training/train.js';

export function int(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

/** --threads: an integer in [0, MAX_THREADS] (0 = all cores). */
export function threads(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_THREADS) {
    throw new InvalidArgumentError(`--threads must be an integer in [0, ${MAX_THREADS}] (${MAX_THREADS} is the cap on threads); got ${value}`);
  }
  return n;
}

export function num(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}`);
    return n;
  };
}

export function schedule(value: string): LrSchedule {
  const [kind, a, b] = value.split(':');
  const every = Number(a);
  const factor = Number(b);
  if ((kind !== 'step' && kind !== 'plateau') || !Number.isInteger(every) || every < 1 || !(factor > 0 && factor <= 1)) {
    throw new InvalidArgumentError("use step:EVERY:FACTOR or plateau:PATIENCE:FACTOR, e.g. step:20:0.5");
  }
  return kind === 'step' ? { kind, every, factor } : { kind, patience: every, factor };
}

/** The most values a list option (--ranks 1-5, ...) may list: each value is a run of its own. */
const MAX_LIST = 4096;

/** A comma-separated list of integers, or a range A-B (e.g. "1,2,3" or "1-5"). */
export function intList(name: string, min = 1) {
  return (value: string): number[] => {
    const range = /^(\d+)-(\d+)$/.exec(value.trim());
    const length = range ? Number(range[2]) - Number(range[1]) + 1 : 0;
    if (length > MAX_LIST) {
      throw new InvalidArgumentError(`${name} ${value} lists ${length} values; at most ${MAX_LIST} (each one is a run)`);
    }
    const list = range ? Array.from({ length: Math.max(0, length) }, (_, i) => Number(range[1]) + i) : value.split(',').map((v) => Number(v.trim()));
    if (list.length === 0 || list.some((n) => !Number.isSafeInteger(n) || n < min)) {
      throw new InvalidArgumentError(`${name} must be integers >= ${min}, as a list (1,2,3) or a range (1-5); got '${value}'`);
    }
    return list;
  };
}

/** A comma-separated list of numbers in (0, 1]. */
export function fractionList(name: string) {
  return (value: string): number[] => {
    const list = value.split(',').map((v) => Number(v.trim()));
    if (list.length === 0 || list.some((p) => !(p > 0 && p <= 1))) throw new InvalidArgumentError(`${name} must be fractions in (0, 1], e.g. 1,0.2,0.05`);
    return list;
  };
}

/** Comma-separated finite numbers, e.g. "0,0.5,-1". */
export function numbers(name: string) {
  return (value: string): number[] => {
    const xs = value.split(',').map((v) => Number(v.trim()));
    if (value.trim() === '' || xs.some((x) => !Number.isFinite(x))) {
      throw new InvalidArgumentError(`${name} must be comma-separated numbers, e.g. 0,0.5,-1`);
    }
    return xs;
  };
}
