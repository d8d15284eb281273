/**
 * Populations of low-rank nets (Dubreuil, Valente et al. 2022; "Ten-minutes low-rank RNNs"): the connectivity space,
 * Gaussian mixtures over it (native), resampled networks, inactivations, gain modulation, cluster statistics (ARI,
 * bootstrap stability, ePAIRS, kurtosis) and the mean-field statistics of a mixture. See docs/populations.md.
 * @module
 */
export * from './mixture.js';
export * from './space.js';
export * from './resample.js';
export * from './inactivate.js';
export * from './gains.js';
export * from './statistics.js';
export * from './meanfield.js';
export * from './names.js';
export * from './task-options.js';
