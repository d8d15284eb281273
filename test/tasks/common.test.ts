import { describe, expect, it } from 'vitest';
import { msToBins, tasks, type Task } from '../../ts/tasks/index.js';
import { build } from '../support/tasks.js';

const allTasks = (): Task[] => tasks.names.map((name) => tasks.byName(name));

describe('every task', () => {
  it('is listed in tasks.names, built by tasks.byName and reports its own name', () => {
    expect(tasks.names).toEqual(['dm', 'cdm', 'wm', 'dms', 'mdm', 'kback', 'flipflop', 'angular', 'integration', 'perception', 'decision']);
    for (const name of tasks.names) expect(tasks.byName(name).name).toBe(name);
    expect(tasks.byName('mante').name).toBe('cdm');
    expect(tasks.byName('romo', { preset: 'populations' }).steps).toBe(70);
    expect(() => tasks.byName('dmx')).toThrow(/tasks\.byName: unknown task 'dmx'; known tasks: dm, cdm, wm/);
  });

  it('returns float32 inputs [B,T,K], targets and mask [B,T,O], and one metadata entry per trial', () => {
    for (const task of allTasks()) {
      const batch = task.sample(3, { seed: 1 });
      expect(batch.inputs.data).toBeInstanceOf(Float32Array);
      expect(batch.targets.data).toBeInstanceOf(Float32Array);
      expect(batch.mask.data).toBeInstanceOf(Float32Array);
      expect(batch.inputs.shape).toEqual([3, task.steps, task.inputSize]);
      expect(batch.targets.shape).toEqual([3, task.steps, task.outputSize]);
      expect(batch.mask.shape).toEqual([3, task.steps, task.outputSize]);
      expect(Array.from(batch.mask.data).every((v) => v === 0 || v === 1)).toBe(true);
      expect(Array.from(batch.inputs.data).every(Number.isFinite)).toBe(true);
      for (const values of Object.values(batch.conditions)) expect(values.length).toBe(3);
      expect(Object.isFrozen(task.options)).toBe(true);
    }
  });

  it('is deterministic for a seed, differs across seeds, and advances its own stream without one', () => {
    for (const task of allTasks()) {
      const a = task.sample(4, { seed: 42 });
      const b = task.sample(4, { seed: 42 });
      expect(a.inputs.data).toEqual(b.inputs.data);
      expect(a.targets.data).toEqual(b.targets.data);
      expect(a.conditions).toEqual(b.conditions);
      expect(a.inputs.data).not.toEqual(task.sample(4, { seed: 43 }).inputs.data);
      const again = tasks.byName(task.name);
      const first = again.sample(4);
      expect(first.inputs.data).not.toEqual(again.sample(4).inputs.data);
      expect(tasks.byName(task.name).sample(4).inputs.data).toEqual(first.inputs.data); // the stream starts at options.seed
      expect(tasks.byName(task.name, { seed: 7 }).sample(4).inputs.data).not.toEqual(first.inputs.data);
    }
  });

  it('rejects a batch of 0, a bad seed and bad trials() options', () => {
    for (const task of allTasks()) {
      expect(() => task.sample(0)).toThrow(new RangeError(`${task.name}.sample: argument 'batch' must be a positive integer (the number of trials); got 0`));
      expect(() => task.sample(2.5)).toThrow(/argument 'batch' must be a positive integer/);
      expect(() => task.sample(1, { seed: -1 })).toThrow(/option 'seed' must be a non-negative safe integer; got -1/);
      expect(() => task.trials({}, { repeats: 0 })).toThrow(/trials: option 'repeats' must be an integer >= 1; got 0/);
    }
  });

  it('rejects negative durations, unknown options and non-object options, naming the task and option', () => {
    expect(() => tasks.dm({ fixation: -5 })).toThrow(new RangeError("dm: option 'fixation' must be a non-negative duration in ms; got -5"));
    expect(() => tasks.cdm({ stimulus: -1 })).toThrow(/cdm: option 'stimulus' must be a non-negative duration in ms; got -1/);
    expect(() => tasks.wm({ decision: Number.NaN })).toThrow(/wm: option 'decision' must be a non-negative duration in ms; got NaN/);
    expect(() => tasks.dms({ maxDelay: -3000 })).toThrow(/dms: option 'maxDelay' must be a non-negative duration/);
    expect(() => tasks.dm({ fixaton: 100 } as never)).toThrow(/dm: unknown option 'fixaton'; valid options: preset, dt, fixation/);
    expect(() => tasks.cdm(5 as never)).toThrow(new TypeError('cdm: options must be an object; got 5'));
    expect(() => tasks.dm({ dt: 0 })).toThrow(/dm: option 'dt' must be a positive time step in ms; got 0/);
    expect(() => tasks.dm({ coherences: [] })).toThrow(/dm: option 'coherences' must be a non-empty array of finite numbers/);
    expect(() => tasks.dm({ fractionCatch: 1.5 })).toThrow(/dm: option 'fractionCatch' must be a probability in \[0, 1\]; got 1\.5/);
    expect(() => tasks.dm({ noiseStd: -0.1 })).toThrow(/dm: option 'noiseStd' must be a finite number >= 0; got -0\.1/);
    expect(() => tasks.cdm({ selection: 'some' as never })).toThrow(/cdm: option 'selection' must be one of 'all', 'congruent', 'incongruent'; got 'some'/);
  });

  it('rejects a dt that leaves an epoch with zero bins', () => {
    expect(() => tasks.cdm({ dt: 50 })).toThrow(
      new RangeError('cdm: decision = 20 ms gives 0 bins at dt = 50 ms; it needs at least 1 (make it at least 50 ms or lower dt)'),
    );
    expect(() => tasks.dm({ preset: 'populations', dt: 25 })).toThrow(/dm: decision = 20 ms gives 0 bins at dt = 25 ms/);
    expect(() => tasks.integration({ dt: 3000 })).toThrow(/integration: duration = 2000 ms gives 0 bins/);
    // Epochs that may be empty (fixation, delay) accept zero bins.
    expect(tasks.dm({ fixation: 0, delay: 0 }).steps).toBe(55);
  });

  it('rejects an unknown preset and lists the known ones', () => {
    expect(() => tasks.dm({ preset: 'paper' as never })).toThrow(new RangeError("dm: unknown preset 'paper'; expected one of 'lint', 'populations'"));
    expect(() => tasks.mdm({ preset: 'x' as never })).toThrow(/mdm: unknown preset 'x'/);
    expect(() => tasks.wm({ preset: 3 as never })).toThrow(/wm: unknown preset 3/);
  });

  it('converts durations with floor(ms / dt), robust to binary fractions', () => {
    expect(msToBins(350, 20)).toBe(17);
    expect(msToBins(20, 20)).toBe(1);
    expect(msToBins(19.999, 20)).toBe(0);
    expect(msToBins(0.3, 0.1)).toBe(3);
    expect(tasks.cdm({ dt: 10 }).steps).toBe(10 + 35 + 80 + 10 + 2);
  });
});

