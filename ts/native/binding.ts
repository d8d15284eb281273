// Mirrors the C++ exports of native/napi/*.cc exactly. Private to the package: the domain classes wrap it.
import type { FloatArray } from '../core/tensor.js';

/** The name of a model parameter; see PARAM_NAMES for their shapes and meaning. */
export type ParamName = 'm' | 'n' | 'wrec' | 'wi' | 'si' | 'wo' | 'so' | 'h0' | 'b';
/** What a loss compares with its targets: the readout outputs [B, T, O], the rates or the states [B, T, N]. */
export type LossOn = 'outputs' | 'rates' | 'states';

export interface NativeSpec {
  size: number;
  rank: number; // 0 = full-rank
  inputs: number;
  outputs: number;
  formulation: 'current' | 'rate';
  activation: string;
  slope: number;
  outputActivation: string;
  outputSlope: number;
  alpha: number;
  noise: number;
  noAutapse: boolean;
  daleSigns?: Int8Array;
  connectivityMask?: Uint8Array;
  trainable: Record<ParamName, boolean>;
}

export interface NativeSegment {
  name: ParamName;
  offset: number;
  shape: number[];
}

export interface NativeNoise {
  seed: number;
  noise: boolean;
  stream?: number;
}

export interface NativeTrainResult {
  steps: number;
  aborted: boolean;
  losses: Float64Array;
  gradNorms: Float64Array;
}

/** The options of one trainSteps call. */
export type NativeTrainStepsOptions = Parameters<NativeModelHandle['trainSteps']>[4];

/** The epochs a CPU ensemble member runs in one call, with train()'s bookkeeping after each (native/core/epoch_rules.hpp):
 * its settings and the run's state before the first of them. */
export interface NativeEpochPlan {
  count: number;
  first: number;
  last: number;
  bestLoss: number;
  plateauEpochs: number;
  schedule: 'none' | 'step' | 'plateau';
  every: number;
  factor: number;
  patience: number;
  threshold: number;
  minLr: number;
  earlyStop: number | null;
}

/** One member of NativeModel.trainEnsemble: a model and the arguments its own trainSteps call would take; with
 * `epochs`, the indices hold that many epochs' minibatches, one epoch after another. */
export interface NativeEnsembleMember {
  model: NativeModelHandle;
  inputs: FloatArray;
  targets: FloatArray;
  mask: FloatArray;
  indices: Int32Array;
  options: NativeTrainStepsOptions;
  epochs?: NativeEpochPlan;
}

/** A member's trainSteps result, or the error that stopped it (the other members go on); with an epoch plan, what
 * each completed epoch used and took, and the parameters of the best of them (`bestEpoch` 0: none beat the loss
 * before the call). */
export interface NativeEnsembleOutcome extends NativeTrainResult {
  error?: Error;
  epochs?: { lr: Float64Array; seconds: Float64Array; bestEpoch: number; bestParams?: FloatArray };
}

export interface NativeOptimizerState {
  step: number;
  m: Float64Array;
  v: Float64Array;
}

/** How one parameter starts when it is not given: zeros, ones, N(0, std^2), or (full-rank wrec with Dale signs)
 * |N(0, std^2)| signed by presynaptic unit, inhibitory columns scaled by nE / nI. */
export interface NativeInitialDraw {
  kind: 'zeros' | 'ones' | 'normal' | 'dale-normal';
  std: number;
}

/** The initial parameters of a new native model: given values (copied at once) and the seeded draws of the others
 * (xoshiro128** and Box-Muller, as ts/core/random.ts, in layout order; made on a worker thread when they are many). */
export interface NativeInitialValues {
  seed: number;
  draws: Partial<Record<ParamName, NativeInitialDraw>>;
  given: Partial<Record<ParamName, FloatArray>>;
}

