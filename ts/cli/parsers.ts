// Option-value parsers shared by the CLI commands: each names the option in its error.
import { InvalidArgumentError } from 'commander';

export function int(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

export function num(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}`);
    return n;
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
