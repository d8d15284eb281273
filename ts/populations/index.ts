// Populations of low-rank nets (populations paper; seed 000): the connectivity space, Gaussian mixtures over it,
// resampled networks, inactivations, gain modulation, cluster statistics and the mean-field statistics of a mixture.
export * from './mixture.js';
export * from './space.js';
export * from './resample.js';
export * from './inactivate.js';
export * from './gains.js';
export * from './statistics.js';
export * from './meanfield.js';
