/**
 * Dynamics analysis: the vector field, Jacobians and eigendecompositions (native, double precision), fixed and slow
 * points, stability, the fixed-point topology graph and the line-attractor score; latent flows and fixed points of
 * low-rank nets, mean-field theory, and the measures of seed 001 (PCA, principal angles, centrality, non-normality,
 * weight change, predictive information). Conventions: docs/analysis.md and docs/analysis-latent.md.
 * @module
 */
export {
  GRID_DEFAULTS,
  LATENT_DEFAULTS,
  LATENT_FIXED_POINT_DEFAULTS,
  embedLatent,
  latentFixedPoints,
  latentFlowField,
  latentGrid,
  latentVelocity,
  type LatentFixedPointOptions,
  type FlowField,
  type GridOptions,
  type LatentCoordinates,
  type LatentFixedPoints,
  type LatentGrid,
  type LatentOptions,
  type LatentVelocity,
} from './latent.js';
export { projectOnLatent, type LatentProjection } from './latent-projection.js';
export {
  ESTIMATE_DEFAULTS,
  MOMENT_DEFAULTS,
  checkStatistics,
  compareMeanField,
  estimateStatistics,
  gaussHermite,
  meanFieldFlowField,
  meanFieldVelocity,
  statisticsVariables,
  transferMoments,
  type CompareOptions,
  type ConnectivityStatistics,
  type EstimateOptions,
  type MeanFieldComparison,
  type MeanFieldOptions,
  type MomentOptions,
  type PopulationStatistics,
} from './meanfield.js';
export {
  CENTRALITY_DEFAULTS,
  eigenvectorCentrality,
  nonNormality,
  pca,
  principalAngles,
  readoutAngles,
  weightChange,
  type Centrality,
  type CentralityOptions,
  type NonNormality,
  type Pca,
  type ReadoutAngles,
  type WeightChange,
  type WeightChangeOptions,
} from './measures.js';
export {
  MAXIMIZE_DEFAULTS,
  crossCovariances,
  maximizePredictiveInformation,
  predictiveInformation,
  predictiveInformationGradient,
  type CrossCovarianceOptions,
  type MaximizedProjection,
  type MaximizeOptions,
} from './predictive-information.js';
export { resultArrays as analysisArrays, saveAnalysis } from '../results/format.js';
// Dynamics analysis: the vector field, Jacobians and eigendecompositions (native, double precision), fixed and slow
// points, stability, the fixed-point topology graph and the line-attractor score. Conventions: docs/analysis.md.
export type { AnalysisDevice, AnalysisProgress } from './common.js';
export {
  CLASSIFY_DEFAULTS,
  LINEARIZE_DEFAULTS,
  STABILITY_LABELS,
  classify,
  eigen,
  jacobian,
  lineAttractorScore,
  linearize,
  stabilityLabel,
  structuredJacobian,
  velocity,
  type ClassifyOptions,
  type ComplexTensor,
  type Convention,
  type Eigendecomposition,
  type EigenMethod,
  type Eigenvalues,
  type EigenSolveOptions,
  type EigenVectors,
  type FieldOptions,
  type LineAttractorOptions,
  type LinearizeOptions,
  type PointType,
  type Stability,
  type StructuredJacobian,
} from './linear.js';
export {
  FIXED_POINT_DEFAULTS,
  fixedPoints,
  loadFixedPoints,
  pointEigenvalues,
  saveFixedPoints,
  type AdamOptions,
  type EigenOptions,
  type FixedPointOptions,
  type FixedPoints,
  type FixedPointSearchMethod,
  type FixedPointTolerances,
  type LatentSearchOptions,
  type PointStability,
  type PolishOptions,
} from './fixed-points.js';
export { TOPOLOGY_DEFAULTS, saveTopology, topology, type Topology, type TopologyOptions } from './topology.js';
