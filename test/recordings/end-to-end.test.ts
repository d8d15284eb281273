// End to end: Poisson spikes from a known rank-1 network, written as an NWB file, read back, aligned and averaged per
// condition, turned into fit data with inputs from the condition column, and recovered by a rank-1 LINT fit that
// explains held-out conditions; the same spikes as a MATLAB file give the same condition averages.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { LowRankRNN, Random, lint, tasks, train } from '../../ts/index.js';
import { conditionInputs, prepareRecording, readRecording, recordingFitData, type PreparedRecording } from '../../ts/recordings/index.js';
import { makeTempDir } from '../support/io.js';
import { writeNwb, type NwbContent } from '../support/nwb.js';
import { pythonWith, runPython } from '../support/python.js';

const scipy = pythonWith(['scipy', 'numpy']);

/** Writes the recording as a MATLAB v5 file with scipy.io.savemat, in the layout of docs/recordings.md. */
const PY_SAVEMAT = `
import json, sys
import numpy as np, scipy.io
c = json.load(open(sys.argv[1]))
spikes = np.empty((len(c['units']['spikeTimes']), 1), dtype=object)
for i, s in enumerate(c['units']['spikeTimes']):
    spikes[i, 0] = np.array(s, dtype=float).reshape(-1, 1)
location = np.empty((len(c['units']['ids']), 1), dtype=object)
for i, s in enumerate(c['units']['columns']['location']):
    location[i, 0] = s
units = {'spike_times': spikes, 'id': np.array(c['units']['ids'], dtype=float).reshape(-1, 1), 'location': location}
trials = {'start_time': np.array(c['trials']['start'], dtype=float), 'stop_time': np.array(c['trials']['stop'], dtype=float),
          'coherence': np.array(c['trials']['columns']['coherence'], dtype=float)}
scipy.io.savemat(sys.argv[2], {'units': units, 'trials': trials}, do_compression=True)
`;

const N = 60;
const REPS = 30;
const BIN = 20; // ms, the task's dt
const COHERENCES = [-16, -8, -4, -2, -1, 1, 2, 4, 8, 16];
const TRIAL_SPACING = 3; // s between trial starts

function poisson(rng: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.uniform(); p > limit; p *= rng.uniform()) k += 1;
  return k;
}

/** A rank-1 teacher trained on DM, its noise-free rates in Hz per condition [C, T, N], spikes and the task inputs. */
async function recordingOfTeacher() {
  const task = tasks.dm();
  const teacher = new LowRankRNN({ size: N, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 1 });
  await train(teacher, task, { epochs: 20, lr: 5e-3, seed: 1 });
  const batch = task.trials({ coherence: COHERENCES }, { drawNoise: false });
  const C = COHERENCES.length;
  const T = batch.inputs.shape[1];
  const sim = await teacher.simulate(batch.inputs, { drawNoise: false });
  teacher.dispose();
  const truth = new Float64Array(C * T * N);
  for (let c = 0; c < C; c++)
    for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) truth[(c * T + t) * N + i] = 20 * (1 + Math.tanh(sim.states!.data[(c * (T + 1) + t + 1) * N + i]));
  const rng = new Random(3);
  const spikeTimes: number[][] = Array.from({ length: N }, () => []);
  const start: number[] = [];
  const coherence: number[] = [];
  for (let r = 0; r < REPS; r++)
    for (let c = 0; c < C; c++) {
      const t0 = start.length * TRIAL_SPACING;
      start.push(t0);
      coherence.push(COHERENCES[c]);
      for (let t = 0; t < T; t++)
        for (let i = 0; i < N; i++) {
          const k = poisson(rng, (truth[(c * T + t) * N + i] * BIN) / 1000);
          for (let s = 0; s < k; s++) spikeTimes[i].push(t0 + (t * BIN + rng.uniform() * BIN) / 1000);
        }
    }
  for (const s of spikeTimes) s.sort((a, b) => a - b);
  const content: NwbContent = {
    units: { ids: spikeTimes.map((_, i) => 100 + i), spikeTimes, columns: { location: spikeTimes.map((_, i) => (i < N - 2 ? 'PFC' : 'FEF')) } },
    trials: { start, stop: start.map((s) => s + (T * BIN) / 1000), columns: { coherence } },
  };
  return { truth, T, C, inputs: batch.inputs, content };
}

describe('a recording through preprocessing to a LINT fit', () => {
  let data: Awaited<ReturnType<typeof recordingOfTeacher>>;
  let prepared: PreparedRecording;
  let dir: string;
  const options = () => ({
    conditions: ['coherence'],
    align: 'start_time',
    window: [0, data.T * BIN] as [number, number],
    binMs: BIN,
    smoothMs: 40,
    units: { column: 'location', values: ['PFC'] },
  });
  beforeAll(async () => {
    data = await recordingOfTeacher();
    dir = (await makeTempDir()).dir;
    const path = join(dir, 'teacher.nwb');
    await writeNwb(path, data.content);
    prepared = prepareRecording(await readRecording(path, 'nwb'), options());
  }, 300_000);

  test('the condition averages of the NWB file match the teacher rates', () => {
    expect(prepared.conditions.coherence).toEqual(COHERENCES);
    expect(prepared.trialsPerCondition).toEqual(COHERENCES.map(() => REPS));
    expect(prepared.units).toEqual(Array.from({ length: N - 2 }, (_, i) => 100 + i));
    expect(prepared.dropped.units.map((d) => d.why)).toEqual(['location = FEF', 'location = FEF']);
    const kept = new Float64Array(data.C * data.T * (N - 2));
    for (let r = 0; r < data.C * data.T; r++) for (let i = 0; i < N - 2; i++) kept[r * (N - 2) + i] = data.truth[r * N + i];
    expect(lint.trajectoryR2({ data: kept, shape: [data.C, data.T, N - 2] }, prepared.rates).global).toBeGreaterThan(0.9);
  });

  test('inputs from the coherence column equal the task inputs, and a rank-1 fit explains held-out conditions', async () => {
    const inputs = conditionInputs(prepared, { columns: ['coherence'], during: [100, 900], scale: 3.2 / 100 });
    expect(Array.from(inputs.data)).toEqual(Array.from(data.inputs.data));
    const fitData = await recordingFitData(prepared, inputs, { pca: 5, prePeriod: 3 });
    expect(fitData.explained).toBeGreaterThan(0.9);
    const fit = await lint.fit(fitData.targets, fitData.inputs, { on: 'states', mask: fitData.mask, rank: 1, epochs: 300, batchSize: 4, heldOut: [2, 7], seed: 1 });
    expect(fit.heldOut!.r2.global).toBeGreaterThan(0.9);
    fit.model.dispose();
  }, 300_000);

  test.skipIf(!scipy.available)(`the same spikes in a MATLAB v5 file (scipy.io.savemat) give the same condition averages (${scipy.reason})`, async () => {
    const json = join(dir, 'content.json');
    writeFileSync(json, JSON.stringify(data.content));
    const mat = join(dir, 'teacher.mat');
    runPython(PY_SAVEMAT, [json, mat]);
    const fromMat = prepareRecording(await readRecording(mat, 'mat'), options());
    expect(fromMat.conditions).toEqual(prepared.conditions);
    expect(fromMat.units).toEqual(prepared.units);
    expect(fromMat.trialsPerCondition).toEqual(prepared.trialsPerCondition);
    expect(Array.from(fromMat.rates.data)).toEqual(Array.from(prepared.rates.data));
  });
});
