// lint.fit and the teacher-student pipeline: recovery of a known low-rank teacher (R², accuracy, ECC), a full-rank
// teacher fitted far better than its own SVD truncation, the minimal rank of a rank-2 teacher, held-out trials, the
// teacher readout, truncations and latent variables against closed forms.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, Random, analysis, lint, loadModel, svd, tasks, train, type Tensor } from '../../ts/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STREAMS, streamSeed } from '../../ts/core/random.js';
import { loadResult } from '../../ts/results/format.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-lint-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** A rank-2 net whose latent dynamics rotate (n = A m + noise), driven by brief pulses on two channels. */
function rotatingTeacher(N: number, B: number, T: number) {
  const rng = new Random(5);
  const m = new Float64Array(N * 2);
  rng.fillNormal(m);
  const n = new Float64Array(N * 2);
  const c = 1.6 * Math.cos(0.6);
  const s = 1.6 * Math.sin(0.6);
  for (let i = 0; i < N; i++) {
    n[i * 2] = c * m[i * 2] - s * m[i * 2 + 1] + 0.3 * rng.normal();
    n[i * 2 + 1] = s * m[i * 2] + c * m[i * 2 + 1] + 0.3 * rng.normal();
  }
  const teacher = new LowRankRNN({ size: N, rank: 2, inputs: 2, outputs: 1, seed: 2, init: { m: { data: m, shape: [N, 2] }, n: { data: n, shape: [N, 2] } } });
  const u = new Float32Array(B * T * 2);
  for (let b = 0; b < B; b++) {
    const amp = rng.normal();
    for (let t = 2; t < 8; t++) u[(b * T + t) * 2 + (b % 2)] = amp;
  }
  return { teacher, inputs: { data: u, shape: [B, T, 2] } as Tensor };
}

describe('teacher-student recovery (the LINT validation, reduced)', () => {
  let dmTeacher: LowRankRNN;
  beforeAll(async () => {
    dmTeacher = new LowRankRNN({ size: 100, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 1 });
    await train(dmTeacher, tasks.dm(), { epochs: 20, lr: 5e-3, seed: 1 });
  });

  test('a rank-1 DM teacher is recovered: R² > 0.93, accuracy with its readout, ECC > 0.95 while CC stays lower', async () => {
    const task = tasks.dm();
    const r = await lint.fitTeacher(dmTeacher, { task, trials: 400, rank: 1, epochs: 150, seed: 3 });
    expect(r.teacherAccuracy).toBeGreaterThan(0.95);
    expect(r.r2.global).toBeGreaterThan(0.93);
    expect(r.accuracy).toBeGreaterThan(0.95);
    expect(r.ecc!).toBeGreaterThan(0.95);
    expect(r.cc!).toBeLessThan(r.ecc!);
    // the fit is a model file with its scores
    const path = join(dir, 'dm-fit.npz');
    await lint.saveFit(path, r);
    const back = await loadModel(path);
    expect(maxAbsDiff(back.param('m').data, r.fit.model.param('m').data)).toBe(0);
    // ... whose scores are in the one metadata entry, 'meta', and whose per-neuron arrays have dotted names
    const { meta, arrays } = await loadResult(path, 'fit');
    expect(meta).toMatchObject({ kind: 'fit', on: 'rates', rank: 1, teacher: { r2: { global: r.r2.global }, accuracy: r.accuracy } });
    expect(meta!.training).toMatchObject({ epochs: 150, bestLoss: r.fit.training.bestLoss });
    expect(Array.from(arrays['teacher.r2.perNeuron'].data as Float64Array)).toEqual(Array.from(r.r2.perNeuron));
    expect(arrays['fittedTrials'].data).toHaveLength(320);
    expect(arrays.config).toBeDefined();
    expect(arrays.lint).toBeUndefined();
    r.fit.model.dispose();
  });

  test('a full-rank CDM teacher: the rank-1 fit is far above the rank-1 SVD truncation, on R² and accuracy', async () => {
    const cdm = tasks.cdm();
    const teacher = new FullRankRNN({ size: 100, inputs: 4, outputs: 1, noise: 0.05, seed: 1, train: { wi: true, wo: true } });
    await train(teacher, cdm, { epochs: 20, lr: 1e-3, seed: 1, trials: 500 });
    const fitted = await lint.fitTeacher(teacher, { task: cdm, trials: 400, rank: 1, epochs: 150, seed: 3 });
    const [cut] = await lint.truncationBaseline(teacher, { task: cdm, trials: 400, ranks: [1], seed: 3 });
    expect(fitted.teacherAccuracy).toBeGreaterThan(0.95);
    expect(fitted.r2.global).toBeGreaterThan(0.7);
    expect(cut.r2.global).toBeLessThan(0.3);
    expect(fitted.r2.global - cut.r2.global).toBeGreaterThan(0.4);
    expect(fitted.accuracy!).toBeGreaterThan(cut.accuracy! + 0.1);
    expect(fitted.ecc).toBeUndefined(); // a full-rank teacher has no effective connectivity
    fitted.fit.model.dispose();
  });

  test('the subsampling experiment runs each fraction and draw on the right neurons', async () => {
    const rows: lint.SubsamplingRow[] = [];
    const out = await lint.subsampling(dmTeacher, {
      task: tasks.dm(),
      trials: 200,
      fractions: [1, 0.1],
      draws: 2,
      lowRankFit: { epochs: 20 },
      fullRankFit: { epochs: 5 },
      seed: 4,
      onProgress: (e) => rows.push(e.row),
    });
    expect(out.map((r) => [r.fraction, r.neurons.length])).toEqual([[1, 100], [0.1, 10], [0.1, 10]]);
    expect(rows).toEqual(out);
    expect(out[1].neurons).not.toEqual(out[2].neurons);
    for (const r of out) {
      expect(new Set(r.neurons).size).toBe(r.neurons.length);
      expect(Number.isFinite(r.lowRank.r2) && Number.isFinite(r.fullRank!.r2)).toBe(true);
      expect(r.lowRank.accuracy).toBeGreaterThanOrEqual(0);
    }
    expect(out[0].lowRank.r2).toBeGreaterThan(0.4);
  });
});

