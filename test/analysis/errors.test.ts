// Bad arguments to the analysis functions: each one a TypeError or RangeError that names the argument.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, analysis, saveModel, type AnyModel } from '../../ts/index.js';
import { makeTempDir } from '../support/io.js';
import { native } from '../../ts/native/load.js';

const low = new LowRankRNN({ size: 6, rank: 2, inputs: 2, dtype: 'float64', seed: 1 });
const full = new FullRankRNN({ size: 6, inputs: 2, dtype: 'float64', seed: 1 });
const x = new Float64Array(6).fill(0.1);

describe('vector field, Jacobians, eigendecompositions', () => {
  test('velocity and jacobian', async () => {
    await expect(analysis.velocity({} as AnyModel, x)).rejects.toThrow(TypeError);
    await expect(analysis.velocity(low, new Float64Array(5))).rejects.toThrow(/states must have shape \[6\] or \[rows, 6\]; got \[5\]/);
    await expect(analysis.velocity(low, Float64Array.of(0, 0, 0, 0, 0, NaN))).rejects.toThrow(/states contains NaN/);
    await expect(analysis.velocity(low, x, { inputs: [1, 2, 3] })).rejects.toThrow(/inputs must have shape \[2\]/);
    await expect(analysis.velocity(low, { data: new Float64Array(12), shape: [2, 6] }, { inputs: { data: new Float64Array(6), shape: [3, 2] } })).rejects.toThrow(/\[2, 2\]/);
    await expect(analysis.jacobian(low, { data: new Float64Array(12), shape: [2, 6] })).rejects.toThrow(/one state/);
    await expect(analysis.structuredJacobian(full, x)).rejects.toThrow(/low-rank/);
  });

  test('linearize and eigen', async () => {
    await expect(analysis.linearize(low, x, { vectors: 'left' as 'both' })).rejects.toThrow("linearize: option 'vectors' must be one of 'none', 'right', 'both'; got 'left'");
    await expect(analysis.linearize(low, x, { method: 'fast' as 'dense' })).rejects.toThrow("linearize: option 'method' must be one of 'auto', 'dense', 'reduced'; got 'fast'");
    await expect(analysis.linearize(full, x, { method: 'reduced' })).rejects.toThrow(TypeError);
    await expect(analysis.linearize(low, x, { threads: -1 })).rejects.toThrow("linearize: option 'threads' must be an integer in [0, 1024] (1024 is the cap on threads); got -1");
    await expect(analysis.linearize(low, x, { threads: NaN })).rejects.toThrow("linearize: option 'threads' must be an integer in [0, 1024] (1024 is the cap on threads); got NaN");
    await expect(analysis.eigen({ data: new Float64Array(6), shape: [2, 3] })).rejects.toThrow(/square/);
    await expect(analysis.eigen({ data: Float64Array.of(1, NaN, 0, 1), shape: [2, 2] })).rejects.toThrow(/NaN/);
    await expect(analysis.lineAttractorScore({ data: new Float64Array(4), shape: [2, 2] }, { time: 'x' as 'discrete' })).rejects.toThrow("lineAttractorScore: option 'time' must be one of 'discrete', 'continuous'; got 'x'");
  });
});

