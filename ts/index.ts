export * from './core/tensor.js';
export { Random } from './core/random.js';
export {
  ACTIVATIONS,
  FORMULATIONS,
  LOSS_DEFAULTS,
  MODEL_DEFAULTS,
  PARAM_NAMES,
  SIMULATE_DEFAULTS,
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
  type ModelChanges,
  type ModelConfig,
  type ModelKind,
  type ParamName,
  type SimulateOptions,
  type Simulation,
} from './model/index.js';
export {
  BackendUnavailableError,
  NativeLoadError,
  backendInfo,
  loadNative,
  resolveDevice,
  type BackendInfo,
  type Device,
  type ResolvedDevice,
} from './native/load.js';
export type { BinaryOrigin, MachineFacts } from './native/binaries.js';
export type { LapackInfo } from './native/binding.js';
export {
  TRAIN_DEFAULTS,
  train,
  trainEnsemble,
  type CheckpointOptions,
  type EnsembleMemberOptions,
  type EnsembleMemberResult,
  type TrainEnsembleOptions,
  type Dataset,
  type EpochReport,
  type LrSchedule,
  type Monitor,
  type TrainOptions,
  type TrainResult,
  type TrainableTask,
  type WeightDecay,
} from './training/index.js';
export { loadModel, saveModel, MODEL_FORMAT_VERSION, type LoadModelOptions } from './model/index.js';
export {
  tasks,
  AngularTask,
  CdmTask,
  DecisionTask,
  DmTask,
  DmsTask,
  FlipflopTask,
  IntegrationTask,
  KbackTask,
  MdmTask,
  PerceptionTask,
  WmTask,
  type AngularOptions,
  type CdmOptions,
  type DecisionOptions,
  type DmOptions,
  type DmsOptions,
  type FlipflopOptions,
  type IntegrationOptions,
  type KbackOptions,
  type MdmOptions,
  type PerceptionOptions,
  type WmOptions,
  type CdmEpoch,
  type CuedDecisionEpoch,
  type CuedDecisionOptions,
  type DelayedPairDurations,
  type CdmPsychometric,
  type CdmPsychometricOptions,
  type CdmSelection,
  type DelayedPairBins,
  type DmEpoch,
  type DmPreset,
  type MdmEpoch,
  type MdmPreset,
  type WmPreset,
  type PsychometricCurve,
  type PsychometricCurveOptions,
  type RunTrialsOptions,
  type RunNetwork,
  type SampleOptions,
  type Task,
  type TaskBatch,
  type TrialSpec,
  type TrialsOptions,
} from './tasks/index.js';
export * as analysis from './analysis/index.js';
export * as io from './io/index.js';
export { loadNpy, loadNpz, readNpy, saveNpy, saveNpz, FileFormatError } from './io/index.js';
export { lowRankFromFullRank, svdReparametrize, type LowRankFromFullRankOptions } from './model/index.js';
export { schur, svd, type ComplexMatrix, type SchurDecomposition, type Svd, type SvdOptions } from './core/linalg.js';
export * as lint from './lint/index.js';
export * as results from './results/index.js';
export * as recordings from './recordings/index.js';
export * as populations from './populations/index.js';
export * as partialObservation from './partial-observation/index.js';
export * as plot from './plot/index.js';
export * as sweeps from './sweeps/index.js';