export interface NativeModelHandle {
  readonly dtype: 'float32' | 'float64';
  readonly backend: string;
  /** Bytes of device memory the backend holds (0 on the CPU); freed by dispose(). */
  readonly deviceMemory: number;
  layout(): NativeSegment[];
  getParams(): FloatArray;
  setParams(params: FloatArray): void;
  simulate(
    inputs: FloatArray,
    initialStates: FloatArray | null,
    options: NativeNoise & { batch: number; steps: number; states: boolean; rates: boolean; outputs: boolean },
  ): Promise<{ states?: FloatArray; rates?: FloatArray; outputs?: FloatArray }>;
  lossAndGradient(
    inputs: FloatArray,
    targets: FloatArray,
    mask: FloatArray,
    initialStates: FloatArray | null,
    options: NativeNoise & { batch: number; steps: number; lossOn: LossOn; gradient: boolean },
  ): Promise<{ loss: number; grad?: FloatArray }>;
  /** Adam steps on minibatches of the given trials. Every option is required (the defaults are TRAIN_DEFAULTS).
   * The job's abort() stops this call only, at its next step. */
  trainSteps(
    inputs: FloatArray,
    targets: FloatArray,
    mask: FloatArray,
    indices: Int32Array,
    options: {
      examples: number;
      steps: number;
      lossOn: LossOn;
      batch: number;
      optimizerSteps: number;
      lr: number;
      beta1: number;
      beta2: number;
      eps: number;
      clip: number;
      /** L2 decay of every parameter of the model (PyTorch Adam's weight_decay). */
      weightDecay: Partial<Record<ParamName, number>>;
      seed: number;
      drawNoise: boolean;
    },
    onStep?: (report: { step: number; loss: number; gradNorm: number }) => void,
  ): NativeJob<NativeTrainResult>;
  optimizerState(): NativeOptimizerState;
  setOptimizerState(state: NativeOptimizerState): void;
  dispose(): void;
  /** Resolves once the initial parameters are in place (they may be drawn on a worker thread); every call waits. */
  initialised(): Promise<void>;
}

export interface NativeCudaInfo {
  compiled: boolean;
  runtimeVersion: number;
  driverVersion: number;
  devices: { name: string; computeCapability: string; totalMemory: number; multiprocessors: number }[];
  reason?: string;
}

export interface NativeBackendInfo {
  compiled: string[];
  threads: number;
  eigen: string;
  simd: string;
  lapack: LapackInfo;
  cuda: NativeCudaInfo;
}

/**
 * The LAPACK used for dense eigenproblems and SVDs, loaded at run time (native/core/lapack.hpp). LOWRANK_LAPACK: unset
 * or 'auto' searches liblapack.so.3, libopenblas.so.0, ...; 'off' uses Eigen's own solvers; a path loads that library.
 */
export interface LapackInfo {
  /** Whether a LAPACK library is used; when false, Eigen's solvers are. */
  loaded: boolean;
  /** 'auto', 'off' or 'path', from LOWRANK_LAPACK. */
  mode: string;
  /** The library file loaded. */
  library?: string;
  /** OpenBLAS's description of its build, when the library is OpenBLAS. */
  config?: string;
  /** The BLAS threads one call uses (0 when the library does not say). */
  threads: number;
  /** Why no LAPACK is used, when none is. */
  reason?: string;
}

/** A low-rank net's latent vector field in kappa coordinates (native/core/latent.hpp). */
export interface NativeLatentField {
  size: number;
  rank: number;
  /** size x rank, row-major */
  m: Float64Array;
  n: Float64Array;
  /** size: the pre-activation at kappa = 0 (x_perp + b) */
  offset: Float64Array;
  /** rank: x = m (scale o kappa) + x_perp */
  scale: Float64Array;
  /** rank: the input current's coefficients on m */
  shift: Float64Array;
  activation: string;
  slope: number;
}

export interface NativeLatentRoots {
  points: Float64Array;
  speed: Float64Array;
  iterations: Int32Array;
  converged: Uint8Array;
  jacobians: Float64Array;
  eigenRe: Float64Array;
  eigenIm: Float64Array;
}

/** Eigenpairs of `n` matrices, concatenated: values [n, count], vectors [n, count, dim] (row = one eigenvector). */
export interface NativeEigenpairs {
  count: number;
  dim: number;
  re: Float64Array;
  im: Float64Array;
  rightRe?: Float64Array;
  rightIm?: Float64Array;
  leftRe?: Float64Array;
  leftIm?: Float64Array;
  /** per matrix, when left vectors were computed */
  rcond?: Float64Array;
}

/**
 * How eigenvalues of a Jacobian are computed: 'dense' (the N x N problem), 'reduced' (the R x R problem of a low-rank
 * net without no-autapse) or 'auto' (reduced where it applies, else dense).
 */
export type NativeEigenMethod = 'auto' | 'dense' | 'reduced';

/** Progress of a long analysis: its phase and how many of `total` units of work are `done`. */
export interface NativeSearchProgress {
  phase: 'adam' | 'polish' | 'linearize' | 'settle' | 'latent' | 'newton';
  done: number;
  total: number;
}

/** A running native job: abort() makes it stop at its next check and resolve with `aborted: true`. */
export interface NativeJob<T> {
  promise: Promise<T>;
  abort(): void;
}

