// The package as users get it. Its contents (npm pack --dry-run) hold only what users need. With
// LOWRANK_PACKAGE_TEST=1 (CI sets it, after `npm run build:prebuilds`), the packed tarball is installed into fresh
// projects as a registry install would be: ESM, CommonJS and TypeScript consumers build a model, train it two epochs,
// save and load it, and `npx lowrank info` names the binary; then once more from a tarball without the prebuilt
// binaries, where the install builds the addon from source with node-gyp.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../ts/native/load.js';

const root = packageRoot();
const npm = (args: string[], cwd: string) => {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, LOWRANK_NATIVE_PATH: '', npm_config_audit: 'false', npm_config_fund: 'false' } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** What a user needs: the build, the prebuilt binaries, the sources of the fallback build, docs, the licence and the figure font. */
const ALLOWED = [/^assets\/fonts\/(DejaVuSans\.ttf|DejaVu-LICENSE\.txt)$/, /^assets\/bench\/[\w-]+\.py$/, /^dist\//, /^prebuilds\/[a-z0-9]+-[a-z0-9]+\/(manifest\.json|lowrank-[\w.-]+\.node)$/, /^native\/(core|cuda|napi)\//, /^docs\/[\w-]+\.md$/,
  /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|CMakeLists\.txt|binding\.gyp|scripts\/install\.mjs)$/];

describe('npm pack', () => {
  test('lists only what users need, with every file the install and the fallback build use', () => {
    const [pack] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root)) as { files: { path: string }[]; size: number; unpackedSize: number }[];
    const files = pack.files.map((f) => f.path);
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    for (const needed of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli.js', 'scripts/install.mjs', 'binding.gyp', 'CMakeLists.txt', 'LICENSE', 'native/napi/addon.cc', 'native/core/model.hpp', 'assets/fonts/DejaVuSans.ttf', 'assets/bench/torch_baseline.py', 'assets/bench/eigensolves_numpy.py']) {
      expect(files).toContain(needed);
    }
    expect(files.some((f) => f.startsWith('native/tests/'))).toBe(false);
  });
});

const ESM = `import { LowRankRNN, tasks, train, saveModel, loadModel, backendInfo } from 'lowrank-rnn';
const task = tasks.dm();
const model = new LowRankRNN({ size: 64, rank: 1, inputs: task.inputSize, outputs: 1, noise: 0.05, seed: 1 });
const run = await train(model, task, { epochs: 2, trials: 200, lr: 5e-3, seed: 1 });
await saveModel('m.npz', model);
const back = await loadModel('m.npz');
const same = Array.from(back.param('m').data).every((x, i) => x === model.param('m').data[i]);
console.log(JSON.stringify({ epochs: run.epochs.length, same, origin: backendInfo().loader.origin, binary: backendInfo().binary }));
`;
const CJS = `const { FullRankRNN, tasks } = require('lowrank-rnn');
const model = new FullRankRNN({ size: 16, inputs: 1, outputs: 1, seed: 2 });
model.simulate(tasks.dm().sample(2, { seed: 1 }).inputs, { drawNoise: false }).then((s) => console.log(JSON.stringify({ shape: s.states.shape })));
`;
const TS = `import { LowRankRNN, TRAIN_DEFAULTS, type TrainOptions, type Tensor } from 'lowrank-rnn';
const model = new LowRankRNN({ size: 8, rank: 2 });
const options: TrainOptions = { epochs: TRAIN_DEFAULTS.epochs, heldOut: 0.1 };
const t: Tensor = model.param('m');
// @ts-expect-error the native handle is internal: not in the published types
model.handle;
// @ts-expect-error a misspelt option is a type error
new LowRankRNN({ size: 8, rnak: 2 });
export { options, t };
`;

/** Installs `tarball` into a fresh project and runs the three consumers and `npx lowrank info` there. */
function consume(tarball: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lowrank-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  npm(['install', tarball, '@types/node@20'], dir);
  writeFileSync(join(dir, 'esm.mjs'), ESM);
  writeFileSync(join(dir, 'cjs.cjs'), CJS);
  writeFileSync(join(dir, 'index.ts'), TS);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['index.ts'] }));
  const node = (file: string) => JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOWRANK_NATIVE_PATH: '' } }).trim().split('\n').pop()!);
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  const info = JSON.parse(execFileSync('npx', ['lowrank', 'info'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOWRANK_NATIVE_PATH: '' } }));
  const benchList = execFileSync('npx', ['lowrank', 'bench', '--list'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOWRANK_NATIVE_PATH: '' } });
  return { dir, esm: node('esm.mjs'), cjs: node('cjs.cjs'), tsc, info, benchList };
}

const packageTest = process.env.LOWRANK_PACKAGE_TEST === '1';
describe.skipIf(!packageTest)('installed from the packed tarball (LOWRANK_PACKAGE_TEST=1; run npm run build:prebuilds first)', () => {
  let tarball: string;
  let work: string;
  beforeAll(() => {
    expect(existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'manifest.json')), 'run npm run build:prebuilds first').toBe(true);
    work = mkdtempSync(join(tmpdir(), 'lowrank-pack-'));
    const [pack] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as { filename: string }[];
    tarball = join(work, pack.filename);
  });

  test('with the prebuilt binaries: no build, every consumer works, info names the prebuilt binary', { timeout: 600_000 }, () => {
    const r = consume(tarball);
    expect(r.esm).toMatchObject({ epochs: 2, same: true, origin: 'prebuilt' });
    expect(r.esm.binary).toMatch(/prebuilds\/linux-x64\/lowrank-napi8-x86-64-v3(-cuda)?\.node$/);
    expect(r.cjs).toEqual({ shape: [2, 75 + 1, 16] });
    expect(r.tsc.status, r.tsc.stdout + r.tsc.stderr).toBe(0);
    expect(r.info.loader.origin).toBe('prebuilt');
    expect(r.info.loader.reason).toMatch(/prebuilt for linux-x64/);
    // LAPACK is loaded at run time (CI installs libopenblas0), and the benchmarks ship with the package
    expect(r.info.lapack).toMatchObject({ loaded: true, mode: 'auto' });
    expect(r.benchList).toMatch(/^training-step +one training step/m);
    expect(r.benchList).toMatch(/^eigensolves +dense eigenvalues/m);
    expect(existsSync(join(r.dir, 'node_modules', 'lowrank-rnn', 'build', 'Release', 'lowrank.node'))).toBe(false);
  });

  test('without them: the install builds from source with node-gyp, and every consumer works', { timeout: 900_000 }, () => {
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
    const bare = join(work, 'lowrank-rnn-no-prebuilds.tgz');
    execFileSync('tar', ['czf', bare, '-C', unpacked, 'package']);
    const r = consume(bare);
    expect(r.esm).toMatchObject({ epochs: 2, same: true, origin: 'source-build' });
    expect(r.cjs).toEqual({ shape: [2, 75 + 1, 16] });
    expect(r.tsc.status, r.tsc.stdout + r.tsc.stderr).toBe(0);
    expect(r.info.loader.origin).toBe('source-build');
    expect(r.info.lapack).toMatchObject({ loaded: true, mode: 'auto' });
    expect(r.benchList).toMatch(/^eigensolves /m);
    expect(JSON.parse(readFileSync(join(r.dir, 'node_modules', 'lowrank-rnn', 'package.json'), 'utf8')).name).toBe('lowrank-rnn');
  });
});
