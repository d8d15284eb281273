import { describe, expect, it } from 'vitest';
import { headingDistance, tasks, wrapHeading } from '../../ts/tasks/index.js';
import { at, build, mean, series, std } from '../support/tasks.js';

describe('3-bit flip-flop (pyrnn three_bit_memory)', () => {
  const task = tasks.flipflop();

  it("defaults to pyrnn's example: 3 channels, 2048 steps of 5 ms, 10 one-bin pulses of each sign per channel", () => {
    expect([task.inputSize, task.outputSize, task.steps, task.dt]).toEqual([3, 3, 2048, 5]);
    expect(task.pulsesPerSign).toBe(10);
    expect(task.pulseBins).toBe(1);
  });

  it('opens every channel with +1 at bin 0 and holds the sign of the last pulse as the target, everywhere masked', () => {
    const batch = task.sample(8, { seed: 5 });
    expect(Array.from(batch.mask.data).every((v) => v === 1)).toBe(true);
    let flips = 0;
    for (let b = 0; b < 8; b++) {
      let trialFlips = 0;
      for (let ch = 0; ch < 3; ch++) {
        const input = series(batch.inputs, b, ch);
        const target = series(batch.targets, b, ch);
        expect(input[0]).toBe(1);
        expect(input[2047]).toBe(0); // pulse starts lie in [1, T − 2]
        expect(input.every((v) => v === 0 || v === 1 || v === -1)).toBe(true);
        const pulses = input.filter((v) => v !== 0).length;
        expect(pulses).toBeGreaterThanOrEqual(15);
        expect(pulses).toBeLessThanOrEqual(21);
        let state = 0;
        input.forEach((v, t) => {
          if (v !== 0) {
            if (state !== 0 && v !== state) trialFlips += 1;
            state = v;
          }
          expect(target[t]).toBe(state);
        });
      }
      expect(batch.conditions.flips[b]).toBe(trialFlips);
      flips += trialFlips;
    }
    expect(flips).toBeGreaterThan(0);
  });

  it('scores the fraction of masked points whose output has the target sign', () => {
    const batch = tasks.flipflop({ duration: 500 }).sample(4, { seed: 1 });
    const { shape } = batch.targets;
    const t = (b: number, i: number, c: number) => at(batch.targets, b, i, c);
    const f = tasks.flipflop({ duration: 500 });
    expect(f.accuracy(build(shape as [number, number, number], (b, i, c) => 0.3 * t(b, i, c)), batch)).toBe(1);
    expect(f.accuracy(build(shape as [number, number, number], (b, i, c) => -t(b, i, c)), batch)).toBe(0);
    // Channel 0 wrong, others right.
    expect(f.accuracy(build(shape as [number, number, number], (b, i, c) => (c === 0 ? -1 : 1) * t(b, i, c)), batch)).toBeCloseTo(2 / 3, 12);
  });

  it('supports wider pulses, other channel counts, and refuses a duration too short for a pulse', () => {
    const wide = tasks.flipflop({ channels: 2, pulseDuration: 15, duration: 1000 });
    expect([wide.inputSize, wide.steps, wide.pulseBins, wide.pulsesPerSign]).toEqual([2, 200, 3, 1]);
    const s = series(wide.sample(1, { seed: 2 }).inputs, 0, 0);
    expect(s.slice(0, 3)).toEqual([1, 1, 1]);
    expect(() => tasks.flipflop({ duration: 10 })).toThrow(/flipflop: duration = 10 ms gives 2 bins at dt = 5 ms; it needs at least 3/);
  });
});