export interface NativeFixedPointOptions {
  candidates: number;
  maxIterations: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  plateauFactor: number;
  plateauPatience: number;
  minLr: number;
  adamTolQ: number;
  singlePrecision: boolean;
  polishIterations: number;
  polishTolQ: number;
  acceptQ: number;
  uniqueTolerance: number;
  outlierScale: number;
  method: NativeEigenMethod;
  right: boolean;
  left: boolean;
  threads: number;
  /** where the first phase and the reduced eigenproblems run */
  device: 'cpu' | 'cuda' | 'cuda-emulated';
  /** the latent search (low-rank nets without no-autapse) instead of Adam + polishing */
  latent: boolean;
  /** batched Newton-GMRES from the initial states instead of Adam + polishing */
  newton: boolean;
  latentStarts: number;
  latentIterations: number;
  seed: number;
}

export interface NativeFixedPointSearch {
  aborted: boolean;
  finalStates: Float64Array;
  finalQ: Float64Array;
  adamIterations: Int32Array;
  polishIterations: Int32Array;
  /** point index, or -1 (q above the tolerance), -2 (distance outlier) */
  assignment: Int32Array;
  /** per point: the candidate whose final state it is, or -1 (a latent spread start) */
  representative: Int32Array;
  latentIterations: Int32Array;
  /** [points, N] */
  points: Float64Array;
  pointQ: Float64Array;
  pointConditions: Int32Array;
  latent: boolean;
  reduced: boolean;
  eigen: NativeEigenpairs;
}

export interface NativeSettleRuns {
  aborted: boolean;
  end: Int32Array;
  steps: Int32Array;
  finalStates: Float64Array;
}

/** exports.dynamics (native/napi/analysis.cc); every model is (spec, params in layout order as float64). */
export interface NativeDynamics {
  velocity(
    spec: NativeSpec,
    params: Float64Array,
    states: Float64Array,
    inputs: Float64Array,
    options: { rows: number },
  ): Promise<{ velocity: Float64Array; q: Float64Array }>;
  jacobian(
    spec: NativeSpec,
    params: Float64Array,
    state: Float64Array,
    input: Float64Array,
    options: { structured: boolean },
  ): Promise<{ jacobian?: Float64Array; diagonal?: Float64Array; u?: Float64Array; v?: Float64Array }>;
  linearize(
    spec: NativeSpec,
    params: Float64Array,
    states: Float64Array,
    inputs: Float64Array,
    options: { rows: number; method: NativeEigenMethod; right: boolean; left: boolean; threads: number; device?: 'cpu' | 'cuda' | 'cuda-emulated' },
  ): Promise<NativeEigenpairs & { reduced: boolean }>;
  eigen(a: Float64Array, options: { n: number; right: boolean; left: boolean; threads?: number }): Promise<NativeEigenpairs>;
  findFixedPoints(
    spec: NativeSpec,
    params: Float64Array,
    initial: Float64Array,
    inputs: Float64Array,
    conditions: Int32Array,
    options: NativeFixedPointOptions,
    onProgress?: (p: NativeSearchProgress) => void,
  ): NativeJob<NativeFixedPointSearch>;
  settle(
    spec: NativeSpec,
    params: Float64Array,
    starts: Float64Array,
    inputs: Float64Array,
    startConditions: Int32Array,
    points: Float64Array,
    pointConditions: Int32Array,
    stable: Uint8Array,
    options: { starts: number; points: number; maxSteps: number; checkEvery: number; radius: number; settleQ: number; threads: number },
    onProgress?: (p: NativeSearchProgress) => void,
  ): NativeJob<NativeSettleRuns>;
}

/** A fitted mixture as native/napi/mixture.cc returns it (row-major arrays; components after dropping empty ones). */
export interface NativeMixtureFit {
  aborted: boolean;
  components: number;
  weights: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
  logWeights: Float64Array;
  meanPrecision?: Float64Array;
  degreesOfFreedom?: Float64Array;
  labels: Int32Array;
  logLikelihood: number;
  plugInLogLikelihood: number;
  bic: number;
  aic: number;
  lowerBound: number;
  converged: boolean;
  iterations: number;
  bestRestart: number;
}

