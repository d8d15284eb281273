// Parameter values: the reference initialisation replaced by given values, the check of a given value against a
// parameter's shape, and the memory check made before a model is allocated.
import { totalmem } from 'node:os';
import type { NativeInitialDraw, NativeInitialValues, ParamName } from '../native/binding.js';
import { checkOptions, type Rules } from '../core/validate.js';
import { checkTensor, formatShape, shapeSize, type FloatArray, type Tensor } from '../core/tensor.js';
import { paramValueRule } from './options.js';

/**
 * How a parameter's initial values are drawn. The native core draws them (off the JavaScript thread when they are
 * many) with the generator of ts/core/random.ts; a parameter without a draw starts at zero.
 */
export type Draw = NativeInitialDraw;

export const ones: Draw = { kind: 'ones', std: 0 };
const zeros: Draw = { kind: 'zeros', std: 0 };
export const normal = (std = 1): Draw => ({ kind: 'normal', std });

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

/**
 * The initial values as the native model takes them: the reference draws from `seed` (a new seed per model by
 * default), replaced by `init` where given (checked here; the native model copies them at once).
 */
export function initialValues(
  where: string,
  shapes: Record<string, number[]>,
  draws: Partial<Record<ParamName, Draw>>,
  seed: number | undefined,
  init: Partial<Record<ParamName, FloatArray | Tensor>> = {},
): NativeInitialValues {
  const given = checkParamNames(`${where}.init`, Object.keys(shapes), init);
  const out: NativeInitialValues = { seed: seed ?? modelSeedCounter++, draws: {}, given: {} };
  for (const [key, shape] of Object.entries(shapes)) {
    const name = key as ParamName;
    const value = given[name];
    if (value !== undefined) out.given[name] = checkParamValue(value, `init.${name}`, shape);
    else out.draws[name] = draws[name] ?? zeros;
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