describe('rank sweep', () => {
  test('a rotating rank-2 teacher needs rank 2: rank 1 falls short, rank 2 and 3 reach R² > 0.99 on held-out trials', async () => {
    const { teacher, inputs } = rotatingTeacher(80, 64, 40);
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const sweep = await lint.rankSweep(targets, inputs, { ranks: [1, 2, 3], epochs: 300, batchSize: 8, heldOut: 0.25, seed: 1, fraction: 0.98 });
    const [r1, r2, r3] = sweep.rows;
    expect(r1.r2).toBeLessThan(0.8);
    expect(r2.r2).toBeGreaterThan(0.99);
    expect(r3.r2).toBeGreaterThan(0.99);
    expect(sweep.minimalRank).toBe(2);
    expect((r2.result as lint.LintFit).heldOut!.trials).toHaveLength(16);
  });

  test('minimalRank: the smallest rank within the fraction of the best', () => {
    const rows = [1, 2, 3, 4].map((rank, i) => ({ rank, r2: [0.5, 0.9, 0.97, 0.96][i] }));
    expect(lint.minimalRank(rows, 0.9)).toEqual({ best: 0.97, rank: 2 });
    expect(lint.minimalRank(rows, 0.95)).toEqual({ best: 0.97, rank: 3 });
    expect(lint.minimalRank(rows, 1)).toEqual({ best: 0.97, rank: 3 });
    expect(lint.minimalRank([{ rank: 1, r2: -0.2 }], 0.9).rank).toBeUndefined();
  });
});