/** The options of fitMixture: all required (the TypeScript layer fills the defaults). */
export interface NativeMixtureOptions {
  rows: number;
  cols: number;
  components: number;
  method: 'em' | 'variational';
  covariance: 'full' | 'diag' | 'tied' | 'spherical';
  restarts: number;
  init: 'kmeans++' | 'kmeans' | 'random';
  maxIterations: number;
  tolerance: number;
  regCovar: number;
  seed: number;
  threads: number;
  dirichletProcess: boolean;
  weightConcentrationPrior: number;
  meanPrecisionPrior: number;
  degreesOfFreedomPrior: number;
  meanPrior: Float64Array | null;
  covariancePrior: Float64Array | null;
  initialLabels?: Int32Array;
}

/** A mixture for mixtureScore: logWeights are log(weights) for EM, E[log pi] for a variational mixture. */
export interface NativeMixtureModel {
  components: number;
  dims: number;
  variational: boolean;
  means: Float64Array;
  covariances: Float64Array;
  logWeights: Float64Array;
  meanPrecision?: Float64Array;
  degreesOfFreedom?: Float64Array;
}

export interface NativeBinding {
  NativeModel: (new (
    spec: NativeSpec,
    options: { dtype: 'float32' | 'float64'; device: 'cpu' | 'cuda' | 'cuda-emulated'; threads: number },
    initial?: NativeInitialValues,
  ) => NativeModelHandle) & {
    /** The trainSteps calls of models of one shape and dtype in one job, members spread over `threads` threads; the
     * job's abort() stops every member at its next step. */
    trainEnsemble(members: NativeEnsembleMember[], options: { threads: number }): NativeJob<NativeEnsembleOutcome[]>;
  };
  backendInfo(): NativeBackendInfo;
  crossCovariances(
    x: Float32Array | Float64Array,
    options: { batch: number; steps: number; size: number; lags: number; threads: number },
  ): Promise<Float64Array>;
  /** Gaussian predictive information PI_T of the projection v [N, d] from the lagged covariances [2 window, N, N], and
   * its gradient with respect to v when asked (native/core/predictive_information.hpp). */
  predictiveInformation(
    lags: Float64Array,
    v: Float64Array,
    options: { size: number; window: number; dimension: number; gradient: boolean },
  ): Promise<{ value: number; gradient?: Float64Array }>;
  svd(a: Float64Array, rows: number, cols: number, k: number, threads?: number): Promise<{ u: Float64Array; s: Float64Array; v: Float64Array }>;
  /** For each unit-norm row of x [n, d], the mean of its k largest cosine similarities to the other rows. */
  meanTopCosines(x: Float64Array, n: number, d: number, k: number, threads: number): Promise<{ values: Float64Array }>;
  schur(a: Float64Array, n: number, real: boolean): Promise<{ tRe: Float64Array; tIm: Float64Array; uRe: Float64Array; uIm: Float64Array }>;
  latentVelocity(field: NativeLatentField, kappa: Float64Array, jacobians: boolean): Promise<{ velocity: Float64Array; jacobians?: Float64Array }>;
  latentRoots(field: NativeLatentField, starts: Float64Array, options: { tolerance: number; maxIterations: number }): Promise<NativeLatentRoots>;
  gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array };
  transferMoments(
    mu: Float64Array,
    delta: Float64Array,
    options: { activation: string; slope: number; points: number },
  ): Promise<{ mean: Float64Array; meanDerivative: Float64Array }>;
  dynamics: NativeDynamics;
  fitMixture(
    x: Float64Array,
    options: NativeMixtureOptions,
    onProgress?: (p: { restartsDone: number; restarts: number }) => void,
  ): NativeJob<NativeMixtureFit>;
  mixtureScore(model: NativeMixtureModel, x: Float64Array, rows: number): Promise<{ logResp: Float64Array; logProbNorm: Float64Array }>;
  /** Closed-form ridge estimate of a dynamics matrix from trajectories x [trials, steps, units] (partial observation). */
  ridgeDynamics(x: Float64Array, options: { trials: number; steps: number; units: number; alpha: number; ridge: number; tanh: boolean }): Promise<Float64Array>;
  /** S with S = F S F^T + Q (n x n, row-major). */
  discreteLyapunov(f: Float64Array, q: Float64Array, n: number): Promise<Float64Array>;
  /** The stationary covariance of a linear teacher and the long-time limit of the estimate from the observed units. */
  stationaryLimit(b: Float64Array, observed: Int32Array, options: { n: number; alpha: number; noise: number; measurement: number }): Promise<{ covariance: Float64Array; limit: Float64Array }>;
  /** U T U^T of two n x n row-major matrices (a partial-observation teacher from its canonical form). */
  rotateCanonical(u: Float64Array, t: Float64Array, n: number): Promise<Float64Array>;
}
