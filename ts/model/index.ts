// The model area: low-rank and full-rank nets, their options and defaults, derivation, truncation and files.
export {
  ACTIVATIONS,
  FORMULATIONS,
  FULLRANK_NOT_APPLICABLE,
  LOSS_TARGETS,
  LOWRANK_NOT_APPLICABLE,
  MODEL_DEFAULTS,
  PARAM_NAMES,
  defaultTrainFlags,
  fullRankRules,
  lowRankRules,
  type Activation,
  type CommonModelOptions,
  type Formulation,
  type FullRankOptions,
  type LossOn,
  type LowRankOptions,
  type ModelChanges,
  type ParamName,
} from './options.js';
export { MODEL_KINDS, optionsFromConfig, type ModelConfig, type ModelKind } from './config.js';
export {
  LOSS_DEFAULTS,
  LOSS_RULES,
  SIMULATE_DEFAULTS,
  SIMULATE_RULES,
  type LossBatch,
  type LossOptions,
  type SimulateOptions,
  type Simulation,
} from './batch.js';
export { RNNModel } from './rnn.js';
export { LowRankRNN } from './lowrank.js';
export { FullRankRNN } from './fullrank.js';
export { lowRankFactors, truncateWeights, truncatedMatrix, type Truncation } from './truncate.js';
export { lowRankFromFullRank, svdReparametrize, type LowRankFromFullRankOptions } from './reparametrize.js';
export { MODEL_FORMAT_VERSION, loadModel, saveModel, type LoadModelOptions } from './files.js';
export type { AnyModel } from './any.js';