describe('fixedPoints and topology', () => {
  const from = { data: new Float64Array(6 * 4).fill(0.2), shape: [4, 6] };

  test('fixedPoints', async () => {
    await expect(analysis.fixedPoints(low)).rejects.toThrow(/fixedPoints: option 'from' must be trajectories .* \(or give initialStates\); got undefined/);
    await expect(analysis.fixedPoints(low, { from, count: 0 })).rejects.toThrow("fixedPoints: option 'count' must be an integer >= 1; got 0");
    await expect(analysis.fixedPoints(low, { from, perturbation: -1 })).rejects.toThrow("fixedPoints: option 'perturbation' must be a finite number >= 0; got -1");
    await expect(analysis.fixedPoints(low, { from, perturbation: Infinity })).rejects.toThrow("fixedPoints: option 'perturbation' must be a finite number >= 0; got Infinity");
    await expect(analysis.fixedPoints(low, { from: { data: new Float64Array(10), shape: [2, 5] } })).rejects.toThrow(/from must have shape \[B, T, 6\]/);
    await expect(analysis.fixedPoints(low, { initialStates: { data: new Float64Array(10), shape: [2, 5] } })).rejects.toThrow(/initialStates must have shape \[\*, 6\]/);
    await expect(analysis.fixedPoints(low, { from, inputs: [1] })).rejects.toThrow(/inputs must have shape \[2\]/);
    await expect(analysis.fixedPoints(low, { from, adam: { precision: 'half' as 'float32' } })).rejects.toThrow("fixedPoints: option 'adam.precision' must be one of 'float32', 'float64'; got 'half'");
    await expect(analysis.fixedPoints(low, { from, adam: { beta1: 1 } })).rejects.toThrow("fixedPoints: option 'adam.beta1' must be a finite number in [0, 1); got 1");
    await expect(analysis.fixedPoints(low, { from, tolerance: { q: -1 } })).rejects.toThrow("fixedPoints: option 'tolerance.q' must be a finite number >= 0; got -1");
    await expect(analysis.fixedPoints(low, { from, polish: { tolQ: NaN } })).rejects.toThrow("fixedPoints: option 'polish.tolQ' must be a finite number >= 0; got NaN");
    await expect(analysis.fixedPoints(low, { from, polish: true as never })).rejects.toThrow("fixedPoints: option 'polish' must be an object or false; got true");
    await expect(analysis.fixedPoints(low, { from, eigen: { vectors: 'yes' as never } })).rejects.toThrow("fixedPoints: option 'eigen.vectors' must be true or false; got 'yes'");
    await expect(analysis.fixedPoints(full, { from, eigen: { method: 'reduced' } })).rejects.toThrow(/fixedPoints: option 'eigen.method' must be 'auto' or 'dense' \('reduced' needs a low-rank net without noAutapse\); got 'reduced'/);
    await expect(analysis.fixedPoints(low, { from, stability: { convention: 'map' as 'discrete' } })).rejects.toThrow("fixedPoints: option 'stability.convention' must be one of 'continuous', 'discrete'; got 'map'");
    await expect(analysis.fixedPoints(low, { from, signal: {} as AbortSignal })).rejects.toThrow("fixedPoints: option 'signal' must be an AbortSignal; got an object");
    await expect(analysis.fixedPoints(low, { from, onProgress: 1 as never })).rejects.toThrow("fixedPoints: option 'onProgress' must be a function; got 1");
    await expect(analysis.fixedPoints(low, { from, seed: -2 })).rejects.toThrow("fixedPoints: option 'seed' must be a non-negative safe integer; got -2");
  });

  test('fixedPoints: unknown keys, nested groups included, are rejected with the valid names', async () => {
    await expect(analysis.fixedPoints(low, { from, noise: 0.1 } as object)).rejects.toThrow(/fixedPoints: unknown option 'noise'; valid options: inputs, from, initialStates, count, perturbation, /);
    await expect(analysis.fixedPoints(low, { from, cont: 3 } as object)).rejects.toThrow(/fixedPoints: unknown option 'cont'/);
    await expect(analysis.fixedPoints(low, { from, adam: { rate: 1 } } as object)).rejects.toThrow(/fixedPoints: unknown option 'adam.rate'; valid options in 'adam': maxIterations, lr, /);
    await expect(analysis.fixedPoints(low, { from, eigen: { vector: true } } as object)).rejects.toThrow(/fixedPoints: unknown option 'eigen.vector'; valid options in 'eigen': method, vectors/);
    await expect(analysis.fixedPoints(low, { from, stability: { alpha: 0.1 } } as object)).rejects.toThrow(/fixedPoints: unknown option 'stability.alpha'; valid options in 'stability': convention, tau, marginalTolerance/);
    await expect(analysis.fixedPoints(low, { from, tolerance: { uniq: 1 } } as object)).rejects.toThrow(/fixedPoints: unknown option 'tolerance.uniq'/);
    await expect(analysis.fixedPoints(low, { from, polish: { steps: 1 } } as object)).rejects.toThrow(/fixedPoints: unknown option 'polish.steps'/);
  });

  test('every other analysis entry rejects unknown keys and uses the one message format', async () => {
    const kappa = { data: new Float64Array(2), shape: [1, 2] };
    await expect(analysis.velocity(low, x, { input: [0, 0] } as object)).rejects.toThrow(/velocity: unknown option 'input'; valid options: inputs/);
    await expect(analysis.jacobian(low, x, { inputs: [0, 0], extra: 1 } as object)).rejects.toThrow(/jacobian: unknown option 'extra'/);
    await expect(analysis.linearize(low, x, { device: 'cpu', vector: 'both' } as object)).rejects.toThrow(/linearize: unknown option 'vector'/);
    await expect(analysis.eigen({ data: Float64Array.of(1, 0, 0, 1), shape: [2, 2] }, { right: true } as object)).rejects.toThrow(/eigen: unknown option 'right'/);
    expect(() => analysis.classify({ re: Float64Array.of(-1), im: Float64Array.of(0) }, { tau: 1, time: 'discrete' } as object)).toThrow(/classify: unknown option 'time'/);
    expect(() => analysis.classify({ re: Float64Array.of(-1), im: Float64Array.of(0) }, { tau: -1 })).toThrow("classify: option 'tau' must be a finite number > 0; got -1");
    await expect(analysis.latentVelocity(low, kappa, { input: [0, 0] } as object)).rejects.toThrow(/latentVelocity: unknown option 'input'; valid options: inputs, coordinates, jacobians/);
    await expect(analysis.latentFixedPoints(low, { noise: 1 } as object)).rejects.toThrow(/latentFixedPoints: unknown option 'noise'/);
    await expect(analysis.latentFixedPoints(low, { maxIterations: 1.5 })).rejects.toThrow("latentFixedPoints: option 'maxIterations' must be an integer >= 0; got 1.5");
    await expect(analysis.latentFlowField(low, { resolution: 2, res: 3 } as object)).rejects.toThrow(/latentFlowField: unknown option 'res'/);
    expect(() => analysis.latentGrid(2, { points: 3 } as object)).toThrow(/latentGrid: unknown option 'points'/);
    await expect(analysis.projectOnLatent(low, { data: new Float64Array(6), shape: [1, 6] }, { coords: 'overlaps' } as object)).rejects.toThrow(/projectOnLatent: unknown option 'coords'/);
    expect(() => analysis.estimateStatistics(low, { ddof: 2 as 0 })).toThrow("estimateStatistics: option 'ddof' must be one of 0, 1; got 2");
    await expect(analysis.compareMeanField(low, { quadrature: 10 } as object)).rejects.toThrow(/compareMeanField: unknown option 'quadrature'/);
    await expect(analysis.transferMoments([0], [1], { points: 10 } as object)).rejects.toThrow(/transferMoments: unknown option 'points'; valid options: activation, slope, quadraturePoints/);
    await expect(analysis.pca({ data: new Float64Array(6), shape: [3, 2] }, { k: 1 } as object)).rejects.toThrow(/pca: unknown option 'k'/);
    await expect(analysis.pca({ data: new Float64Array(6), shape: [3, 2] }, { components: 3 })).rejects.toThrow("pca: option 'components' must be an integer in [1, 2]; got 3");
    await expect(analysis.eigenvectorCentrality({ data: new Float64Array(4), shape: [2, 2] }, { tolerance: 0 })).rejects.toThrow("eigenvectorCentrality: option 'tolerance' must be a finite number > 0; got 0");
    await expect(analysis.nonNormality({ data: new Float64Array(4), shape: [2, 2] }, { schur: 'real' } as object)).rejects.toThrow(/nonNormality: unknown option 'schur'/);
    await expect(analysis.weightChange(low, low, { rank: [1] } as object)).rejects.toThrow(/weightChange: unknown option 'rank'/);
    const cov = { data: Float64Array.of(1, 0.5, 0.25, 0.125), shape: [4, 1, 1] };
    await expect(analysis.maximizePredictiveInformation(cov, { dimension: 1, window: 1, seeds: 2 } as never)).rejects.toThrow(/maximizePredictiveInformation: unknown option 'seeds'/);
  });

  test('topology', async () => {
    const fps = await analysis.fixedPoints(low, { from, count: 4 });
    await expect(analysis.topology(full, { ...fps, points: { data: new Float64Array(5), shape: [1, 5] } })).rejects.toThrow(/fixed-point result of this model/);
    await expect(analysis.topology(low, fps, { restarts: 0 })).rejects.toThrow("topology: option 'restarts' must be an integer >= 1; got 0");
    await expect(analysis.topology(low, fps, { radius: -1 })).rejects.toThrow("topology: option 'radius' must be a finite number > 0; got -1");
    await expect(analysis.topology(low, fps, { noise: 0.1 } as object)).rejects.toThrow(/topology: unknown option 'noise'; valid options: restarts, perturbation, /);
    await expect(analysis.topology(low, { ...fps, points: { data: new Float64Array(0), shape: [0, 6] } })).rejects.toThrow(/no points/);
  });
});

