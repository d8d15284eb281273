// The command line loses no work: output paths are checked before long work starts, and Ctrl-C (SIGINT) saves what
// is finished, names the files on stderr and exits with 130. Each case runs dist/cli.js in a child process (needs
// `npm run build:ts`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LowRankRNN, loadModel, saveModel, tasks, train } from '../../ts/index.js';
import { loadResult } from '../../ts/results/format.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'lowrank-faults-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: dir });

/**
 * Runs the CLI and sends SIGINT once `ready(stdout lines so far)` holds; resolves with the exit status and output.
 */
function interruptWhen(args: string[], ready: (lines: string[], stderr: string) => boolean): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const check = () => {
    if (!sent && ready(stdout.split('\n').filter(Boolean), stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), check()));
  return new Promise((done) => child.on('close', (status) => done({ status, stdout, stderr })));
}

const epochLines = (lines: string[]) => lines.filter((l) => l.startsWith('{"type":"epoch"')).length;

describe.skipIf(!existsSync(cli))('output paths are checked before the work starts', () => {
  // every command that writes a file, with the output option pointing at a directory (inputs need not exist: the
  // check comes first)
  const commands: string[][] = [
    ['train', '--task', 'dm', '--out', dir],
    ['train', '--task', 'dm', '--checkpoint', dir],
    ['fit', '--teacher', 'missing.npz', '--task', 'dm', '--out', dir],
    ['analyze', 'fixed-points', '--model', 'missing.npz', '--out', dir],
    ['analyze', 'fixed-points', '--model', 'missing.npz', '--out', 'fp.npz', '--topology', dir],
    ['analyze', 'latent-flow', '--model', 'missing.npz', '--out', dir],
    ['analyze', 'meanfield', '--model', 'missing.npz', '--out', dir],
    ['analyze', 'linearize', '--model', 'missing.npz', '--out', dir],
    ['analyze', 'measures', '--model', 'missing.npz', '--out', dir],
    ['populations', 'cluster', '--model', 'missing.npz', '--components', '2', '--out', dir],
    ['populations', 'resample', '--model', 'missing.npz', '--out', dir],
    ['populations', 'inactivate', '--model', 'missing.npz', '--out', dir],
    ['populations', 'gains', '--model', 'missing.npz', '--out', dir],
    ['populations', 'stability', '--model', 'missing.npz', '--components', '2', '--out', dir],
    ['partial-observation', 'estimate', '--states', 'missing.npy', '--alpha', '0.2', '--ridge', '0', '--out', dir],
    ['partial-observation', 'run', 'missing.json', '--out', dir],
    ['plot', 'training', '--from', 'missing.npz', '--out', dir],
    ['report', 'missing.npz', '--out', dir],
    ['sweep', 'collect', 'missing.json', '--out', dir],
  ];
  test.each(commands.map((c) => [c.join(' '), c]))('%s: refused at once, naming the option', (_name, args) => {
    const r = run(...(args as string[]));
    expect(r.status).toBe(1);
    const flag = (args as string[])[(args as string[]).indexOf(dir) - 1];
    expect(r.stderr).toContain(`lowrank: ${flag} "${dir}": it is a directory`);
    expect(r.stdout).toBe('');
  });

  test('an output in a missing or unwritable directory, and --out-dir under a file, are refused too', () => {
    expect(run('train', '--task', 'dm', '--out', join(dir, 'no', 'such', 'm.npz')).stderr).toMatch(/--out ".*m.npz": the directory ".*such" does not exist/);
    expect(run('fit', '--teacher', 'missing.npz', '--task', 'dm', '--out', '/proc/fit.npz').stderr).toMatch(/--out "\/proc\/fit.npz": cannot create files in "\/proc"/);
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(run('demo', '--out-dir', join(dir, 'a-file', 'demo')).stderr).toMatch(/--out-dir ".*demo": ".*a-file" is not a directory/);
  });
});

