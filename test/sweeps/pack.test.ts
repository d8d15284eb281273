// The local backend packs compatible train jobs into ensembles: same records and result files as jobs run one by one
// (needs dist/cli.js); which jobs pack together (in process).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadNpz } from '../../ts/io/index.js';
import { checkPlan } from '../../ts/sweeps/index.js';
import { packJobs } from '../../ts/sweeps/pack.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'lowrank-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Six jobs that differ in seed and learning rate (one shape), two workers: two packs of three. */
const PLAN = { kind: 'train', options: { task: 'dm', size: 24, epochs: 3, trials: 40, rank: 2 }, grid: { seed: [1, 2, 3], lr: [0.01, 0.003] }, workers: 2 };

describe('which jobs pack', () => {
  test('jobs of one shape pack per worker; other shapes, checkpoints and pack: false do not', () => {
    const plan = checkPlan(PLAN, join(dir, 'p.json'));
    expect(packJobs(plan, plan.jobs).map((u) => u.map((j) => j.index))).toEqual([[0, 1, 2], [3, 4, 5]]);
    const ranks = checkPlan({ ...PLAN, grid: { seed: [1, 2], rank: [1, 2] }, options: { task: 'dm', size: 24, epochs: 3, trials: 40 }, workers: 1 }, join(dir, 'q.json'));
    expect(packJobs(ranks, ranks.jobs).map((u) => u.map((j) => j.params))).toEqual([
      [{ seed: 1, rank: 1 }, { seed: 2, rank: 1 }],
      [{ seed: 1, rank: 2 }, { seed: 2, rank: 2 }],
    ]);
    const off = checkPlan({ ...PLAN, pack: false }, join(dir, 'r.json'));
    expect(packJobs(off, off.jobs).every((u) => u.length === 1)).toBe(true);
    const inProcess = checkPlan(PLAN); // a plan given as an object has no file a child could read
    expect(packJobs(inProcess, inProcess.jobs).every((u) => u.length === 1)).toBe(true);
  });
});

describe.skipIf(!existsSync(cli))('lowrank sweep packs train jobs (dist/cli.js)', { timeout: 60_000 }, () => {
  test('packed jobs give the records and model arrays of jobs run one by one, bit for bit', async () => {
    const sweep = (name: string, plan: object) => {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, JSON.stringify(plan));
      const r = spawnSync(process.execPath, [cli, 'sweep', path, '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return join(dir, `${name}.sweep`, 'jobs');
    };
    const packed = sweep('packed', PLAN);
    const alone = sweep('alone', { ...PLAN, pack: false });
    const ids = checkPlan(PLAN, join(dir, 'packed.json')).jobs.map((j) => j.id);
    expect(readdirSync(packed).sort()).toEqual(readdirSync(alone).sort());
    for (const id of ids) {
      const a = JSON.parse(readFileSync(join(packed, `${id}.json`), 'utf8'));
      const b = JSON.parse(readFileSync(join(alone, `${id}.json`), 'utf8'));
      expect(a.status).toBe('ok');
      expect(a.ensemble).toEqual(a.index < 3 ? [0, 1, 2] : [3, 4, 5]);
      expect(b.ensemble).toBeUndefined();
      const { seconds: _s1, ...ra } = a.result;
      const { seconds: _s2, ...rb } = b.result;
      expect(ra).toEqual(rb);
      expect(a.files).toEqual(b.files);
      const x = await loadNpz(join(packed, `${id}.npz`));
      const y = await loadNpz(join(alone, `${id}.npz`));
      for (const k of Object.keys(y).filter((k) => k !== 'meta')) {
        const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
        if (ArrayBuffer.isView(y[k].data)) expect(bytes(x[k].data as ArrayBufferView).equals(bytes(y[k].data)), k).toBe(true);
        else expect(x[k].data, k).toEqual(y[k].data);
      }
    }
  });

  test('a pack killed by a signal: its unfinished jobs are failed (killed by SIGKILL); the rerun runs only them', async () => {
    const path = join(dir, 'kill.json');
    writeFileSync(path, JSON.stringify({ ...PLAN, workers: 1, options: { ...PLAN.options, epochs: 200 } }));
    const sweep = spawn(process.execPath, [cli, 'sweep', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const kids = spawnSync('pgrep', ['-P', String(sweep.pid)], { encoding: 'utf8' }).stdout.trim();
      if (kids) {
        process.kill(Number(kids.split('\n')[0]), 'SIGKILL');
        break;
      }
    }
    expect(await new Promise((done) => sweep.on('close', done))).toBe(1);
    const jobs = join(dir, 'kill.sweep', 'jobs');
    const recs = readdirSync(jobs).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(jobs, f), 'utf8')));
    expect(recs).toHaveLength(6);
    for (const r of recs) {
      expect(r.status).toBe('failed');
      expect(r.message).toBe('killed by SIGKILL');
      expect(r.ensemble).toEqual([0, 1, 2, 3, 4, 5]);
    }
    const again = spawnSync(process.execPath, [cli, 'sweep', path, '--dry-run'], { encoding: 'utf8' });
    expect(again.stderr).toMatch(/now 6 failed; 6 to run/);
  });
});
