// Shared fixtures for the engine tests: small random problems and double-precision finite differences.
import { FullRankRNN, LowRankRNN, Random, type AnyModel, type FullRankOptions, type LossBatch, type LossOn, type LowRankOptions, type Tensor } from '../../ts/index.js';

export function randomTensor(shape: number[], seed: number, std = 1, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Random(seed);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  rng.fillNormal(data, std);
  return { data, shape };
}

/** A batch with random inputs and targets and a mask with some zero steps. */
export function randomBatch(model: AnyModel, lossOn: LossOn, B: number, T: number, seed: number): LossBatch {
  const F = lossOn === 'outputs' ? model.outputSize : model.size;
  const inputs = randomTensor([B, T, model.inputSize], seed, 0.7);
  const targets = randomTensor([B, T, F], seed + 1, 0.5);
  const mask = new Float64Array(B * T * F);
  const rng = new Random(seed + 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const on = t >= 2 && rng.uniform() < 0.8 ? 1 : 0;
      mask.fill(on, (b * T + t) * F, (b * T + t + 1) * F);
    }
    mask.fill(1, (b * T + T - 1) * F, (b * T + T) * F);
  }
  return { inputs, targets, mask: { data: mask, shape: [B, T, F] } };
}

/** Bit-for-bit equality (Object.is per element, so -0 and NaN count). */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

export function lowRank(opts: Partial<LowRankOptions> = {}): LowRankRNN {
  return new LowRankRNN({ size: 20, rank: 2, inputs: 3, outputs: 2, noise: 0.05, seed: 11, dtype: 'float64', biases: true, ...opts });
}

export function fullRank(opts: Partial<FullRankOptions> = {}): FullRankRNN {
  return new FullRankRNN({ size: 16, inputs: 3, outputs: 2, noise: 0.05, seed: 12, dtype: 'float64', biases: true, rho: 1.2, ...opts });
}

/** Gives every parameter generic non-zero values (si, so, h0, b default to constants, which hides mistakes). */
export function perturbAll(model: AnyModel, seed: number): void {
  const rng = new Random(seed);
  const flat = model.flatParams();
  for (let i = 0; i < flat.length; i++) flat[i] += 0.3 * rng.normal();
  model.setFlatParams(flat);
}

/**
 * Central finite differences of the loss with respect to every flat parameter entry, in double precision.
 * `skip(i)` excludes entries the constraints pin (masked connections, self-connections).
 */
export async function finiteDifferences(
  model: AnyModel,
  batch: LossBatch,
  lossOn: LossOn,
  seed: number,
  skip: (i: number) => boolean = () => false,
  h = 1e-6,
): Promise<Float64Array> {
  const base = Float64Array.from(model.flatParams());
  const fd = new Float64Array(base.length);
  const probe = Float64Array.from(base);
  for (let i = 0; i < base.length; i++) {
    if (skip(i)) continue;
    const step = h * Math.max(1, Math.abs(base[i]));
    probe[i] = base[i] + step;
    model.setFlatParams(probe);
    const up = await model.loss(batch, { lossOn, seed });
    probe[i] = base[i] - step;
    model.setFlatParams(probe);
    const down = await model.loss(batch, { lossOn, seed });
    probe[i] = base[i];
    fd[i] = (up - down) / (2 * step);
  }
  model.setFlatParams(base);
  return fd;
}

/** max over parameters of |analytic - fd| / |fd| (norms over the parameter's entries). */
export function relativeErrors(model: AnyModel, analytic: Float64Array | Float32Array, fd: Float64Array, skip: (i: number) => boolean = () => false) {
  const a = model.unflatten(Float64Array.from(analytic));
  const f = model.unflatten(fd);
  const out: Record<string, number> = {};
  let offset = 0;
  for (const name of model.paramNames) {
    let diff = 0;
    let norm = 0;
    const ad = a[name].data;
    const fdd = f[name].data;
    for (let i = 0; i < ad.length; i++) {
      if (skip(offset + i)) continue;
      diff += (ad[i] - fdd[i]) ** 2;
      norm += fdd[i] ** 2;
    }
    offset += ad.length;
    out[name] = norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
  }
  return out;
}
