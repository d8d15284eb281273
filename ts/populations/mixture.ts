// Gaussian mixtures (scikit-learn's GaussianMixture and BayesianGaussianMixture semantics) fitted in the native core:
// EM with full, diagonal, tied or spherical covariances, the variational (Dirichlet-process or Dirichlet-distribution)
// mixture, restarts on a thread pool, choice of K by BIC, and prediction on new data.
import type { Tensor } from '../core/tensor.js';

/** The covariance of each component, as scikit-learn names them: its own full matrix, its own diagonal, one full
 * matrix shared by all components, or its own multiple of the identity. */
export type CovarianceType = 'full' | 'diag' | 'tied' | 'spherical';

/** 'em': maximum likelihood (scikit-learn GaussianMixture); 'variational': variational Bayes (BayesianGaussianMixture). */
export type MixtureMethod = 'em' | 'variational';

/** Options of {@link fitMixture}. The defaults are scikit-learn's. */
export interface MixtureOptions {
  /** K, the number of components (the upper bound for 'variational'). */
  components: number;
  /** 'em' (default) or 'variational'. */
  method?: MixtureMethod;
  /** The covariance type, default 'full'. */
  covariance?: CovarianceType;
  /** Independent fits from different initialisations (scikit-learn's n_init), default 1; the best by log-likelihood
   * (EM) or lower bound (variational) is kept. */
  restarts?: number;
  /** How responsibilities start: k-means++ seeding then k-means (default 'kmeans++'), k-means from random rows
   * ('kmeans') or random responsibilities ('random', scikit-learn's init_params='random'). */
  init?: 'kmeans++' | 'kmeans' | 'random';
  /** The most EM / variational iterations per restart, default 100. */
  maxIterations?: number;
  /** Convergence threshold on the change of the (mean) lower bound, default 1e-3. */
  tolerance?: number;
  /** Added to the diagonal of every covariance, default 1e-6. */
  regCovar?: number;
  /** The seed of the initialisations, default 0. */
  seed?: number;
  /** 'variational' only: the prior on the weights, default 'dirichlet_process'. */
  weightConcentrationPriorType?: 'dirichlet_process' | 'dirichlet_distribution';
  /** 'variational' only: the weight concentration prior, default 1 / K. */
  weightConcentrationPrior?: number;
  /** 'variational' only: the precision prior on the means, default 1. */
  meanPrecisionPrior?: number;
  /** 'variational' only: the degrees-of-freedom prior, default D (the number of columns). */
  degreesOfFreedomPrior?: number;
  /** 'variational' only: the prior on the means [D], default the mean of the data. */
  meanPrior?: Float64Array;
  /** 'variational' only: the covariance prior ([D, D] row-major for 'full' and 'tied', [D] for 'diag', a number
   * for 'spherical'), default the covariance of the data (its diagonal, or its mean variance). */
  covariancePrior?: Float64Array | number;
  /** Threads for the restarts (0 or undefined: all cores); the result does not depend on it. */
  threads?: number;
  /** Stops the fit at the next iteration check; the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** A fitted mixture. Components that no sample belongs to are dropped, so `components` may be below the K asked. */
export interface GaussianMixture {
  method: MixtureMethod;
  covariance: CovarianceType;
  /** The number of components kept (after dropping empty ones). */
  components: number;
  /** D, the number of columns. */
  dims: number;
  /** Mixing weights [K], summing to 1. */
  weights: Float64Array;
  /** Means [K, D], float64. */
  means: Tensor;
  /** Covariances [K, D, D] as full matrices whatever the covariance type (reg_covar included). */
  covariances: Tensor;
  /** The component of each fitted row [N], numbered 0..K-1 with every label used. */
  labels: Int32Array;
  /** The mean per-sample log-likelihood of the fitted data (scikit-learn's `score`). */
  logLikelihood: number;
  /** Bayesian information criterion, scikit-learn's formula: -2 N logLikelihood + p log N. */
  bic: number;
  /** Akaike information criterion: -2 N logLikelihood + 2 p. */
  aic: number;
  /** Whether the best restart converged within maxIterations. */
  converged: boolean;
  /** Iterations of the best restart. */
  iterations: number;
  /** The best restart's lower bound (EM: mean log-likelihood; variational: the evidence lower bound as scikit-learn
   * computes it). */
  lowerBound: number;
}

/** Fits a Gaussian mixture to the rows of `x` [N, D]. */
export async function fitMixture(x: Tensor, options: MixtureOptions): Promise<GaussianMixture> {
  void x;
  void options;
  throw new Error('fitMixture: not implemented');
}

/** Fits K = lo..hi components and returns the fit with the lowest BIC, with every candidate's scores. */
export async function selectComponents(
  x: Tensor,
  options: Omit<MixtureOptions, 'components'> & { components: [number, number] },
): Promise<{ best: GaussianMixture; candidates: { components: number; bic: number; aic: number; logLikelihood: number }[] }> {
  void x;
  void options;
  throw new Error('selectComponents: not implemented');
}

/** The most likely component of each row of `x`. */
export async function predict(m: GaussianMixture, x: Tensor): Promise<Int32Array> {
  void m;
  void x;
  throw new Error('predict: not implemented');
}

/** The posterior probability of each component for each row of `x`: [N, K] float64. */
export async function responsibilities(m: GaussianMixture, x: Tensor): Promise<Tensor> {
  void m;
  void x;
  throw new Error('responsibilities: not implemented');
}

/** The log-likelihood of each row of `x` under the mixture. */
export async function scoreSamples(m: GaussianMixture, x: Tensor): Promise<Float64Array> {
  void m;
  void x;
  throw new Error('scoreSamples: not implemented');
}
