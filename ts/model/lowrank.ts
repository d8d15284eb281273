// Low-rank RNNs (DESIGN.md §2): J = m n^T / N, never formed.
import { checkOptions } from '../core/validate.js';
import { modelConfig } from './config.js';
import { LOWRANK_NOT_APPLICABLE, kindDefaults, lowRankRules, type LowRankOptions, type ModelChanges } from './options.js';
import { checkModelFits, initialValues, normal, ones } from './params.js';
import { RNNModel } from './rnn.js';

/**
 * Low-rank RNN, J = m n^T / N (the connectivity matrix is never formed). Reference initialisation: m, n, wi ~ N(0, 1),
 * wo ~ N(0, 4^2), si = so = 1, h0 = b = 0.
 */
export class LowRankRNN extends RNNModel {
  constructor(opts: LowRankOptions) {
    const o = checkOptions('LowRankRNN', lowRankRules(opts?.size), opts, kindDefaults('lowrank'), LOWRANK_NOT_APPLICABLE);
    const config = modelConfig('lowrank', o, 'LowRankRNN');
    const { size: N, rank: R, inputs: K, outputs: O } = config;
    checkModelFits('low-rank', N, N * (2 * R + K + O + 2));
    const initial = initialValues(
      'LowRankRNN',
      { m: [N, R], n: [N, R], wi: [K, N], si: [K], wo: [N, O], so: [O], h0: [N], b: [N] },
      { m: normal(), n: normal(), wi: normal(), si: ones, wo: normal(4), so: ones },
      o.seed,
      o.init,
    );
    super(config, o, {}, initial);
  }

  get rank(): number {
    return this.config.rank;
  }

  override options(): LowRankOptions {
    return { ...super.options(), rank: this.rank };
  }

  /** A new low-rank net with every option and parameter of this one, except what `changes` replaces. */
  with(changes: ModelChanges<LowRankOptions> = {}): LowRankRNN {
    return new LowRankRNN(this.derivedOptions(this.options(), changes, lowRankRules(this.size), LOWRANK_NOT_APPLICABLE));
  }
}
