// Sweeps: plan checks (in process), and the `lowrank sweep` command line run as a user would (needs dist/cli.js):
// local runs against the same command run directly, failures, killed workers, reruns, collect, and a real one-node
// SLURM cluster (scripts/slurm-test-cluster.sh; skipped with a message where slurm-wlm and munge are not installed).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadNpz } from '../../ts/io/index.js';
import { checkPlan, jobId, sbatchLines } from '../../ts/sweeps/index.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

/** A demo-sized train grid: 4 jobs of well under a second each. */
const TRAIN = { kind: 'train', options: { task: 'dm', size: 24, epochs: 2, trials: 40 }, grid: { seed: [1, 2], rank: [1, 2] }, workers: 2 };

function writePlan(dir: string, name: string, plan: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(plan));
  return path;
}

/** Every array of two .npz files, byte for byte (the 'meta' entry, which records the command line, excepted). */
async function expectSameArrays(a: string, b: string): Promise<void> {
  const x = await loadNpz(a);
  const y = await loadNpz(b);
  const keys = Object.keys(x).filter((k) => k !== 'meta').sort();
  expect(keys.length).toBeGreaterThan(0);
  expect(Object.keys(y).filter((k) => k !== 'meta').sort()).toEqual(keys);
  for (const k of keys) {
    expect(y[k].shape, k).toEqual(x[k].shape);
    const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (ArrayBuffer.isView(x[k].data)) expect(bytes(y[k].data as ArrayBufferView).equals(bytes(x[k].data)), k).toBe(true);
    else expect(y[k].data, k).toEqual(x[k].data);
  }
}

function records(out: string): Record<string, { status: string; message?: string; index: number; result?: Record<string, unknown> }> {
  const dir = join(out, 'jobs');
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), 'utf8'))]));
}

describe('sweep plans are checked before anything runs', () => {
  const base = { kind: 'fit', options: { teacher: 't.npz', task: 'dm' }, grid: { seed: [0, 1], ranks: [[1], [1, 2]] } };
  test('a good plan: the grid in row-major order, ids stable and independent of key order', () => {
    const loaded = checkPlan(base);
    expect(loaded.jobs.map((j) => j.params)).toEqual([{ seed: 0, ranks: [1] }, { seed: 0, ranks: [1, 2] }, { seed: 1, ranks: [1] }, { seed: 1, ranks: [1, 2] }]);
    expect(loaded.jobs[3].id).toBe(jobId('fit', { ranks: [1, 2], seed: 1, task: 'dm', teacher: 't.npz' }));
    expect(new Set(loaded.jobs.map((j) => j.id)).size).toBe(4);
    expect(checkPlan({ ...base, grid: { ranks: [[1], [1, 2]], seed: [0, 1] } }).jobs.map((j) => j.id).sort()).toEqual(loaded.jobs.map((j) => j.id).sort());
  });
  test('unknown keys, empty grids, too large a grid, options the kind does not take, bad values', () => {
    expect(() => checkPlan({ ...base, sede: 1 })).toThrow(/unknown option 'sede'; valid options: kind, options, grid/);
    expect(() => checkPlan({ ...base, kind: 'dance' })).toThrow(/option 'kind' must be one of 'train', 'fit'/);
    expect(() => checkPlan({ ...base, grid: {} })).toThrow(/option 'grid' must have at least one option to vary; got an empty object/);
    expect(() => checkPlan({ ...base, grid: { seed: [] } })).toThrow(/option 'grid.seed' must be a non-empty list of values; got \[\]/);
    expect(() => checkPlan({ ...base, grid: { seed: Array.from({ length: 200 }, (_, i) => i), epochs: Array.from({ length: 60 }, (_, i) => i + 1) } })).toThrow(
      /the grid has 12000 jobs \(seed: 200 x epochs: 60\), more than maxJobs = 10000/,
    );
    expect(() => checkPlan({ ...base, grid: { fullRank: [true, false] } })).toThrow(/option 'grid.fullRank' is not an option of job kind 'fit'; valid options: teacher, task/);
    expect(() => checkPlan({ ...base, options: { ...base.options, out: 'x.npz' } })).toThrow(/option 'options.out' is set by the sweep itself/);
    expect(() => checkPlan({ ...base, grid: { epochs: [5, 0] } })).toThrow(/grid: option 'epochs' \(--epochs\): .*--epochs/);
    expect(() => checkPlan({ ...base, grid: { on: ['rates', 'spikes'] } })).toThrow(/option 'on' \(--on\) must be one of rates, states; got 'spikes'/);
    expect(() => checkPlan({ ...base, grid: { truncation: ['yes'] } })).toThrow(/grid: option 'truncation' must be .*; got 'yes'/);
    expect(() => checkPlan({ ...base, grid: { seed: [1, 1] } })).toThrow(/repeated values \(2 jobs but 1 distinct\)/);
    expect(() => checkPlan({ ...base, slurm: { gpu: 1 } })).toThrow(/sweep plan: slurm: unknown option 'gpu'/);
  });
});

