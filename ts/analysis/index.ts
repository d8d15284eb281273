// Dynamics analysis: the vector field, Jacobians and eigendecompositions (native, double precision), fixed and slow
// points, stability, the fixed-point topology graph and the line-attractor score. Conventions: docs/analysis.md.
export type { AnalysisProgress } from './common.js';
export {
  classify,
  eigen,
  jacobian,
  lineAttractorScore,
  linearize,
  structuredJacobian,
  velocity,
  type ClassifyOptions,
  type ComplexTensor,
  type Convention,
  type Eigendecomposition,
  type EigenMethod,
  type Eigenvalues,
  type EigenVectors,
  type FieldOptions,
  type LineAttractorOptions,
  type LinearizeOptions,
  type PointType,
  type Stability,
  type StructuredJacobian,
} from './linear.js';
export {
  FIXED_POINTS_FORMAT_VERSION,
  fixedPoints,
  loadFixedPoints,
  pointEigenvalues,
  saveFixedPoints,
  type AdamOptions,
  type FixedPointOptions,
  type FixedPoints,
  type FixedPointTolerances,
  type PointStability,
  type PolishOptions,
} from './fixed-points.js';
export { saveTopology, topology, type Topology, type TopologyOptions } from './topology.js';