describe.skipIf(!existsSync(cli))('Ctrl-C keeps the finished work', () => {
  beforeAll(async () => {
    const teacher = new LowRankRNN({ size: 32, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 3 });
    await train(teacher, tasks.dm(), { epochs: 3, lr: 5e-3, seed: 3, trials: 100 });
    await saveModel(join(dir, 'teacher.npz'), teacher);
    teacher.dispose();
  }, 60_000);

  test('fit --ranks 1-4: Ctrl-C during rank 2 writes rank 1 (its fit file and the table) and says where', async () => {
    const epochs = 40;
    const out = join(dir, 'ranks.npz');
    const r = await interruptWhen(
      ['fit', '--teacher', 'teacher.npz', '--task', 'dm', '--trials', '60', '--ranks', '1-4', '--epochs', String(epochs), '--threads', '1', '--out', out, '--json'],
      (lines) => epochLines(lines) > epochs, // the first epoch of rank 2 has run
    );
    expect(r.status, r.stderr).toBe(130);
    const { arrays, meta } = await loadResult(out, 'table');
    const ranks = Array.from(arrays.rank.data as Float64Array);
    expect(ranks[0]).toBe(1);
    expect(ranks.length).toBeLessThan(4);
    const files = ranks.map((k) => join(dir, `ranks-rank${k}.npz`));
    expect(meta).toMatchObject({ fits: files });
    expect(r.stderr).toContain(`interrupted: saved the ${ranks.length} finished rank(s) to ${[out, ...files].join(', ')}`);
    // the saved fit is the one scored in the table, and it is a model file of rank 1
    const fit1 = await loadResult(files[0], 'fit');
    expect(fit1.meta!.teacher).toMatchObject({ r2: { global: (arrays.r2.data as Float64Array)[0] } });
    const model = await loadModel(files[0]);
    expect(model.config).toMatchObject({ kind: 'lowrank', rank: 1, size: 32 });
    model.dispose();
    expect(existsSync(join(dir, 'ranks-rank4.npz'))).toBe(false);
    // the result line on stdout lists the same rows
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.rows.map((row: { rank: number }) => row.rank)).toEqual(ranks);
  }, 120_000);

  test('train --out: Ctrl-C after a few epochs saves the best model so far and exits 130', async () => {
    const out = join(dir, 'trained.npz');
    const r = await interruptWhen(
      ['train', '--task', 'dm', '--size', '32', '--epochs', '2000', '--trials', '100', '--seed', '4', '--threads', '1', '--out', out, '--json'],
      (lines) => epochLines(lines) >= 3,
    );
    expect(r.status, r.stderr).toBe(130);
    const reports = r.stdout.split('\n').filter((l) => l.startsWith('{"type":"epoch"')).map((l) => JSON.parse(l));
    expect(reports.length).toBeLessThan(2000);
    // the file keeps the epochs run and the best of them, the epoch whose parameters the model holds
    const monitored = reports.map((e) => (e.monitor === 'validation' ? e.validationLoss : e.loss) as number);
    const { meta } = await loadResult(out, 'model');
    const training = meta!.training as { epochs: unknown[]; bestLoss: number; bestEpoch: number };
    expect(training.epochs).toHaveLength(reports.length);
    // keep-best starts from the initial parameters (epoch 0); an epoch replaces them when its loss is lower
    const bestEpoch = training.bestLoss < Math.min(...monitored) ? 0 : monitored.indexOf(Math.min(...monitored)) + 1;
    expect(training.bestEpoch).toBe(bestEpoch);
    if (bestEpoch > 0) expect(training.bestLoss).toBe(monitored[bestEpoch - 1]);
    expect(r.stderr).toContain(`interrupted: saved the best model so far (epoch ${bestEpoch}) to ${out}`);
    const saved = await loadModel(out);
    const fresh = new LowRankRNN({ size: 32, rank: 1, inputs: saved.inputSize, outputs: 1, seed: 4 });
    try {
      expect(saved.config).toMatchObject({ kind: 'lowrank', size: 32 });
      if (bestEpoch > 0) expect(Array.from(saved.param('n').data)).not.toEqual(Array.from(fresh.param('n').data)); // trained
    } finally {
      saved.dispose();
      fresh.dispose();
    }
  }, 120_000);

  test('partial-observation run (a sweep): Ctrl-C after two settings saves the finished rows', async () => {
    const seeds = Array.from({ length: 60 }, (_, i) => i);
    const config = { sweep: { teachers: [{ kind: 'feedforward', size: 40 }], fractions: [0.25], noise: [0.2], seeds, simulation: { steps: 2000 } } };
    writeFileSync(join(dir, 'po-sweep.json'), JSON.stringify(config));
    const out = join(dir, 'po-sweep.npz');
    const r = await interruptWhen(['partial-observation', 'run', 'po-sweep.json', '--out', out], (_lines, stderr) => /^2\/60: /m.test(stderr));
    expect(r.status, r.stderr).toBe(130);
    const done = (r.stderr.match(/^\d+\/60: /gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(60);
    expect(r.stderr).toContain(`interrupted: saved the ${done} finished row(s) to ${out}`);
    const { arrays } = await loadResult(out, 'partial-observation');
    expect(Array.from(arrays['table.seed'].data as Float64Array)).toEqual(seeds.slice(0, done));
    // each saved score is the one printed for its row
    const printed = [...r.stderr.matchAll(/student score (-?[\d.]+)/g)].map((m) => Number(m[1]));
    expect(Array.from(arrays['table.studentScore'].data as Float64Array, (x) => Number(x.toFixed(3)))).toEqual(printed);
  }, 120_000);

  test('Ctrl-C before anything is finished: exit 130 and a line saying nothing was saved', async () => {
    const out = join(dir, 'none.npz');
    const r = await interruptWhen(
      ['fit', '--teacher', 'teacher.npz', '--task', 'dm', '--trials', '60', '--ranks', '1-2', '--epochs', '500', '--threads', '1', '--out', out, '--json'],
      (lines) => epochLines(lines) >= 2,
    );
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted: nothing saved/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
