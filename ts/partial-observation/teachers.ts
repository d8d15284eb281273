// The teachers of the partial-observation experiments (seed 003, Qian, Zavatone-Veth, Ruben & Pehlevan: "Partial
// observation can induce mechanistic mismatches in data-constrained RNNs"): seeded generators of a D x D dynamics
// matrix B for the network z_t = (1 - a) z_{t-1} + a B phi(z_{t-1}) + a xi_t.
import { Random, STREAMS, streamSeed } from '../core/random.js';
import { matmul, svd } from '../core/linalg.js';
import { native } from '../native/load.js';
import { checkOptions, checkValue, is, type Rules } from '../core/validate.js';
import type { Tensor } from '../core/tensor.js';

/** The teacher kinds {@link teacher} builds. */
export const TEACHER_KINDS = ['line-attractor', 'feedforward', 'low-rank', 'oscillator'] as const;
/** A teacher kind: see {@link TeacherOptions}. */
export type TeacherKind = (typeof TEACHER_KINDS)[number];

/**
 * Options of {@link teacher}; defaults in {@link TEACHER_DEFAULTS}. Each kind reads its own fields:
 * - 'line-attractor': B = Q diag(1 - eps, lambda_2, ..., lambda_D) Q^T with Q a random orthogonal matrix (a normal,
 *   symmetric approximate line attractor); lambda_2..D spaced evenly from `others[1]` down to `others[0]`.
 * - 'feedforward': B = U T U^T with T_ij = delta_{i+1,j} + beta delta_{i,1} (1 - delta_{1,j}) (a delay line with
 *   skip connections from every mode into the first, seed 003) and U a random orthogonal matrix. Every eigenvalue
 *   is 0.
 * - 'low-rank': B = M N^T with M, N of rank r, N^T M = 0 and M^T M = N^T N = gamma2 I (every eigenvalue 0,
 *   strongly non-normal); gamma2 defaults to D / sqrt(r), which makes the entries of B of order one.
 * - 'oscillator': the rank-2 non-normal oscillator of the authors' public code: B = M Sigma P with M [D, 2]
 *   Gaussian, Sigma = [[0.5, -0.5], [0.5, 0.5]] and P = M^+ + S (I - M M^+), S ~ N(0, shift^2 / D) [2, D]; P M = I,
 *   so the eigenvalues are 0.5 +- 0.5i and D - 2 zeros, and `shift` sets the non-normality.
 */
export interface TeacherOptions {
  /** The teacher's size D. */
  size: number;
  /** 'line-attractor': 1 - lambda_1 (default 1e-3). */
  eps?: number;
  /** 'line-attractor': [lowest, highest] of the other D - 1 eigenvalues (default [0.2, 0.2]). */
  others?: [number, number];
  /** 'feedforward': the skip strength beta (default 0.5). */
  beta?: number;
  /** 'low-rank': the rank r (default 2). */
  rank?: number;
  /** 'low-rank': gamma^2 = |m_i|^2 = |n_i|^2 (default D / sqrt(r)). */
  gamma2?: number;
  /** 'oscillator': the scale of the shift that makes it non-normal (default 12). */
  shift?: number;
  /** Seed of the draws (default 0). */
  seed?: number;
}

/** A teacher: its dynamics matrix and how it was built. */
export interface Teacher {
  kind: TeacherKind | 'user';
  /** The dynamics matrix B [D, D] (float64). */
  weights: Tensor<Float64Array>;
  /** The options it was built with (every default filled in). */
  options: Record<string, unknown>;
  /**
   * The exact eigenvalues [D, 2] (real, imaginary) of a generated teacher, known by construction. A numerical
   * eigensolver cannot give them for the non-normal teachers: the eigenvalues of a nilpotent D x D chain move by
   * about (machine epsilon)^(1/D) under rounding, e.g. to a ring of radius 0.8 for D = 200.
   */
  eigenvalues?: Tensor<Float64Array>;
}

/** The defaults of {@link teacher} (gamma2 depends on D and r: D / sqrt(r)). */
export const TEACHER_DEFAULTS = { eps: 1e-3, others: [0.2, 0.2] as [number, number], beta: 0.5, rank: 2, shift: 12, seed: 0 } as const;

function teacherRules(D: number): Rules<TeacherOptions> {
  return {
    size: is.integer(2, 20000),
    eps: is.number(0, 2),
    others: is.custom('[lowest, highest] with lowest <= highest, both finite', (v) => Array.isArray(v) && v.length === 2 && v.every(Number.isFinite) && v[0] <= v[1]),
    beta: is.number(),
    rank: is.integer(1, Math.max(1, Math.floor(D / 2))),
    gamma2: is.positive(),
    shift: is.nonNegative(),
    seed: is.seed(),
  };
}

/** A D x D matrix with orthonormal columns drawn from `rng` (the left singular vectors of a Gaussian matrix). */
async function randomOrthogonal(rng: Random, D: number, columns = D): Promise<Float64Array> {
  const g = rng.fillNormal(new Float64Array(D * columns));
  return (await svd(g, D, columns)).u;
}