describe('angular-velocity integrator (pyrnn integrator)', () => {
  const task = tasks.angularIntegrator();

  it('defaults to 1 channel, 20 steps, speeds ±{0.1, 0.2, 0.3}, switch probability 0.05, noise 0.01', () => {
    expect(task.name).toBe('angular');
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([1, 1, 20]);
    expect(task.options.speeds).toEqual([-0.3, -0.2, -0.1, 0.1, 0.2, 0.3]);
    expect(task.options.switchProb).toBe(0.05);
    expect(task.options.noiseStd).toBe(0.01);
  });

  it('targets the wrapped cumulative angle / π of the clean speeds', () => {
    const batch = tasks.angular({ noiseStd: 0, duration: 2000 }).sample(50, { seed: 3 });
    expect(Array.from(batch.mask.data).every((v) => v === 1)).toBe(true);
    for (let b = 0; b < 50; b++) {
      const speeds = series(batch.inputs, b).map((v) => [-0.3, -0.2, -0.1, 0.1, 0.2, 0.3].find((s) => Math.fround(s) === v)!);
      expect(speeds.every((v) => v !== undefined)).toBe(true);
      let angle = 0;
      speeds.forEach((v, t) => {
        angle += v;
        const expected = Math.atan2(Math.sin(angle), Math.cos(angle)) / Math.PI;
        expect(headingDistance(at(batch.targets, b, t), expected)).toBeLessThan(1e-6);
      });
      expect(batch.conditions.speed[b]).toBe(speeds[0]);
    }
  });

  it('switches speed with probability 0.05 per bin (a redraw keeps the speed 1/6 of the time)', () => {
    const batch = tasks.angular({ duration: 2000 }).sample(400, { seed: 4 });
    const rate = mean(batch.conditions.switches) / 100;
    expect(Math.abs(rate - 0.05 * (5 / 6))).toBeLessThan(0.006);
  });

  it('gives constant-speed trials through trials({ speed }), with input noise of std 0.01', () => {
    const batch = task.trials({ speed: [0.3, -0.1] }, { repeats: 100, seed: 6 });
    expect(batch.conditions.switches.every((s) => s === 0)).toBe(true);
    const dev: number[] = [];
    for (let b = 0; b < 100; b++) for (let t = 0; t < 20; t++) dev.push(at(batch.inputs, b, t) - 0.3);
    expect(std(dev)).toBeGreaterThan(0.0093);
    expect(std(dev)).toBeLessThan(0.0107);
    // Bin 10: 11 steps of 0.3 rad = 3.3 rad, past π: wraps to 3.3 − 2π.
    expect(at(batch.targets, 0, 10)).toBeCloseTo((3.3 - 2 * Math.PI) / Math.PI, 6);
    expect(at(batch.targets, 100, 4)).toBeCloseTo(-0.5 / Math.PI, 6);
  });

  it('scores points within 0.1 of the target around the circle (−1 and +1 are one heading)', () => {
    expect(wrapHeading(Math.PI + 0.1)).toBeCloseTo(-1 + 0.1 / Math.PI, 12);
    expect(headingDistance(0.98, -0.99)).toBeCloseTo(0.03, 12);
    const batch = task.trials({ speed: 0.3 }, { drawNoise: false });
    const shape = batch.targets.shape as [number, number, number];
    const target = (b: number, t: number) => at(batch.targets, b, t);
    expect(task.accuracy(build(shape, (b, t) => target(b, t) + 0.05), batch)).toBe(1);
    expect(task.accuracy(build(shape, (b, t) => target(b, t) + 0.2), batch)).toBe(0);
    expect(task.accuracy(build(shape, (b, t) => (t < 5 ? target(b, t) - 2 : 0.5)), batch)).toBeCloseTo(
      series(batch.targets, 0).filter((v, t) => t < 5 || headingDistance(v, 0.5) <= 0.1).length / 20,
      12,
    );
  });
});

describe('1-D integration (partial-observation seed)', () => {
  const task = tasks.integration();

  it('has 100 bins, and its target is (dt/tau) times the running sum of the input', () => {
    expect([task.inputSize, task.outputSize, task.steps]).toEqual([1, 1, 100]);
    const batch = task.sample(20, { seed: 7 });
    expect(Array.from(batch.mask.data).every((v) => v === 1)).toBe(true);
    for (let b = 0; b < 20; b++) {
      let sum = 0;
      series(batch.inputs, b).forEach((u, t) => {
        sum += u;
        expect(at(batch.targets, b, t)).toBeCloseTo(0.2 * sum, 5);
      });
      expect(batch.conditions.final[b]).toBeCloseTo(0.2 * sum, 9);
    }
  });

  it('draws inputs of std 0.25 around the drift; the final target has std 0.2·0.25·√100 = 0.5', () => {
    const batch = task.sample(2000, { seed: 8 });
    expect(std(Array.from(batch.inputs.data))).toBeGreaterThan(0.245);
    expect(std(Array.from(batch.inputs.data))).toBeLessThan(0.255);
    expect(std(batch.conditions.final)).toBeGreaterThan(0.47);
    expect(std(batch.conditions.final)).toBeLessThan(0.53);
    const drifted = task.trials({ drift: 0.5 }, { repeats: 200, seed: 1 });
    expect(mean(Array.from(drifted.inputs.data))).toBeCloseTo(0.5, 2);
  });

  it('scores the fraction of points within 0.1 of the target', () => {
    const batch = task.sample(5, { seed: 9 });
    const shape = batch.targets.shape as [number, number, number];
    const target = (b: number, t: number) => at(batch.targets, b, t);
    expect(task.accuracy(build(shape, (b, t) => target(b, t) + 0.05), batch)).toBe(1);
    expect(task.accuracy(build(shape, (b, t) => target(b, t) - 0.15), batch)).toBe(0);
    expect(task.accuracy(build(shape, (b, t) => target(b, t) + (t < 30 ? 0 : 1)), batch)).toBeCloseTo(0.3, 12);
  });
});
