// `lowrank recordings inspect FILE` and `lowrank fit --nwb FILE ...`, run as a user would (needs `npm run build:ts`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Random, loadModel } from '../../ts/index.js';
import { makeTempDir } from '../support/io.js';
import { writeNwb } from '../support/nwb.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe.skipIf(!existsSync(cli))('lowrank recordings inspect / fit --nwb (dist/cli.js)', () => {
  let dir: string;
  let nwb: string;
  beforeAll(async () => {
    dir = (await makeTempDir()).dir;
    nwb = join(dir, 'small.nwb');
    // 6 units, 12 trials of 1 s in two conditions; units 0-4 fire more for coherence 1 in the second half of the trial.
    const rng = new Random(5);
    const start = Array.from({ length: 12 }, (_, t) => 2 * t);
    const coherence = start.map((_, t) => (t % 2 === 0 ? -1 : 1));
    const spikeTimes = Array.from({ length: 6 }, (_, u) => {
      const s: number[] = [];
      start.forEach((t0, t) => {
        for (let k = 0; k < 50; k++) {
          const x = rng.uniform();
          if (u < 5 && (x > 0.5 || coherence[t] > 0 || rng.uniform() < 0.5)) s.push(t0 + x);
        }
      });
      return s.sort((a, b) => a - b);
    });
    await writeNwb(nwb, {
      units: { ids: [1, 2, 3, 4, 5, 6], spikeTimes, columns: { location: ['PFC', 'PFC', 'PFC', 'PFC', 'PFC', 'V1'] } },
      trials: { start, stop: start.map((s) => s + 1), columns: { coherence, go: start.map((s) => s + 0.1) } },
      // 3 channels at 100 Hz over the session: channel k follows coherence * (k + 1) after the go cue, plus a ramp
      dff: (() => {
        const timestamps = Array.from({ length: 2400 }, (_, i) => i / 100);
        const data = timestamps.flatMap((t) => {
          const k = Math.floor(t / 2);
          const on = t - (start[k] + 0.1) >= 0 && t - start[k] < 1 ? coherence[k] : 0;
          return [0, 1, 2].map((c) => on * (c + 1) + 0.01 * (t % 2));
        });
        return { data, channels: 3, timestamps };
      })(),
    });
  });

  test('inspect lists the tables, their sizes and columns', () => {
    const r = run('recordings', 'inspect', nwb);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NWB 2\.7\.0/);
    expect(r.stdout).toMatch(/units: 6 units, \d+ spikes/);
    expect(r.stdout).toMatch(/trials: 12 trials/);
    expect(r.stdout).toMatch(/columns: .*coherence.*go/);
    const missing = run('recordings', 'inspect', join(dir, 'nope.nwb'));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.nwb/);
  });

  test('fit --nwb prints what was kept and dropped, fits, and saves a loadable fit', async () => {
    const out = join(dir, 'fit.npz');
    const r = run('fit', '--nwb', nwb, '--conditions', 'coherence', '--align', 'go', '--window', '0,800', '--bin', '50', '--smooth', '50',
      '--units', 'location=PFC', '--input-window', '0,400', '--ranks', '1', '--epochs', '20', '--json', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const summary = lines.find((l) => l.type === 'recording');
    expect(summary.kept).toEqual({ units: 5, conditions: 2, bins: 16, trials: 12 });
    expect(summary.dropped.units).toEqual([{ id: 6, why: 'location = V1' }]);
    expect(summary.conditions).toEqual({ coherence: [-1, 1] });
    expect(lines.find((l) => l.type === 'result').on).toBe('states');
    const model = await loadModel(join(dir, 'fit-rank1.npz'));
    expect(model.size).toBe(5);
  });

  test('missing or wrong recording options are named', () => {
    const noWindow = run('fit', '--nwb', nwb, '--conditions', 'coherence', '--align', 'go', '--bin', '50');
    expect(noWindow.status).not.toBe(0);
    expect(noWindow.stderr).toMatch(/a fit of a recording needs --window/);
    const unknown = run('fit', '--nwb', nwb, '--conditions', 'coh', '--align', 'go', '--window', '0,800', '--bin', '50');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/has no trial column 'coh'; its trial columns: start_time, stop_time, coherence, go/);
    const both = run('fit', '--nwb', nwb, '--teacher', 'x.npz');
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/give one of --teacher/);
  });

  test('fit --nwb --series fits the condition averages of a sampled signal', () => {
    const r = run('fit', '--nwb', nwb, '--series', 'RoiResponseSeries', '--conditions', 'coherence', '--align', 'go', '--window', '-100,800', '--bin', '50',
      '--input-window', '0,400', '--ranks', '1', '--epochs', '20', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n')[0]);
    expect(summary.kept).toEqual({ units: 3, conditions: 2, bins: 18, trials: 12 });
    const inspect = run('recordings', 'inspect', nwb);
    expect(inspect.stdout).toMatch(/RoiResponseSeries \(RoiResponseSeries\): \[2400, 3\]/);
    const bad = run('fit', '--nwb', nwb, '--series', 'RoiResponseSeries', '--units', 'location=PFC', '--conditions', 'coherence', '--align', 'go', '--window', '0,800', '--bin', '50');
    expect(bad.stderr).toMatch(/--units and --min-rate select units; they do not apply with --series/);
  });
});