describe('lint.fit', () => {
  const { teacher, inputs } = rotatingTeacher(30, 12, 20);

  test('targets are the states (or rates) after each input step, as simulate gives them', async () => {
    const sim = await teacher.simulate(inputs, { drawNoise: false, rates: true });
    const rates = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const states = await lint.trajectories(teacher, inputs, { drawNoise: false, on: 'states', includeInitial: true });
    expect(states.data).toEqual(sim.states!.data);
    const N = 30;
    const T = 20;
    for (const b of [0, 7])
      for (const t of [0, 5, 19])
        for (const i of [0, 29]) expect(rates.data[(b * T + t) * N + i]).toBe(sim.rates!.data[(b * (T + 1) + t + 1) * N + i]);
  });

  test('held-out trials are kept out of the fit and scored; the mask restricts loss and score', async () => {
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const mask = new Float32Array(12 * 20).fill(1);
    for (let b = 0; b < 12; b++) mask.fill(0, b * 20, b * 20 + 5);
    const r = await lint.fit(targets, inputs, { rank: 2, epochs: 3, heldOut: [1, 4], mask: { data: mask, shape: [12, 20] } });
    expect(r.heldOut!.trials).toEqual([1, 4]);
    expect(r.fitted).toEqual([0, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.training.epochs).toHaveLength(3);
    // the held-out score is the masked R² of the student's noise-free run on trials 1 and 4, computed here directly
    const pick = (t: Tensor, width: number): Tensor => {
      const out = new Float32Array(2 * 20 * width);
      [1, 4].forEach((trial, k) => out.set(t.data.subarray(trial * 20 * width, (trial + 1) * 20 * width), k * 20 * width));
      return { data: out, shape: [2, 20, width] };
    };
    const heldMask: Tensor = { data: Float32Array.from([...mask.slice(20, 40), ...mask.slice(80, 100)]), shape: [2, 20] };
    const student = await lint.trajectories(r.model, pick(inputs, 2), { drawNoise: false });
    expect(r.heldOut!.r2.global).toBeCloseTo(lint.trajectoryR2(pick(targets, 30), student, { mask: heldMask }).global, 10);
    r.model.dispose();
  });

  test('a low-rank init is folded in (its si scales wi), and the student trains m, n, wi only', async () => {
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const init = new LowRankRNN({ size: 30, rank: 2, inputs: 2, seed: 8, init: { si: Float32Array.from([2, 3]) } });
    const r = await lint.fit(targets, inputs, { rank: 2, epochs: 1, lr: 1e-12, init });
    const wi0 = init.param('wi').data;
    const wi1 = r.model.param('wi').data;
    for (const k of [0, 1]) for (const i of [0, 17]) expect(wi1[k * 30 + i]).toBeCloseTo(wi0[k * 30 + i] * (k ? 3 : 2), 4);
    expect(r.model.config.train).toMatchObject({ m: true, n: true, wi: true, si: false, h0: false });
    expect(r.model.outputSize).toBe(0);
  });

  test('an aborted fit rejects with an AbortError that carries the student and its best parameters', async () => {
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const controller = new AbortController();
    const err = await lint
      .fit(targets, inputs, { rank: 2, epochs: 50, signal: controller.signal, onProgress: (e) => e.epoch === 2 && controller.abort() })
      .catch((e: Error & { model?: LowRankRNN; result?: { epochs: unknown[] } }) => e);
    expect((err as Error).name).toBe('AbortError');
    const { model, result } = err as Error & { model: LowRankRNN; result: { epochs: unknown[] } };
    expect(model.rank).toBe(2);
    expect(result.epochs.length).toBeLessThan(50);
    model.dispose();
  });

  test('bad arguments are named', async () => {
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    await expect(lint.fit(targets, { data: new Float32Array(12 * 19 * 2), shape: [12, 19, 2] })).rejects.toThrow(/inputs must have shape \[12, 20, K\]/);
    await expect(lint.fit(targets, inputs, { heldOut: 1.5 })).rejects.toThrow(
      "lint.fit: option 'heldOut' must be a finite number in (0, 1) or a non-empty array of trial indices in [0, 11]; got 1.5",
    );
    await expect(lint.fit(targets, inputs, { heldOut: [3, 3] })).rejects.toThrow("lint.fit: option 'heldOut' must be a list of distinct trial indices; got [3, 3]");
    await expect(lint.fit(targets, inputs, { heldOut: [0, 12] })).rejects.toThrow(/option 'heldOut' .* indices in \[0, 11\]; got \[0, 12\]/);
    await expect(lint.fit(targets, inputs, { rank: 0 })).rejects.toThrow("lint.fit: option 'rank' must be an integer in [1, 30] or 'full'; got 0");
    await expect(lint.fit(targets, inputs, { rank: 31 })).rejects.toThrow(RangeError);
    await expect(lint.fit(targets, inputs, { on: 'outputs' as 'rates' })).rejects.toThrow("lint.fit: option 'on' must be one of 'rates', 'states'; got 'outputs'");
    await expect(lint.fit(targets, inputs, { lr: NaN })).rejects.toThrow("lint.fit: option 'lr' must be a finite number > 0; got NaN");
    await expect(lint.fit(targets, inputs, { mask: { data: new Float32Array(3), shape: [3] } })).rejects.toThrow(/mask must have shape/);
    await expect(lint.fitTeacher(teacher, {})).rejects.toThrow(/needs a task/);
  });

  test('unknown option keys are rejected with the valid names listed', async () => {
    const targets = await lint.trajectories(teacher, inputs, { drawNoise: false });
    const misspelt = { epoch: 3 } as unknown as lint.LintFitOptions;
    await expect(lint.fit(targets, inputs, misspelt)).rejects.toThrow(/^lint\.fit: unknown option 'epoch'; valid options: .*\bepochs\b/);
    // the teacher's held-out share is `heldOut` (formerly `validation`)
    const old = { task: tasks.dm(), validation: 0.2 } as unknown as lint.FitTeacherOptions;
    await expect(lint.fitTeacher(teacher, old)).rejects.toThrow(/lint\.fitTeacher: unknown option 'validation'; valid options: .*\bheldOut\b/);
    await expect(lint.trajectories(teacher, inputs, { noise: false } as unknown as lint.TrajectoryOptions)).rejects.toThrow(/unknown option 'noise'; valid options: .*drawNoise/);
    await expect(lint.rankSweep(targets, inputs, { onRank: () => {} } as unknown as lint.RankSweepFitOptions)).rejects.toThrow(/unknown option 'onRank'/);
    await expect(lint.rankSweep(targets, inputs, { ranks: [] })).rejects.toThrow("lint.rankSweep: option 'ranks' must be a non-empty array of integers >= 1; got []");
    expect(() => lint.teacherTrials(tasks.dm(), { validation: 0.1 } as unknown as lint.TeacherTrialsOptions)).toThrow(/unknown option 'validation'/);
    await expect(lint.subsampling(teacher, { task: tasks.dm(), onRow: () => {} } as unknown as lint.SubsamplingOptions)).rejects.toThrow(/unknown option 'onRow'/);
    await expect(lint.cdmDemo({ onStage: () => {} } as unknown as lint.DemoOptions)).rejects.toThrow(/lint\.cdmDemo: unknown option 'onStage'/);
  });
});

describe('teacher readout and truncations', () => {
  test("a student with the teacher's readout reproduces the teacher's outputs when it has the teacher's weights", async () => {
    const task = tasks.cdm();
    const batch = task.sample(6, { seed: 2 });
    const full = new FullRankRNN({ size: 24, inputs: 4, outputs: 1, seed: 3, dtype: 'float64', init: { so: Float64Array.from([1.7]) } });
    const p = full.params();
    const copy = new FullRankRNN({ size: 24, inputs: 4, outputs: 0, dtype: 'float64', init: { wrec: p.wrec, wi: p.wi } });
    const withReadout = lint.withTeacherReadout(copy, full);
    const a = await full.simulate(batch.inputs, { drawNoise: false });
    const b = await withReadout.simulate(batch.inputs, { drawNoise: false });
    expect(maxAbsDiff(a.outputs!.data, b.outputs!.data)).toBeLessThan(1e-12);
    // a low-rank student of a full-rank teacher with W = m n^T / N
    const low = new LowRankRNN({ size: 24, rank: 2, inputs: 4, outputs: 1, seed: 4, dtype: 'float64' });
    const q = low.params();
    const W = new Float64Array(24 * 24);
    for (let i = 0; i < 24; i++) for (let j = 0; j < 24; j++) W[i * 24 + j] = (q.m.data[i * 2] * q.n.data[j * 2] + q.m.data[i * 2 + 1] * q.n.data[j * 2 + 1]) / 24;
    const teacher = new FullRankRNN({ size: 24, inputs: 4, outputs: 1, seed: 5, dtype: 'float64', init: { wrec: W, wi: q.wi } });
    const lowOut = await lint.withTeacherReadout(low, teacher).simulate(batch.inputs, { drawNoise: false });
    const teacherOut = await teacher.simulate(batch.inputs, { drawNoise: false });
    expect(maxAbsDiff(lowOut.outputs!.data, teacherOut.outputs!.data)).toBeLessThan(1e-12);
    // a subset: the readout restricted to those neurons
    expect(() => lint.withTeacherReadout(copy, full, [0, 1])).toThrow(/24 units but 2 teacher neurons/);
  });

  test('SVD truncation: full rank reproduces the teacher; the change truncation has the requested rank', async () => {
    const N = 16;
    const initial = new FullRankRNN({ size: N, inputs: 2, outputs: 1, seed: 6, dtype: 'float64' });
    const trained = new FullRankRNN({ size: N, inputs: 2, outputs: 1, seed: 7, dtype: 'float64', init: { so: Float64Array.from([2]) } });
    const u: Tensor = { data: new Float64Array(3 * 10 * 2).map((_, i) => Math.sin(i)), shape: [3, 10, 2] };
    const whole = await lint.svdTruncation(trained, N);
    expect(maxAbsDiff((await whole.simulate(u, { drawNoise: false })).outputs!.data, (await trained.simulate(u, { drawNoise: false })).outputs!.data)).toBeLessThan(1e-10);
    const cut = await lint.svdTruncation(trained, 2, { of: 'change', initial });
    const delta = new Float64Array(N * N);
    const w = cut.param('wrec').data;
    const w0 = initial.param('wrec').data;
    for (let i = 0; i < N * N; i++) delta[i] = w[i] - w0[i];
    const { s } = await svd(delta, N, N, N);
    expect(s[1]).toBeGreaterThan(1e-3);
    expect(s[2] / s[0]).toBeLessThan(1e-10);
    await expect(lint.svdTruncation(trained, 2, { of: 'change' })).rejects.toThrow(/option 'initial' must be the untrained teacher or its wrec \[N, N\] when of is 'change'; got undefined/);
    await expect(lint.svdTruncation(trained, N + 1)).rejects.toThrow("lint.svdTruncation: option 'rank' must be an integer in [1, 16]; got 17");
  });
});

describe('derived networks keep every option; fits and baselines share their seed streams', () => {
  test("svdTruncation of the change keeps the teacher's train flags, Dale signs and mask (model.with)", async () => {
    const N = 20;
    const mask = new Uint8Array(N * N).fill(1);
    mask[3] = 0;
    const opts = { size: N, inputs: 2, outputs: 1, dtype: 'float64' as const, dale: { excitatory: 0.8 }, mask, train: { wi: true, wo: true }, noise: 0.1 };
    const initial = new FullRankRNN({ ...opts, seed: 1 });
    const trained = new FullRankRNN({ ...opts, seed: 2, alpha: 0.1 });
    const cut = (await lint.svdTruncation(trained, 3, { of: 'change', initial })) as FullRankRNN;
    expect(cut.config.train).toEqual(trained.config.train);
    expect(cut.config.daleSigns).toEqual(trained.config.daleSigns);
    expect(cut.config.daleSigns).toHaveLength(N);
    expect(Array.from(cut.connectivityMask!)).toEqual(Array.from(mask));
    expect(cut.config.alpha).toBe(0.1);
    expect(cut.config.noise).toBe(0); // truncations run without noise unless asked
    expect(cut.dtype).toBe('float64');
    expect((await lint.svdTruncation(trained, 3, { of: 'change', initial, noise: 0.2 })).config.noise).toBe(0.2);
  });

  test("withTeacherReadout keeps the student's options and parameters, changing only the readout", () => {
    const student = new LowRankRNN({ size: 12, rank: 2, inputs: 2, outputs: 0, alpha: 0.3, train: { wi: true }, dtype: 'float64', seed: 1 });
    const teacher = new FullRankRNN({ size: 12, inputs: 2, outputs: 3, outputActivation: 'linear', seed: 2 });
    const copy = lint.withTeacherReadout(student, teacher) as LowRankRNN;
    expect(copy.config).toMatchObject({ alpha: 0.3, rank: 2, outputs: 3, outputActivation: 'linear' });
    expect(copy.config.train.wi).toBe(true);
    expect(copy.config.train.si).toBe(false);
    expect(copy.dtype).toBe('float64');
    expect(copy.param('m').data).toEqual(student.param('m').data);
    expect(Array.from(copy.param('so').data)).toEqual([1, 1, 1]);
  });

  test('the fit and its truncation baseline are scored against the same run of the teacher (stream teacherComparison)', async () => {
    const cdm = tasks.cdm();
    const teacher = new FullRankRNN({ size: 24, inputs: 4, outputs: 1, noise: 0.1, seed: 3, dtype: 'float64' });
    const seed = 5;
    // a noise-free student, so that each score depends on the teacher's run alone
    const r = await lint.fitTeacher(teacher, { task: cdm, trials: 20, rank: 1, epochs: 1, noise: 0, seed, dtype: 'float64' });
    const [cut] = await lint.truncationBaseline(teacher, { task: cdm, trials: 20, ranks: [2], seed });
    const { heldOut } = lint.teacherTrials(cdm, { trials: 20, seed });
    const teacherRun = await lint.trajectories(teacher, heldOut.inputs, { seed: streamSeed(seed, STREAMS.teacherComparison), includeInitial: true });
    const quiet = { drawNoise: false, includeInitial: true };
    expect(r.r2.global).toBeCloseTo(lint.trajectoryR2(teacherRun, await lint.trajectories(r.fit.model, heldOut.inputs, quiet)).global, 6);
    const truncated = await lint.svdTruncation(teacher, 2);
    expect(cut.r2.global).toBeCloseTo(lint.trajectoryR2(teacherRun, await lint.trajectories(truncated, heldOut.inputs, quiet)).global, 6);
    // and the teacher's run is a noisy one: another seed gives another score
    const [other] = await lint.truncationBaseline(teacher, { task: cdm, trials: 20, ranks: [2], seed: seed + 1 });
    expect(other.r2.global).not.toBe(cut.r2.global);
    r.fit.model.dispose();
  });
});

describe('latent variables', () => {
  test('analysis.projectOnLatent: x = m kappa + I v exactly for a noise-free net from x_0 = 0, and kappa, v follow the latent equations', async () => {
    const N = 40;
    const T = 15;
    const alpha = 0.2;
    const model = new LowRankRNN({ size: N, rank: 2, inputs: 2, outputs: 0, seed: 9, dtype: 'float64', init: { si: Float64Array.from([0.5, 2]) } });
    const u: Tensor = { data: new Float64Array(2 * T * 2).map((_, i) => Math.cos(0.7 * i)), shape: [2, T, 2] };
    const sim = await model.simulate(u, { drawNoise: false, rates: true });
    const { kappa, inputs, residual } = await analysis.projectOnLatent(model, sim.states!);
    const v = inputs!;
    expect(Math.max(...residual!.data)).toBeLessThan(1e-10);
    const n = model.param('n').data;
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < T; t++) {
        const row = b * (T + 1) + t;
        for (let r = 0; r < 2; r++) {
          let overlap = 0;
          for (let i = 0; i < N; i++) overlap += n[i * 2 + r] * sim.rates!.data[row * N + i];
          const expected = (1 - alpha) * kappa.data[row * 2 + r] + (alpha * overlap) / N;
          expect(kappa.data[(row + 1) * 2 + r]).toBeCloseTo(expected, 10);
          const vExpected = (1 - alpha) * v.data[row * 2 + r] + alpha * u.data[(b * T + t) * 2 + r];
          expect(v.data[(row + 1) * 2 + r]).toBeCloseTo(vExpected, 10);
        }
      }
    const axes = lint.latentAxes(model);
    expect(axes.vectors.shape).toEqual([N, 4]);
    const proj = lint.projectTrajectories(sim.states!, axes.orthonormal);
    expect(proj.shape).toEqual([2, T + 1, 4]);
  });
});
