// How long the long calls of the package keep the JavaScript thread from running its timers (the event-loop stall),
// at the sizes of issue 18: simulate of N = 512, B = 128, T = 300 with states and rates, .npz files of 79 MB stored
// and 50 MB deflated, a full-rank net of N = 2000 made, saved, loaded and derived.
//
//   node bench/event-loop.mjs [--dist DIR] [--repeats 3] [--json FILE]
//
// DIR is a built package (default: this checkout's dist/); run it once per build to compare two (set
// LOWRANK_NATIVE_PATH to each build's addon). Each call is measured `repeats` times with a 2 ms heartbeat timer:
// "stall" is the median of the longest gaps between its ticks (beyond the period), "own" the same with the time the
// thread waited for a CPU taken out (Linux schedstat; on a loaded machine the difference is the machine, not the
// package).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureStall } from './event-loop-probe.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dist = resolve(option('--dist', new URL('../dist', import.meta.url).pathname));
const repeats = Number(option('--repeats', '3'));
const jsonPath = option('--json', undefined);
const lib = await import(pathToFileURL(join(dist, 'index.js')).href);
const { FullRankRNN, LowRankRNN, loadModel, loadNpz, saveModel, saveNpz } = lib;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
async function row(name, make) {
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await measureStall(await make()));
  const r = {
    name,
    stallMs: median(runs.map((x) => x.gap)),
    ownMs: median(runs.map((x) => x.gap - x.queued)), // running or blocked
    seconds: median(runs.map((x) => x.seconds)),
  };
  rows.push(r);
  console.log(`${name.padEnd(44)} stall ${r.stallMs.toFixed(1).padStart(7)} ms   own ${r.ownMs.toFixed(1).padStart(7)} ms   call ${r.seconds.toFixed(2)} s`);
}

const dir = mkdtempSync(join(tmpdir(), 'lowrank-bench-event-loop-'));
try {
  console.log(`package: ${dist}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; repeats ${repeats}`);
  const N = 512, B = 128, T = 300;
  const model = new LowRankRNN({ size: N, rank: 2, inputs: 4, outputs: 1, noise: 0.05, seed: 1 });
  const inputs = { data: Float32Array.from({ length: B * T * 4 }, (_, i) => Math.sin(i)), shape: [B, T, 4] };
  let sim;
  await row('simulate N=512 B=128 T=300 states+rates', () => async () => (sim = await model.simulate(inputs, { rates: true })));
  await row('simulate, outputs only', () => () => model.simulate(inputs, { states: false }));
  const stored = join(dir, 'stored.npz');
  await row('saveNpz 79 MB stored', () => () => saveNpz(stored, { states: sim.states }));
  await row('loadNpz 79 MB stored', () => () => loadNpz(stored));
  const part = { data: sim.states.data.subarray(0, 80 * (T + 1) * N), shape: [80, T + 1, N] };
  const deflated = join(dir, 'deflated.npz');
  await row('saveNpz 50 MB deflated', () => () => saveNpz(deflated, { states: part }, { compress: true }));
  await row('loadNpz 50 MB deflated', () => () => loadNpz(deflated));
  let big;
  await row('new FullRankRNN({ size: 2000 })', () => () => {
    big?.dispose();
    big = new FullRankRNN({ size: 2000, seed: 4 });
  });
  const path = join(dir, 'big.npz');
  await row('saveModel N=2000 full-rank', () => () => saveModel(path, big));
  await row('loadModel N=2000 full-rank', () => async () => (await loadModel(path)).dispose());
  await row('model.with() N=2000 full-rank', async () => {
    await big.ready?.();
    return () => big.with({ noise: 0.1 }).dispose();
  });
  big.dispose();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ dist, loadavg: loadavg(), rows }, null, 2));
