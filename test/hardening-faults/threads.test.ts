// Thread counts: capped at MAX_THREADS everywhere one is accepted, and a thread pool whose threads cannot all be
// created throws a clear error instead of hanging or aborting the process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, analysis, lint, populations } from '../../ts/index.js';
import { MAX_THREADS } from '../../ts/core/validate.js';
import { checkPlan } from '../../ts/sweeps/plan.js';

const cap = new RegExp(`threads' must be an integer in \\[0, ${MAX_THREADS}\\] \\(${MAX_THREADS} is the cap on threads\\); got 100000`);

describe('the thread cap', () => {
  test('models, fits, fixed points, mixtures and ePAIRS refuse 100000 threads with a RangeError naming the cap', async () => {
    expect(() => new LowRankRNN({ size: 8, threads: 100000 })).toThrow(RangeError);
    expect(() => new LowRankRNN({ size: 8, threads: 100000 })).toThrow(cap);
    expect(() => new FullRankRNN({ size: 8, threads: MAX_THREADS + 1 })).toThrow(/1024 is the cap on threads\); got 1025/);
    const model = new LowRankRNN({ size: 8, rank: 1, inputs: 1, outputs: 1, seed: 1, threads: 2 });
    try {
      const from = { data: new Float64Array(2 * 8).fill(0.1), shape: [2, 8] };
      await expect(analysis.fixedPoints(model, { from, threads: 100000 })).rejects.toThrow(cap);
      const x = { data: new Float32Array(2 * 5 * 8), shape: [2, 5, 8] };
      const u = { data: new Float32Array(2 * 5 * 1), shape: [2, 5, 1] };
      await expect(lint.fit(x, u, { rank: 1, threads: 100000 })).rejects.toThrow(cap);
      const points = { data: new Float64Array(40).map((_, i) => Math.sin(i)), shape: [20, 2] };
      await expect(populations.fitMixture(points, { components: 1, threads: 100000 })).rejects.toThrow(cap);
    } finally {
      model.dispose();
    }
    expect(() => checkPlan({ kind: 'train', grid: { seed: [1] }, threads: 5000 })).toThrow(/threads' must be an integer in \[1, 1024\]/);
  });

  test('MAX_THREADS itself is accepted (the native pool starts that many threads)', () => {
    const model = new LowRankRNN({ size: 8, threads: MAX_THREADS });
    model.dispose();
  });
});

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const pkg = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

describe.skipIf(!existsSync(cli))('--threads on the command line', () => {
  test('lowrank train --threads 100000 is refused before anything runs', () => {
    const r = spawnSync(process.execPath, [cli, 'train', '--task', 'dm', '--threads', '100000'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--threads must be an integer in \[0, 1024\] \(1024 is the cap on threads\); got 100000/);
  });
});

// Failed thread creation: a child process whose thread limit (RLIMIT_NPROC, as the unprivileged user 'nobody' when
// this runs as root, since root is exempt) leaves room for Node's own threads but not for 200 more.
const prlimit = spawnSync('prlimit', ['--version']).status === 0;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
const root = process.getuid?.() === 0;
describe.skipIf(!existsSync(pkg) || !prlimit || (root && !setpriv))('a pool whose threads cannot all be created', () => {
  test('new LowRankRNN({ threads: 200 }) throws a RangeError saying so; the process goes on', () => {
    const script = `import { LowRankRNN } from ${JSON.stringify(pkg)};
      try { new LowRankRNN({ size: 8, threads: 200 }); console.log('created'); }
      catch (e) { console.log(e.name + ': ' + e.message); }
      const m = new LowRankRNN({ size: 8, threads: 1 }); m.dispose(); console.log('still running');`;
    const limit = root ? 60 : Number(spawnSync('sh', ['-c', `ps -L -u ${process.getuid?.()} --no-headers | wc -l`], { encoding: 'utf8' }).stdout) + 60;
    const user = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const command = [...user, 'prlimit', `--nproc=${limit}`, process.execPath, '--input-type=module', '-e', script];
    const r = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, UV_THREADPOOL_SIZE: '4' } });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stdout).toMatch(/RangeError: could not start 200 threads \(started \d+\): .*; use fewer threads/);
    expect(r.stdout).toMatch(/still running/);
  });
});
