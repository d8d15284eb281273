// Parameter values: the reference initialisation replaced by given values, the check of a given value against a
// parameter's shape, and the memory check made before a model is allocated.
import { totalmem } from 'node:os';
import type { ParamName } from '../native/binding.js';
import { Random } from '../core/random.js';
import { checkOptions, type Rules } from '../core/validate.js';
import { checkTensor, formatShape, shapeSize, type FloatArray, type Tensor } from '../core/tensor.js';
import { paramValueRule } from './options.js';

/** How a parameter's initial values are drawn (in place); a parameter without one starts at zero. */
export type Draw = (rng: Random, out: Float64Array) => void;

export const ones: Draw = (_, out) => out.fill(1);
export const normal =
  (std = 1): Draw =>
  (rng, out) =>
    rng.fillNormal(out, std);

/** Checks a given parameter value (a tensor, or a flat typed array) against the parameter's shape. */
export function checkParamValue(value: Tensor | FloatArray, name: string, shape: readonly number[]): FloatArray {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    if (value.length !== shapeSize(shape)) {
      throw new RangeError(`${name} must have ${shapeSize(shape)} values (shape ${formatShape(shape)}); got ${value.length}`);
    }
    checkTensor({ data: value, shape: [value.length] }, name);
    return value;
  }
  checkTensor(value, name);
  if (value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${name} must have shape ${formatShape(shape)}; got ${formatShape(value.shape)}`);
  }
  return value.data;
}

/** Checks the names of `values` against a model's parameters (`where`: 'LowRankRNN.init', 'model.with: params'...). */
export function checkParamNames(where: string, names: readonly string[], values: unknown): Partial<Record<ParamName, Tensor | FloatArray>> {
  const rules = Object.fromEntries(names.map((name) => [name, paramValueRule])) as Rules<Record<string, unknown>>;
  return checkOptions(where, rules, values) as Partial<Record<ParamName, Tensor | FloatArray>>;
}

let modelSeedCounter = 1;

/** Initial values: the reference draws from `seed` (a new seed per model by default), replaced by `init` where given. */
export function initialValues(
  where: string,
  shapes: Record<string, number[]>,
  draws: Partial<Record<ParamName, Draw>>,
  seed: number | undefined,
  init: Partial<Record<ParamName, FloatArray | Tensor>> = {},
): Map<ParamName, FloatArray> {
  const given = checkParamNames(`${where}.init`, Object.keys(shapes), init);
  const rng = new Random(seed ?? modelSeedCounter++);
  const out = new Map<ParamName, FloatArray>();
  for (const [key, shape] of Object.entries(shapes)) {
    const name = key as ParamName;
    const value = given[name];
    if (value !== undefined) {
      out.set(name, checkParamValue(value, `init.${name}`, shape));
      continue;
    }
    const values = new Float64Array(shapeSize(shape));
    draws[name]?.(rng, values);
    out.set(name, values);
  }
  return out;
}

/**
 * Refuses a model whose parameters, gradients and optimiser moments (about 40 bytes per parameter) cannot fit in
 * this machine's memory, before anything is allocated.
 */
export function checkModelFits(kind: 'low-rank' | 'full-rank', size: number, params: number): void {
  const bytes = params * 40;
  if (bytes > 0.8 * totalmem()) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    throw new RangeError(
      `a ${kind} net of size ${size} has ${params.toExponential(2)} parameters and needs about ${gib(bytes)} GiB ` +
        `to train, but this machine has ${gib(totalmem())} GiB; use a smaller size${kind === 'full-rank' ? ' or a low-rank net' : ''}`,
    );
  }
}
