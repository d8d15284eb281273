export * from './core/tensor.js';
export { Random } from './core/random.js';
export {
  ACTIVATIONS,
  PARAM_NAMES,
  FullRankRNN,
  LowRankRNN,
  RNNModel,
  defaultTrainFlags,
  type Activation,
  type AnyModel,
  type CommonModelOptions,
  type Formulation,
  type FullRankOptions,
  type LossBatch,
  type LossOn,
  type LossOptions,
  type LowRankOptions,
  type ModelConfig,
  type ParamName,
  type SimulateOptions,
  type Simulation,
} from './model/models.js';
export {
  BackendUnavailableError,
  NativeLoadError,
  backendInfo,
  loadNative,
  type BackendInfo,
  type Device,
} from './native/load.js';
export {
  TRAIN_DEFAULTS,
  train,
  type CheckpointOptions,
  type Dataset,
  type EpochReport,
  type LrSchedule,
  type Monitor,
  type TrainOptions,
  type TrainResult,
  type TrainableTask,
  type WeightDecay,
} from './training/index.js';
export { loadModel, saveModel, MODEL_FORMAT_VERSION, type LoadModelOptions } from './model/files.js';
export { tasks, type Task, type TaskBatch } from './tasks/index.js';
export * as analysis from './analysis/index.js';
export * as io from './io/index.js';
export { loadNpy, loadNpz, readNpy, saveNpy, saveNpz, FileFormatError } from './io/index.js';
export { lowRankFromFullRank, svdReparametrize } from './model/reparametrize.js';
export { schur, svd, type ComplexMatrix, type SchurDecomposition, type Svd } from './core/linalg.js';
export * as lint from './lint/index.js';
