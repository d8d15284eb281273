// The targets, inputs and mask that lint.fit takes, from prepared condition averages, following the LINT paper's
// preprocessing of recorded rates: optional PCA denoising, removal of the condition-independent component, scaling
// by the overall standard deviation (rates in Hz to the O(1) scale of the states x), and a free pre-period of unfitted
// steps before the data so that the fitted network can leave x_0 = 0. The inputs are padded with the same pre-period.
import { checkTensor, type Tensor } from '../core/tensor.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import { pcaDenoise, recordingTargets, removeConditionIndependent } from '../lint/recordings.js';
import type { PreparedRecording } from './prepare.js';

/** How prepared rates become fit data; defaults in `FIT_DATA_DEFAULTS`. */
export interface FitDataOptions {
  /** Keep the top k principal components (0: no denoising). */
  pca?: number;
  /** Remove the across-condition mean of each neuron and bin (the condition-independent component). */
  removeConditionIndependent?: boolean;
  /** Unfitted steps before the data. */
  prePeriod?: number;
}

/** The defaults of `recordingFitData`. */
export const FIT_DATA_DEFAULTS = { pca: 0, removeConditionIndependent: true, prePeriod: 3 } as const satisfies FitDataOptions;

const RULES: Rules<FitDataOptions> = { pca: is.integer(0), removeConditionIndependent: is.boolean(), prePeriod: is.integer(0) };

/** Fit data: targets [C, P + T, N] (zeros on the pre-period), inputs [C, P + T, K], the mask, and the scale divided out. */
export interface FitData {
  targets: Tensor<Float32Array>;
  inputs: Tensor<Float32Array>;
  mask: Tensor<Float32Array>;
  /** The standard deviation (Hz) the rates were divided by. */
  scale: number;
  /** The variance kept by the PCA denoising (1 without it). */
  explained: number;
}

/** Targets, inputs and mask for lint.fit (on states) from prepared rates and inputs [C, T, K] on the same bins. */
export async function recordingFitData(prepared: PreparedRecording, inputs: Tensor, options: FitDataOptions = {}): Promise<FitData> {
  checkValue('recordingFitData', 'prepared', prepared, is.custom('a prepared recording (from prepareRecording or prepareSeries)', (v) => is.tensor().test((v as PreparedRecording)?.rates), is.object().test), 'argument');
  checkTensor(inputs, 'recordingFitData: inputs');
  const o = checkOptions<FitDataOptions>('recordingFitData', RULES, options, FIT_DATA_DEFAULTS);
  const [C, T] = prepared.rates.shape;
  if (inputs.shape.length !== 3 || inputs.shape[0] !== C || inputs.shape[1] !== T) {
    throw new RangeError(`recordingFitData: inputs must have shape [${C}, ${T}, K] (conditions, bins, channels); got [${inputs.shape.join(', ')}]`);
  }
  let rates: Tensor<Float64Array> = prepared.rates;
  let explained = 1;
  if (o.pca! > 0) {
    const denoised = await pcaDenoise(rates, o.pca!);
    rates = denoised.data;
    explained = denoised.explained;
  }
  if (o.removeConditionIndependent) rates = removeConditionIndependent(rates);
  const sd = Math.sqrt(rates.data.reduce((s, v) => s + v * v, 0) / rates.data.length);
  if (!(sd > 0)) throw new RangeError('recordingFitData: the prepared rates are constant (nothing to fit): check the window, the units and the conditions');
  const { targets, mask } = recordingTargets(rates, o.prePeriod!, sd);
  const K = inputs.shape[2];
  const P = o.prePeriod!;
  const padded = new Float32Array(C * (P + T) * K);
  for (let c = 0; c < C; c++) padded.set(inputs.data.subarray(c * T * K, (c + 1) * T * K), (c * (P + T) + P) * K);
  return { targets, inputs: { data: padded, shape: [C, P + T, K] }, mask, scale: sd, explained };
}