describe('the sbatch lines of a plan', () => {
  test('resources become --partition, --time, --mem, --cpus-per-task, --gres and extra arguments', () => {
    const loaded = checkPlan({ ...TRAIN, threads: 2, slurm: { partition: 'gpu', time: '01:00:00', mem: '4G', gpus: 1, extra: ['--account=lab'] } }, '/lab/plans/p.json');
    expect(sbatchLines(loaded)).toEqual([
      '--job-name=lowrank-train',
      '--cpus-per-task=2',
      '--output=/lab/plans/p.sweep/slurm/%A_%a.log',
      '--partition=gpu',
      '--time=01:00:00',
      '--mem=4G',
      '--gres=gpu:1',
      '--account=lab',
    ]);
  });
});

describe.skipIf(!existsSync(cli))('lowrank sweep, local backend (dist/cli.js)', { timeout: 30_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-sweep-'));
  beforeAll(() => {
    const r = run(['train', '--task', 'dm', '--size', '24', '--epochs', '2', '--trials', '40', '--seed', '3', '--threads', '1', '--out', join(dir, 'teacher.npz')]);
    expect(r.status, r.stderr).toBe(0);
  });

  test('a bad plan is refused before anything runs', () => {
    const plan = writePlan(dir, 'bad', { ...TRAIN, grid: { seed: [1], ranks: [1, 2] } });
    const r = run(['sweep', plan]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/option 'grid.ranks' is not an option of job kind 'train'/);
    expect(existsSync(join(dir, 'bad.sweep'))).toBe(false);
  });

  test('each job equals the command run by hand (bit for bit); a rerun runs nothing; collect to .csv and .npz', async () => {
    const plan = writePlan(dir, 'train', TRAIN);
    const r = run(['sweep', plan]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 train jobs \(seed: 2 x rank: 2\); now 4 missing; 4 to run on local/);
    expect(r.stderr).toMatch(/\[4\/4\] train-[0-9a-f]{10} .* ok/);
    const loaded = checkPlan(TRAIN, plan);
    const job = loaded.jobs[3];
    const direct = join(dir, 'direct.npz');
    const d = run(['train', '--task', 'dm', '--size', '24', '--epochs', '2', '--trials', '40', '--seed', '2', '--rank', '2', '--threads', '1', '--out', direct]);
    expect(d.status, d.stderr).toBe(0);
    await expectSameArrays(direct, join(dir, 'train.sweep', 'jobs', `${job.id}.npz`));
    const again = run(['sweep', plan]);
    expect(again.stderr).toMatch(/now 4 ok; 0 to run/);

    const csv = join(dir, 'table.csv');
    expect(run(['sweep', 'collect', plan, '--out', csv]).status).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(','));
    const col = (name: string) => lines[0].indexOf(name);
    expect(lines.length).toBe(5);
    const rec = records(join(dir, 'train.sweep'));
    for (const [i, j] of loaded.jobs.entries()) {
      expect(lines[i + 1][col('id')]).toBe(j.id);
      expect(lines[i + 1][col('rank')]).toBe(String(j.params.rank));
      expect(Number(lines[i + 1][col('bestLoss')])).toBe(rec[j.id].result!.bestLoss);
    }
    const npz = join(dir, 'table.npz');
    expect(run(['sweep', 'collect', plan, '--out', npz]).status).toBe(0);
    const t = await loadNpz(npz);
    expect(Array.from(t.seed.data as Float64Array)).toEqual([1, 1, 2, 2]);
    expect(Array.from(t.bestLoss.data as Float64Array)).toEqual(loaded.jobs.map((j) => rec[j.id].result!.bestLoss));
  });

  test('a failing job is reported with its message and the others finish; the rerun retries only it', () => {
    const plan = writePlan(dir, 'fit', { kind: 'fit', options: { task: 'dm', trials: 10, epochs: 2 }, grid: { teacher: ['teacher.npz', 'no-such-teacher.npz'], seed: [0, 1] } });
    const r = run(['sweep', plan]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 ok, 2 failed/);
    expect(r.stderr).toMatch(/failed fit-[0-9a-f]{10} \{"teacher":"no-such-teacher.npz","seed":0\}: .*no-such-teacher/);
    const status = run(['sweep', 'status', plan, '--json']);
    const states = status.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(states.map((s) => s.state)).toEqual(['ok', 'ok', 'failed', 'failed']);
    expect(states[2].message).toMatch(/no-such-teacher/);
    const again = run(['sweep', plan, '--dry-run']);
    expect(again.stdout.trim().split('\n').map((l) => JSON.parse(l).index)).toEqual([2, 3]);
  });

  test('a killed worker is recorded (killed by SIGKILL) and the next run reruns only it', async () => {
    const plan = writePlan(dir, 'kill', { ...TRAIN, workers: 1, pack: false }); // one job per child (test/sweeps/pack.test.ts kills a pack)
    const sweep = spawn(process.execPath, [cli, 'sweep', plan], { stdio: ['ignore', 'ignore', 'pipe'] });
    let killed = false;
    while (!killed) {
      await new Promise((r) => setTimeout(r, 20));
      const kids = spawnSync('pgrep', ['-P', String(sweep.pid)], { encoding: 'utf8' }).stdout.trim();
      if (kids) {
        process.kill(Number(kids.split('\n')[0]), 'SIGKILL');
        killed = true;
      }
    }
    const code = await new Promise((done) => sweep.on('close', done));
    expect(code).toBe(1);
    const rec = records(join(dir, 'kill.sweep'));
    const failed = Object.values(rec).filter((x) => x.status === 'failed');
    expect(failed.length).toBe(1);
    expect(failed[0].message).toMatch(/killed by SIGKILL/);
    const mtimes = Object.keys(rec).map((id) => statSync(join(dir, 'kill.sweep', 'jobs', `${id}.json`)).mtimeMs);
    const again = run(['sweep', plan]);
    expect(again.stderr).toMatch(/now 3 ok, 1 failed; 1 to run/);
    expect(again.stderr).toMatch(/4 ok/);
    Object.keys(rec).forEach((id, i) => {
      if (rec[id].status === 'ok') expect(statSync(join(dir, 'kill.sweep', 'jobs', `${id}.json`)).mtimeMs).toBe(mtimes[i]);
    });
  });

  test('Ctrl-C (SIGINT) cancels the running workers: no record for them, they run again next time', async () => {
    const plan = writePlan(dir, 'interrupt', { ...TRAIN, workers: 1 });
    const sweep = spawn(process.execPath, [cli, 'sweep', plan], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    sweep.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    while (!spawnSync('pgrep', ['-P', String(sweep.pid)], { encoding: 'utf8' }).stdout.trim()) await new Promise((r) => setTimeout(r, 20));
    sweep.kill('SIGINT');
    expect(await new Promise((done) => sweep.on('close', done))).toBe(130);
    expect(stderr).toMatch(/cancelling/);
    const left = existsSync(join(dir, 'interrupt.sweep', 'jobs')) ? Object.values(records(join(dir, 'interrupt.sweep'))) : [];
    expect(left.every((x) => x.status === 'ok')).toBe(true);
    expect(left.length).toBeLessThan(4);
    expect(run(['sweep', plan]).stderr).toMatch(new RegExp(`${4 - left.length} to run on local[\\s\\S]*sweep: 4 ok`));
  });

  test("a 'populations cluster' grid: one mixture per job, as many components as its grid point", () => {
    const plan = writePlan(dir, 'pop', { kind: 'populations cluster', options: { model: 'teacher.npz', restarts: 2 }, grid: { components: [1, 2] } });
    const r = run(['sweep', plan]);
    expect(r.status, r.stderr).toBe(0);
    const rec = Object.values(records(join(dir, 'pop.sweep'))).sort((a, b) => a.index - b.index);
    expect(rec.map((x) => (x.result!.sizes as number[]).length)).toEqual([1, 2]);
    expect(rec.map((x) => (x.result!.sizes as number[]).reduce((a, b) => a + b))).toEqual([24, 24]);
  });

  test('a sweep killed as a whole leaves the unfinished jobs missing; the rerun runs only those', async () => {
    const plan = writePlan(dir, 'killall', { ...TRAIN, workers: 1 });
    const sweep = spawn(process.execPath, [cli, 'sweep', plan], { stdio: ['ignore', 'ignore', 'ignore'] });
    const jobs = join(dir, 'killall.sweep', 'jobs');
    while (!(existsSync(jobs) && readdirSync(jobs).some((f) => f.endsWith('.json')))) await new Promise((r) => setTimeout(r, 10));
    sweep.kill('SIGKILL');
    await new Promise((done) => sweep.on('close', done));
    const done = Object.keys(records(join(dir, 'killall.sweep'))).length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(4);
    await new Promise((r) => setTimeout(r, 1500)); // the orphaned job's child ends without committing anything
    expect(Object.keys(records(join(dir, 'killall.sweep'))).length).toBe(done);
    const again = run(['sweep', plan]);
    expect(again.stderr).toMatch(new RegExp(`now ${done} ok, ${4 - done} missing; ${4 - done} to run`));
    expect(again.stderr).toMatch(/sweep: 4 ok/);
  });
});