describe('batch helpers', () => {
  it('selectTrials copies the chosen trials and their conditions, in order', () => {
    const batch = tasks.dm().trials({ coherence: [1, -2, 4] }, { seed: 1 });
    const picked = tasks.selectTrials(batch, [2, 0]);
    expect(picked.inputs.shape).toEqual([2, 75, 1]);
    expect(picked.conditions.coherence).toEqual([4, 1]);
    expect(picked.inputs.data.subarray(0, 75)).toEqual(batch.inputs.data.subarray(150, 225));
    expect(picked.targets.data.subarray(75)).toEqual(batch.targets.data.subarray(0, 75));
    expect(() => tasks.selectTrials(batch, [3])).toThrow(/selectTrials: indices\[0\] must be an integer in \[0, 3\); got 3/);
  });

  it('decisions() gives the sign of the masked mean output per trial', () => {
    const batch = tasks.dm().trials({ coherence: [1, 1, 1] }, { drawNoise: false });
    const out = build([3, 75, 1], (b, t) => (t < 60 ? 100 : [0.5, -0.5, 0][b]));
    expect(tasks.decisions(out, batch)).toEqual([1, -1, 0]);
  });

  it('psychometricCurve runs one batch and reports the fraction of positive choices per value', async () => {
    const task = tasks.dm();
    // A fake observer: sign of the summed stimulus input.
    const run = (x: { data: Float32Array; shape: number[] }) => {
      const [B, T] = x.shape;
      return build([B, T, 1], (b) => Math.sign(x.data.subarray(b * T, (b + 1) * T).reduce((s, v) => s + v, 0)));
    };
    const curve = await tasks.psychometricCurve(task, run, 'coherence', [-4, 4, 16], { seed: 1 });
    expect(curve.values).toEqual([-4, 4, 16]);
    expect(curve.fractionPositive).toEqual([0, 1, 1]);
    expect(curve.meanDecision).toEqual([-1, 1, 1]);
    const zero = await tasks.psychometricCurve(task, run, 'coherence', [0], { seed: 1, repeats: 400 });
    expect(Math.abs(zero.fractionPositive[0] - 0.5)).toBeLessThan(0.1);
  });
});

describe('task options in the one validation vocabulary', () => {
  it('rejects unknown sample() and trials() options, listing the valid ones', () => {
    const dm = tasks.dm();
    expect(() => dm.sample(2, { sed: 1 } as never)).toThrow(new RangeError("dm.sample: unknown option 'sed'; valid options: seed"));
    expect(() => dm.trials({ coherence: 1 }, { noise: false } as never)).toThrow(/dm\.trials: unknown option 'noise'; valid options: seed, drawNoise, repeats/);
    expect(() => dm.trials({ coherence: 1 }, { drawNoise: 0 } as never)).toThrow(new TypeError("dm.trials: option 'drawNoise' must be true or false; got 0"));
  });

  it('prints NaN and Infinity as such, and rejects unknown psychometric options', async () => {
    expect(() => tasks.dm({ scale: Number.POSITIVE_INFINITY })).toThrow(/dm: option 'scale' must be a finite number; got Infinity/);
    expect(() => tasks.dm({ noiseStd: Number.NaN })).toThrow(/got NaN$/);
    const run = (x: { shape: number[] }) => ({ data: new Float32Array(x.shape[0] * x.shape[1]), shape: [x.shape[0], x.shape[1], 1] });
    await expect(tasks.cdm().psychometric(run, { trials: 3 } as never)).rejects.toThrow(/cdm\.psychometric: unknown option 'trials'/);
    await expect(tasks.psychometricCurve(tasks.dm(), run, 'coherence', [1], { repeat: 2 } as never)).rejects.toThrow(/unknown option 'repeat'/);
  });
});
