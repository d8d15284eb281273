export * from './tensor.js';
export { Random } from './random.js';
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
} from './models.js';
export {
  BackendUnavailableError,
  NativeLoadError,
  backendInfo,
  loadNative,
  type BackendInfo,
  type Device,
} from './native/load.js';
