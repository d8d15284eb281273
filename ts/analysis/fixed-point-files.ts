// Fixed-point results on disk, through the one results format (ts/results): the arrays of the result under their
// dotted names (points, eigenvalues.re, stability.type, candidates.final, ...) and the settings and scales in `meta`.
import { is, checkValue } from '../core/validate.js';
import { toFloatTensor, type NpyArray } from '../io/index.js';
import { META_KEY, loadResult, saveResult } from '../results/format.js';
import type { Tensor } from '../core/tensor.js';
import type { FixedPoints, PointStability } from './fixed-points.js';
import { STABILITY_LABELS, type PointType } from './linear.js';

/** What a fixed-point file keeps in `meta` (besides the kind, format version and package). */
type FixedPointMeta = Pick<FixedPoints, 'method' | 'search' | 'scales' | 'tolerances' | 'seconds' | 'trivialEigenvalue'> &
  Pick<PointStability, 'convention' | 'alpha' | 'tau' | 'marginalTolerance'>;

/** Writes a result as a .npz numpy reads (kind 'fixed-points'; array names: docs/analysis.md). */
export async function saveFixedPoints(path: string, result: FixedPoints): Promise<void> {
  checkValue('saveFixedPoints', 'path', path, is.string(), 'argument');
  checkValue('saveFixedPoints', 'result', result, is.object(), 'argument');
  const { convention, alpha, tau, marginalTolerance, type, unstable, marginal, timeConstants, rotation } = result.stability;
  const meta: FixedPointMeta = {
    method: result.method,
    search: result.search,
    scales: result.scales,
    tolerances: result.tolerances,
    seconds: result.seconds,
    trivialEigenvalue: result.trivialEigenvalue,
    convention,
    alpha,
    tau,
    marginalTolerance,
  };
  const arrays = {
    points: result.points,
    q: result.q,
    condition: result.condition,
    inputs: result.inputs,
    eigenvalues: result.eigenvalues,
    eigenvectors: result.eigenvectors,
    stability: { type, unstable, marginal, timeConstants, rotation },
    candidates: result.candidates,
  };
  await saveResult(path, 'fixed-points', arrays, { meta });
}

/** Reads a result written by saveFixedPoints. */
export async function loadFixedPoints(path: string): Promise<FixedPoints> {
  const { meta, arrays } = await loadResult(path, 'fixed-points');
  if (!meta) throw new RangeError(`${path}: not a fixed-point file (no '${META_KEY}' entry of kind 'fixed-points')`);
  const m = meta as unknown as FixedPointMeta;
  const need = (name: string): NpyArray => {
    const a = arrays[name];
    if (!a) throw new RangeError(`${path}: not a fixed-point file (no '${name}' array)`);
    return a;
  };
  const float = (name: string) => toFloatTensor(need(name), `${path}, array '${name}'`, 'float64') as Tensor<Float64Array>;
  const ints = (name: string) => Int32Array.from(float(name).data);
  const complex = (name: string) => ({ re: float(`${name}.re`), im: float(`${name}.im`) });
  const result: FixedPoints = {
    points: float('points'),
    q: float('q').data,
    condition: ints('condition'),
    inputs: float('inputs'),
    eigenvalues: complex('eigenvalues'),
    stability: {
      convention: m.convention,
      alpha: m.alpha,
      tau: m.tau,
      marginalTolerance: m.marginalTolerance,
      type: labels(arrays['stability.type'], path, pointCount(arrays, path)),
      unstable: ints('stability.unstable'),
      marginal: ints('stability.marginal'),
      timeConstants: float('stability.timeConstants'),
      rotation: float('stability.rotation'),
    },
    candidates: {
      initial: float('candidates.initial'),
      condition: ints('candidates.condition'),
      final: float('candidates.final'),
      q: float('candidates.q').data,
      assignment: ints('candidates.assignment'),
      adamIterations: ints('candidates.adamIterations'),
      polishIterations: ints('candidates.polishIterations'),
      // files written before the latent search have no latentIterations
      latentIterations: arrays['candidates.latentIterations'] ? ints('candidates.latentIterations') : new Int32Array(float('candidates.q').data.length),
    },
    scales: m.scales,
    tolerances: m.tolerances,
    method: m.method,
    search: m.search ?? 'full',
    seconds: m.seconds,
  };
  if (m.trivialEigenvalue) result.trivialEigenvalue = m.trivialEigenvalue;
  if (arrays['eigenvectors.right.re']) result.eigenvectors = { right: complex('eigenvectors.right'), left: complex('eigenvectors.left') };
  return result;
}

function pointCount(arrays: Record<string, NpyArray>, path: string): number {
  const points = arrays.points;
  if (!points) throw new RangeError(`${path}: not a fixed-point file (no 'points' array)`);
  return points.shape[0];
}

/** One label per point (a result with no points has no 'stability.type' array: an empty string array has no dtype). */
function labels(a: NpyArray | undefined, path: string, points: number): PointType[] {
  const data = a === undefined ? [] : a.dtype === 'unicode' ? (a.data as string[]) : null;
  const ok = data !== null && data.length === points && data.every((s) => (STABILITY_LABELS as readonly string[]).includes(s));
  if (!ok) throw new RangeError(`${path}: 'stability.type' must hold one of ${STABILITY_LABELS.join(', ')} per point`);
  return [...(data as PointType[])];
}