describe('files', () => {
  const dir = makeTempDir();
  afterAll(async () => (await dir).remove());
  test('loadFixedPoints refuses a model file', async () => {
    const path = join((await dir).dir, 'model.npz');
    await saveModel(path, low);
    await expect(analysis.loadFixedPoints(path)).rejects.toThrow(/not a fixed-point file|expected fixed-points/);
  });
});

describe('the native layer has no defaults of its own', () => {
  test('a missing option or spec field is an error, not a silent default', async () => {
    const dyn = native().binding.dynamics;
    const spec = low.nativeSpec;
    const params = Float64Array.from(low.flatParams());
    const u = new Float64Array(2);
    const options = { rows: 1, method: 'auto', right: false, left: false, threads: 0, device: 'cpu' } as const;
    await expect(dyn.linearize(spec, params, x, u, options)).resolves.toMatchObject({ count: 2 });
    const { device: _device, ...noDevice } = options;
    expect(() => dyn.linearize(spec, params, x, u, noDevice as never)).toThrow("option 'device' is required");
    const { alpha: _alpha, ...noAlpha } = spec;
    expect(() => dyn.velocity(noAlpha as never, params, x, u, { rows: 1 })).toThrow("option 'alpha' is required");
    const { slope: _slope, ...noSlope } = spec;
    expect(() => dyn.velocity(noSlope as never, params, x, u, { rows: 1 })).toThrow("option 'slope' is required");
    expect(() => dyn.linearize(spec, params, x, u, { ...options, device: 'tpu' as 'cpu' })).toThrow("device must be 'cpu', 'cuda' or 'cuda-emulated'; got 'tpu'");
  });
});