/** Builds a seeded teacher of kind `kind` (see {@link TeacherOptions}). */
export async function teacher(kind: TeacherKind, options: TeacherOptions): Promise<Teacher> {
  checkValue('partialObservation.teacher', 'kind', kind, is.oneOf(TEACHER_KINDS), 'argument');
  const D = checkValue<number>('partialObservation.teacher', 'size', options?.size, is.integer(2, 20000));
  const o = checkOptions('partialObservation.teacher', teacherRules(D), options, { ...TEACHER_DEFAULTS, gamma2: D / Math.sqrt(options.rank ?? TEACHER_DEFAULTS.rank) });
  const rng = new Random(streamSeed(o.seed!, STREAMS.partialTeacher));
  let b: Float64Array;
  if (kind === 'line-attractor') b = await lineAttractor(rng, D, o.eps!, o.others!);
  else if (kind === 'feedforward') b = await feedforward(rng, D, o.beta!);
  else if (kind === 'low-rank') b = await lowRank(rng, D, o.rank!, o.gamma2!);
  else b = oscillator(rng, D, o.shift!);
  const used: Record<TeacherKind, (keyof TeacherOptions)[]> = {
    'line-attractor': ['eps', 'others'],
    feedforward: ['beta'],
    'low-rank': ['rank', 'gamma2'],
    oscillator: ['shift'],
  };
  const kept = Object.fromEntries(['size', 'seed', ...used[kind]].map((k) => [k, o[k as keyof TeacherOptions]]));
  const exact = new Float64Array(2 * D);
  if (kind === 'line-attractor') lineSpectrum(D, o.eps!, o.others!).forEach((v, i) => (exact[2 * i] = v));
  if (kind === 'oscillator') exact.set([0.5, 0.5, 0.5, -0.5]);
  return { kind, weights: { data: b, shape: [D, D] }, options: kept, eigenvalues: { data: exact, shape: [D, 2] } };
}

/** A user's dynamics matrix [D, D] as a teacher. */
export function userTeacher(weights: Tensor): Teacher {
  const D = weights?.shape?.[0];
  if (!weights || !Array.isArray(weights.shape) || weights.shape.length !== 2 || weights.shape[1] !== D || !(D >= 2)) {
    throw new RangeError(`partialObservation: argument 'teacher' must be a square matrix [D, D] with D >= 2; got shape ${JSON.stringify(weights?.shape)}`);
  }
  const data = Float64Array.from(weights.data);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`partialObservation: argument 'teacher' must be finite; got ${data[bad]} at flat index ${bad}`);
  return { kind: 'user', weights: { data, shape: [D, D] }, options: { size: D } };
}

/** Q T Q^T (native): the teacher with canonical form T [D, D] in the orthonormal basis Q [D, D]. */
function rotate(q: Float64Array, t: Float64Array, D: number): Promise<Float64Array> {
  return native().binding.rotateCanonical(q, t, D);
}

/** 1 - eps, then D - 1 values spaced evenly from high down to low. */
function lineSpectrum(D: number, eps: number, [low, high]: [number, number]): Float64Array {
  const spectrum = new Float64Array(D);
  spectrum[0] = 1 - eps;
  for (let k = 1; k < D; k++) spectrum[k] = D > 2 ? high - ((high - low) * (k - 1)) / (D - 2) : high;
  return spectrum;
}

async function lineAttractor(rng: Random, D: number, eps: number, others: [number, number]): Promise<Float64Array> {
  const spectrum = lineSpectrum(D, eps, others);
  const t = new Float64Array(D * D);
  for (let k = 0; k < D; k++) t[k * D + k] = spectrum[k];
  return rotate(await randomOrthogonal(rng, D), t, D);
}

async function feedforward(rng: Random, D: number, beta: number): Promise<Float64Array> {
  const t = new Float64Array(D * D);
  for (let i = 0; i + 1 < D; i++) t[i * D + i + 1] = 1;
  for (let j = 1; j < D; j++) t[j] += beta;
  return rotate(await randomOrthogonal(rng, D), t, D);
}

async function lowRank(rng: Random, D: number, r: number, gamma2: number): Promise<Float64Array> {
  const q = await randomOrthogonal(rng, D, 2 * r);
  const b = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += q[i * 2 * r + k] * q[j * 2 * r + r + k];
      b[i * D + j] = gamma2 * s;
    }
  return b;
}

function oscillator(rng: Random, D: number, shift: number): Float64Array {
  const m = rng.fillNormal(new Float64Array(D * 2));
  // M^+ = (M^T M)^-1 M^T, [2, D].
  let a = 0, c = 0, e = 0;
  for (let i = 0; i < D; i++) {
    a += m[2 * i] ** 2;
    c += m[2 * i] * m[2 * i + 1];
    e += m[2 * i + 1] ** 2;
  }
  const det = a * e - c * c;
  const pinv = new Float64Array(2 * D);
  for (let i = 0; i < D; i++) {
    pinv[i] = (e * m[2 * i] - c * m[2 * i + 1]) / det;
    pinv[D + i] = (-c * m[2 * i] + a * m[2 * i + 1]) / det;
  }
  // P = M^+ + S (I - M M^+) = M^+ + S - (S M) M^+.
  const s = rng.fillNormal(new Float64Array(2 * D), shift / Math.sqrt(D));
  const sm = matmul(s, m, 2, D, 2);
  const smp = matmul(sm, pinv, 2, 2, D);
  const p = pinv.map((v, i) => v + s[i] - smp[i]);
  const sigma = [0.5, -0.5, 0.5, 0.5];
  const ms = matmul(m, sigma, D, 2, 2);
  return matmul(ms, p, D, 2, D);
}
