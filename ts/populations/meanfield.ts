// A fitted mixture as the connectivity statistics of the mean-field theory (analysis.meanFieldVelocity,
// meanFieldFlowField): each component is a population with its weight as fraction, and the m, n and input columns
// of its mean and covariance (the readout columns play no part in the latent dynamics).
import type { ConnectivityStatistics } from '../analysis/meanfield.js';
import type { AnyModel } from '../model/index.js';
import { populationStatistics, type MixtureParameters } from './resample.js';
import { connectivitySpace, lowRankOf } from './space.js';

/**
 * The mean-field statistics of `model`'s populations: from a mixture fitted on its (default, si/so-scaled)
 * connectivity space, or from labels (the empirical means and covariances, ddof 1). `zeroMeans` sets the means to 0
 * (the reference's resampling default).
 */
export async function mixtureStatistics(model: AnyModel, populations: ArrayLike<number> | MixtureParameters, opts: { zeroMeans?: boolean } = {}): Promise<ConnectivityStatistics> {
  const net = lowRankOf(model);
  const { rank: R, inputs: K, space } = await connectivitySpace(net);
  const D = space.shape[1];
  const mix = 'covariances' in populations ? (populations as MixtureParameters) : populationStatistics(space, populations as ArrayLike<number>);
  if (mix.means.shape[1] !== D) throw new RangeError(`mixtureStatistics: the mixture has ${mix.means.shape[1]} columns; the model's connectivity space has ${D}`);
  if (net.param('b').data.some((v) => v !== 0)) throw new RangeError('mixtureStatistics: the model has biases b, which the connectivity space does not hold; use analysis.estimateStatistics with labels');
  const V = 2 * R + K;
  const populationsOut = Array.from(mix.weights, (w, q) => {
    const mean = new Float64Array(V), covariance = new Float64Array(V * V);
    for (let a = 0; a < V; a++) {
      mean[a] = opts.zeroMeans ? 0 : mix.means.data[q * D + a];
      for (let b = 0; b < V; b++) covariance[a * V + b] = mix.covariances.data[(q * D + a) * D + b];
    }
    return { fraction: w, mean, covariance };
  });
  const { activation, slope } = net.config;
  return { rank: R, inputs: K, bias: false, activation, slope, populations: populationsOut };
}
