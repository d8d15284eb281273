// Dynamics analysis: latent flows and fixed points of low-rank nets, mean-field theory, and the measures of seed 001.
export {
  embedLatent,
  latentFixedPoints,
  latentFlowField,
  latentGrid,
  latentVelocity,
  projectOnLatent,
  type FixedPointOptions,
  type FlowField,
  type GridOptions,
  type LatentCoordinates,
  type LatentFixedPoints,
  type LatentGrid,
  type LatentOptions,
  type LatentProjection,
  type LatentVelocity,
  type Stability,
} from './latent.js';