const haveSlurm = ['slurmctld', 'slurmd', 'munged', 'sbatch'].every((exe) => spawnSync('sh', ['-c', `command -v ${exe}`]).status === 0);
if (!haveSlurm) console.warn('test/sweeps: SLURM tests skipped: slurm-wlm and munge are not installed (apt-get install slurm-wlm munge)');

describe.skipIf(!existsSync(cli) || !haveSlurm)('lowrank sweep, slurm backend on a one-node cluster (scripts/slurm-test-cluster.sh)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-sweep-slurm-'));
  const cluster = join(dir, 'cluster');
  const script = join(root, 'scripts', 'slurm-test-cluster.sh');
  const env = { SLURM_CONF: join(cluster, 'slurm.conf'), SLURM_TEST_PORT: String(17000 + (process.pid % 2000) * 2) };
  beforeAll(() => {
    execFileSync(script, ['start', cluster], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }, 60_000);
  afterAll(() => {
    spawnSync(script, ['stop', cluster], { env: { ...process.env, ...env } });
  });

  test('a small plan gives bit-identical results on slurm and on local', async () => {
    const local = writePlan(dir, 'local', TRAIN);
    const slurm = writePlan(dir, 'slurm', { ...TRAIN, slurm: { partition: 'test', time: '00:05:00', cpus: 1 } });
    expect(run(['sweep', local]).status).toBe(0);
    const r = run(['sweep', slurm, '--backend', 'slurm', '--wait', '--poll', '0.3'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/submitted array \d+ \(4 tasks\)/);
    expect(r.stderr).toMatch(/sweep: 4 ok/);
    for (const job of checkPlan(TRAIN, local).jobs) {
      await expectSameArrays(join(dir, 'local.sweep', 'jobs', `${job.id}.npz`), join(dir, 'slurm.sweep', 'jobs', `${job.id}.npz`));
    }
  }, 60_000);

  test('a cancelled array task is missing, and the next run submits only it', () => {
    const plan = writePlan(dir, 'cancel', { ...TRAIN, slurm: { maxRunning: 1 } });
    const r = run(['sweep', plan, '--backend', 'slurm'], env);
    expect(r.status, r.stderr).toBe(0);
    const arrayId = /submitted array (\d+)/.exec(r.stderr)![1];
    execFileSync('scancel', [`${arrayId}_3`], { env: { ...process.env, ...env } });
    const status = run(['sweep', 'status', plan, '--json'], env);
    expect(status.stdout).toMatch(/"state":"(pending|running)"/);
    const wait = run(['sweep', plan, '--backend', 'slurm', '--wait', '--poll', '0.3'], env); // resubmits the cancelled task 3 at once, then waits for all
    expect(wait.stderr).toMatch(/; 1 to run on slurm/);
    const arrays = JSON.parse(readFileSync(join(dir, 'cancel.sweep', 'slurm', 'arrays.json'), 'utf8'));
    expect(arrays.map((a: { indices: number[] }) => a.indices)).toEqual([[0, 1, 2, 3], [3]]);
    expect(wait.stderr).toMatch(/sweep: 4 ok/);
  }, 60_000);

  test('Ctrl-C while waiting cancels the array (scancel): nothing is left queued and the jobs are missing', async () => {
    const plan = writePlan(dir, 'sigint', { ...TRAIN, options: { ...TRAIN.options, epochs: 50, trials: 400 }, slurm: { maxRunning: 1 } });
    const sweep = spawn(process.execPath, [cli, 'sweep', plan, '--backend', 'slurm', '--wait', '--poll', '0.3'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    sweep.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    while (!/submitted array/.test(stderr)) await new Promise((r) => setTimeout(r, 50));
    sweep.kill('SIGINT');
    expect(await new Promise((done) => sweep.on('close', done))).toBe(130);
    expect(stderr).toMatch(/cancelled; /);
    const arrays = JSON.parse(readFileSync(join(dir, 'sigint.sweep', 'slurm', 'arrays.json'), 'utf8'));
    let queued = '';
    for (let i = 0; i < 50; i++) {
      queued = execFileSync('squeue', ['-h', '-r', '-j', arrays[0].jobId], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
      if (!queued) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(queued).toBe('');
    const states = run(['sweep', 'status', plan, '--json'], env).stdout.trim().split('\n').map((l) => JSON.parse(l).state);
    expect(states.filter((x) => x === 'missing').length).toBeGreaterThan(0);
    expect(states.every((x) => x === 'missing' || x === 'ok')).toBe(true);
  }, 30_000);
});
