// Stability classification and the line-attractor score against their definitions, evaluated by hand.
import { describe, expect, test } from 'vitest';
import { analysis } from '../../ts/index.js';

const values = (re: number[], im: number[] = re.map(() => 0)) => ({ re: Float64Array.from(re), im: Float64Array.from(im) });

describe('classify', () => {
  test('continuous time: saddle index, time constants tau / |Re lambda|, rotation Im lambda / tau', () => {
    const s = analysis.classify(values([0.5, -0.2, -0.2, -3], [0, 1.5, -1.5, 0]), { tau: 2 });
    expect(s.type).toBe('saddle');
    expect([s.unstable, s.stable, s.marginal]).toEqual([1, 3, 0]);
    expect(Array.from(s.timeConstants)).toEqual([4, 10, 10, 2 / 3].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(s.rotation)).toEqual([0, 0.75, -0.75, 0].map((v) => expect.closeTo(v, 12)));
    expect(Array.from(s.values.re)).toEqual([0.25, -0.1, -0.1, -1.5].map((v) => expect.closeTo(v, 12)));
  });

  test('discrete map: mu = 1 + alpha lambda, |mu| > 1 unstable, tau = alpha tau / |ln |mu||', () => {
    // lambda = -2.5 is stable in continuous time but |1 + 1 * (-2.5)| = 1.5 > 1: unstable as a map with alpha = 1
    const ev = values([-0.1, -2.5]);
    expect(analysis.classify(ev).type).toBe('stable');
    const d = analysis.classify(ev, { convention: 'discrete', alpha: 1 });
    expect(d.type).toBe('saddle');
    expect(d.unstable).toBe(1);
    expect(Array.from(d.values.re)).toEqual([0.9, -1.5].map((v) => expect.closeTo(v, 14)));
    expect(d.timeConstants[0]).toBeCloseTo(1 / Math.abs(Math.log(0.9)), 12);
    expect(d.rotation[1]).toBeCloseTo(Math.PI, 12); // a negative real multiplier flips sign every step
    const small = analysis.classify(values([-0.1]), { convention: 'discrete', alpha: 0.01 });
    expect(small.timeConstants[0]).toBeCloseTo(0.01 / Math.abs(Math.log(1 - 0.001)), 10);
    expect(small.timeConstants[0]).toBeCloseTo(10, 1); // agrees with 1 / |lambda| for small alpha
  });

  test('the trivial eigenvalue of a reduced problem counts with its multiplicity', () => {
    const s = analysis.classify({ ...values([0.3]), trivial: { value: -1, multiplicity: 99 } });
    expect([s.unstable, s.stable, s.type]).toEqual([1, 99, 'saddle']);
    expect(s.trivial).toEqual({ growthRate: -1, timeConstant: 1, multiplicity: 99 });
    expect(analysis.classify(values([0.3, 0.2])).type).toBe('unstable');
  });

  test('marginal modes within the tolerance', () => {
    expect(analysis.classify(values([1e-9, -1])).type).toBe('marginal');
    const s = analysis.classify(values([1e-9, -1]), { marginalTolerance: 1e-12 });
    expect([s.type, s.unstable]).toEqual(['saddle', 1]);
  });

  test('bad options', () => {
    expect(() => analysis.classify(values([1]), { convention: 'discrete' })).toThrow(/needs alpha/);
    expect(() => analysis.classify(values([1]), { convention: 'map' as 'discrete', alpha: 1 })).toThrow(/convention/);
    expect(() => analysis.classify({ re: Float64Array.of(1), im: new Float64Array(2) })).toThrow(/equal length/);
    expect(() => analysis.classify(values([1]), { tau: 0 })).toThrow(/tau/);
  });
});

describe('line-attractor score log2(tau1 / tau2)', () => {
  test('discrete LDS matrix: tau_i = dt / |ln |lambda_i||', async () => {
    const A = { data: Float64Array.of(0.99, 0.01, 0, 0, 0.9, 0, 0, 0, 0.5), shape: [3, 3] };
    const r = await analysis.lineAttractorScore(A, { dt: 0.1 });
    const t1 = 0.1 / -Math.log(0.99);
    const t2 = 0.1 / -Math.log(0.9);
    expect(r.score).toBeCloseTo(Math.log2(t1 / t2), 12);
    expect(r.timeConstants[0]).toBeCloseTo(t1, 12);
  });

  test('continuous matrix and Jacobian eigenvalues (with the trivial ones)', async () => {
    const A = { data: Float64Array.of(-0.01, 0, 0, -0.5), shape: [2, 2] };
    expect((await analysis.lineAttractorScore(A, { time: 'continuous' })).score).toBeCloseTo(Math.log2(50), 12);
    // a rank-1 point: lambda = -0.05 and -1 (N - 1 times): tau1 / tau2 = 20
    const r = await analysis.lineAttractorScore({ ...values([-0.05]), trivial: { value: -1, multiplicity: 10 } });
    expect(r.score).toBeCloseTo(Math.log2(20), 12);
    // a complex pair shares its time constant: score 0
    expect((await analysis.lineAttractorScore(values([-0.1, -0.1], [1, -1]))).score).toBe(0);
    await expect(analysis.lineAttractorScore(values([-0.1]))).rejects.toThrow(/two eigenvalues/);
  });
});
