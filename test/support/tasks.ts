// Small readers for [B, T, C] tensors used by the task tests.

import type { Tensor } from '../../ts/core/tensor.js';

export function at(x: Tensor, b: number, t: number, c = 0): number {
  const [, T, C] = x.shape;
  return x.data[(b * T + t) * C + c];
}

/** Values of channel c of trial b over all bins. */
export function series(x: Tensor, b: number, c = 0): number[] {
  const [, T] = x.shape;
  return Array.from({ length: T }, (_, t) => at(x, b, t, c));
}

/** Bins [start, end) where channel c of trial b is non-zero; throws if the non-zero bins are not contiguous. */
export function support(x: Tensor, b: number, c = 0): [number, number] | null {
  const s = series(x, b, c);
  const on = s.flatMap((v, t) => (v !== 0 ? [t] : []));
  if (on.length === 0) return null;
  const [start, end] = [on[0], on[on.length - 1] + 1];
  if (end - start !== on.length) throw new Error(`channel ${c} of trial ${b} is not one contiguous block`);
  return [start, end];
}

/** A [B, T, C] float32 tensor filled by f(b, t, c). */
export function build(shape: [number, number, number], f: (b: number, t: number, c: number) => number): Tensor<Float32Array> {
  const [B, T, C] = shape;
  const data = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) data[(b * T + t) * C + c] = f(b, t, c);
  return { data, shape: [...shape] };
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}

export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Counts of each value. */
export function counts(xs: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
