// Full-rank RNNs (DESIGN.md §2) with the reference initialisation, Dale's law and fixed connectivity masks.
import { checkOptions } from '../core/validate.js';
import { checkTensor } from '../core/tensor.js';
import { modelConfig } from './config.js';
import { FULLRANK_NOT_APPLICABLE, fullRankRules, kindDefaults, type FullRankOptions, type ModelChanges } from './options.js';
import { checkModelFits, initialValues, normal, ones } from './params.js';
import { RNNModel } from './rnn.js';

/**
 * Full-rank RNN with the reference initialisation: wrec ~ N(0, rho^2 / N), wi ~ N(0, 1), wo ~ N(0, 1 / N^2),
 * si = so = 1; the readout has no 1/N. With Dale's law, wrec_ij = d_j |w_ij| with inhibitory columns scaled by
 * nE / nI so that the expected input is balanced, and signs are kept during training.
 */
export class FullRankRNN extends RNNModel {
  /** The fixed connectivity mask (N x N, row = postsynaptic unit), when one was given. */
  readonly connectivityMask?: Uint8Array;

  constructor(opts: FullRankOptions) {
    const o = checkOptions('FullRankRNN', fullRankRules(opts?.size), opts, kindDefaults('fullrank'), FULLRANK_NOT_APPLICABLE);
    const config = modelConfig('fullrank', o, 'FullRankRNN');
    const { size: N, inputs: K, outputs: O } = config;
    checkModelFits('full-rank', N, N * (N + K + O + 2));
    const daleSigns = daleSignsOf(o.dale, N);
    const mask = maskOf(o.mask);
    if (daleSigns) config.daleSigns = Array.from(daleSigns);
    if (mask) config.hasMask = true;
    const initial = initialValues(
      'FullRankRNN',
      { wrec: [N, N], wi: [K, N], si: [K], wo: [N, O], so: [O], h0: [N], b: [N] },
      { wrec: { kind: daleSigns ? 'dale-normal' : 'normal', std: o.rho! / Math.sqrt(N) }, wi: normal(), si: ones, wo: normal(1 / N), so: ones },
      o.seed,
      o.init,
    );
    super(config, o, { daleSigns, connectivityMask: mask }, initial);
    this.connectivityMask = mask;
  }

  override options(): FullRankOptions {
    return { ...super.options(), mask: this.connectivityMask };
  }

  /** A new full-rank net with every option (Dale signs and mask included) and parameter of this one, except what
   * `changes` replaces. */
  with(changes: ModelChanges<FullRankOptions> = {}): FullRankRNN {
    return new FullRankRNN(this.derivedOptions(this.options(), changes, fullRankRules(this.size), FULLRANK_NOT_APPLICABLE));
  }
}

/** One sign per unit from a checked `dale` option: the first round(excitatory N) units excitatory, or the signs given. */
function daleSignsOf(dale: FullRankOptions['dale'], N: number): Int8Array | undefined {
  if (dale === undefined) return undefined;
  if (dale instanceof Int8Array || Array.isArray(dale)) return Int8Array.from(dale);
  const nE = Math.round(dale.excitatory * N);
  return Int8Array.from({ length: N }, (_, i) => (i < nE ? 1 : -1));
}

/** A checked `mask` option (sized by its rule) as 0/1 bytes. */
function maskOf(mask: FullRankOptions['mask']): Uint8Array | undefined {
  if (mask === undefined) return undefined;
  const data = mask instanceof Uint8Array ? mask : checkTensor(mask, 'mask').data;
  return Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
}
