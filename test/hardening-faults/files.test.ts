// Atomic writes clean up the temp files that killed writes left behind; output paths are checked before work starts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkOutputDirectory, checkOutputPath, writeFileAtomic } from '../../ts/io/index.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-faults-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const pkg = join(import.meta.dirname, '..', '..', 'dist', 'index.js');
const temps = (d: string) => readdirSync(d).filter((n) => n.endsWith('.tmp'));

/** A pid that runs no process now (the pid of a child that has exited). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('stale temp files of killed atomic writes', () => {
  test('a temp whose writer is gone is removed by the next write to the same path; others stay', async () => {
    const d = join(dir, 'simulated');
    mkdirSync(d);
    const big = new Uint8Array(1 << 20).fill(7);
    const stale = `.model.npz.${host}-${deadPid()}.0123456789ab.tmp`;
    const live = `.model.npz.${host}-${process.ppid}.0123456789ac.tmp`; // the test runner's parent runs
    const otherHostFresh = `.model.npz.deadbeef-1.0123456789ad.tmp`;
    const otherHostOld = `.model.npz.deadbeef-2.0123456789ae.tmp`;
    const oldForm = `.model.npz.0123456789af.tmp`;
    const otherFile = `.other.npz.${host}-${deadPid()}.0123456789b0.tmp`;
    for (const name of [stale, live, otherHostFresh, otherHostOld, oldForm, otherFile]) writeFileSync(join(d, name), big);
    const dayAgo = (Date.now() - 25 * 3600 * 1000) / 1000;
    utimesSync(join(d, otherHostOld), dayAgo, dayAgo);
    await writeFileAtomic(join(d, 'model.npz'), Uint8Array.of(1, 2, 3));
    expect(readFileSync(join(d, 'model.npz'))).toEqual(Buffer.from([1, 2, 3]));
    expect(temps(d).sort()).toEqual([live, otherHostFresh, oldForm, otherFile].sort());
  });

  test.skipIf(!existsSync(pkg))('kill -9 in the middle of a large write leaves a temp; the next write removes it', async () => {
    const d = join(dir, 'killed');
    mkdirSync(d);
    const target = join(d, 'big.npy');
    // a child writing 1.5 GiB in chunks (the built package: needs `npm run build:ts`), killed once its temp has grown
    const script = `import { io } from ${JSON.stringify(pkg)};
      const chunk = new Uint8Array(64 << 20);
      await io.writeFileAtomic(${JSON.stringify(target)}, Array.from({ length: 24 }, () => chunk));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    let grown = false;
    for (let i = 0; i < 600 && !grown; i++) {
      await new Promise((r) => setTimeout(r, 50));
      grown = temps(d).some((n) => statSync(join(d, n)).size > 64 << 20);
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(grown).toBe(true);
    expect(temps(d)).toHaveLength(1);
    await writeFileAtomic(target, Uint8Array.of(9));
    expect(temps(d)).toEqual([]);
    expect(readFileSync(target)).toEqual(Buffer.from([9]));
  }, 60_000);
});

describe('output paths checked before work', () => {
  test('a directory, a missing directory, a file as directory and an unwritable place are refused, naming the option', async () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    await expect(checkOutputPath(dir, '--out')).rejects.toThrow(new RegExp(`--out "${dir}": it is a directory`));
    await expect(checkOutputPath(join(dir, 'nope', 'a.npz'), '--out')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/--out .*the directory .*nope" does not exist/) });
    await expect(checkOutputPath(join(file, 'a.npz'), '--out')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(checkOutputPath('/proc/lowrank.npz', '--out')).rejects.toThrow(/--out "\/proc\/lowrank.npz": cannot create files in "\/proc"/);
    await expect(checkOutputPath('', '--out')).rejects.toThrow(TypeError);
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    if (process.getuid?.() !== 0) await expect(checkOutputPath(join(ro, 'a.npz'), '--out')).rejects.toMatchObject({ code: 'EACCES' });
    chmodSync(ro, 0o700);
    await checkOutputPath(join(dir, 'fine.npz'), '--out');
    await checkOutputPath(file, '--out'); // an existing file is replaced
    expect(temps(dir)).toEqual([]); // the probe is gone
  });

  test('directories: an existing one, one to create under an existing parent; a file is refused', async () => {
    await checkOutputDirectory(dir, '--out-dir');
    await checkOutputDirectory(join(dir, 'new', 'deeper'), '--out-dir');
    writeFileSync(join(dir, 'afile'), 'x');
    await expect(checkOutputDirectory(join(dir, 'afile'), '--out-dir')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(checkOutputDirectory('/proc/lowrank-demo', '--out-dir')).rejects.toThrow(/--out-dir/);
  });
});
