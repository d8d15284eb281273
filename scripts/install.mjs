// npm's install step for lowrank-rnn. When the package is installed as a dependency, it checks that an addon loads
// here (a prebuilt binary that fits this platform, Node-API version and CPU, picked by the package's own loader);
// when none does, it builds one from the shipped sources with node-gyp (CPU only), and fails with what was tried and
// what is missing when that cannot be done. In a development checkout it does nothing (build with `npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, freemem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`lowrank-rnn: ${line}\n`);

/** The loader's verdict in a child process: { ok, binary, origin, reason } or { ok: false, message }. */
function probe() {
  const code = `
    const { backendInfo } = require(${JSON.stringify(join(root, 'dist', 'index.cjs'))});
    try { const i = backendInfo({ device: 'cpu' }); console.log(JSON.stringify({ ok: true, binary: i.binary, origin: i.loader.origin, reason: i.loader.reason })); }
    catch (e) { console.log(JSON.stringify({ ok: false, message: e.message })); }`;
  const env = { ...process.env };
  delete env.LOWRANK_NATIVE_PATH;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { ok: false, message: (r.stderr || r.stdout || `the probe exited with ${r.status}`).trim() };
  }
}

/** The tools node-gyp's build needs, each with the Debian package that provides it. */
const TOOLS = [
  { command: 'c++', args: ['--version'], apt: 'g++' },
  { command: 'make', args: ['--version'], apt: 'make' },
  { command: 'python3', args: ['--version'], apt: 'python3' },
  { command: 'pkg-config', args: ['--exists', 'eigen3'], apt: 'pkg-config libeigen3-dev' },
];

/** Parallel compiles for node-gyp: one per core, at most one per 1.5 GB of free memory (the Eigen-heavy sources take
 * up to about 1 GB each at -O3), at most 16; the user's own `--jobs` (npm_config_jobs, JOBS) wins. */
function compileJobs() {
  const byMemory = Math.floor(freemem() / 1.5e9);
  return Math.max(1, Math.min(availableParallelism(), byMemory, 16));
}

/** node-gyp's arguments: the running Node's own headers when they are installed beside it (no download needed), and
 * parallel compiles. */
function nodeGypArgs() {
  const args = ['rebuild'];
  if (!process.env.npm_config_jobs && !process.env.JOBS) args.push(`--jobs=${compileJobs()}`);
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  return args;
}

function sourceBuild() {
  const missing = TOOLS.filter((t) => spawnSync(t.command, t.args, { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) {
    return `the source build needs ${missing.map((t) => t.command === 'pkg-config' ? 'Eigen 3.4 (found through pkg-config)' : t.command).join(', ')}; ` +
      `install them (apt-get install -y ${[...new Set(TOOLS.map((t) => t.apt))].join(' ')}) and run: npm rebuild lowrank-rnn`;
  }
  const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  say('building the addon from source with node-gyp (CPU only; a few minutes)');
  const r = spawnSync(process.execPath, [nodeGyp, ...nodeGypArgs()], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) return `node-gyp failed (exit ${r.status ?? r.signal}); its errors are above. Fix them and run: npm rebuild lowrank-rnn`;
  return undefined;
}

function main() {
  if (existsSync(join(root, 'ts')) && existsSync(join(root, '.git'))) return; // a development checkout
  if (process.env.LOWRANK_SKIP_INSTALL === '1') return say('LOWRANK_SKIP_INSTALL=1: no binary checked or built');
  const before = probe();
  if (before.ok) return say(`using ${before.binary} (${before.reason})`);
  say(`no prebuilt binary loads here:\n  ${before.message.split('\n').join('\n  ')}`);
  const failure = sourceBuild();
  const after = failure ? undefined : probe();
  if (after?.ok) return say(`built from source: ${after.binary}`);
  say(failure ?? `the source build finished but its binary does not load:\n  ${after.message.split('\n').join('\n  ')}`);
  process.exitCode = 1;
}

main();
