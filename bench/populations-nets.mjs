// Trains (once) and caches the networks that bench/populations.mjs analyses, in bench/out/populations/:
//   cdm4096  CDM, rank 1, N = 4096, wi trained, context cue 0.5 (populations paper, fig. 4-6 settings)
//   dm       DM (populations constants), rank 1, N = 512
//   dms      DMS, rank 2, N = 512 (bench/recipes.mjs: full-rank priming, SVD init, delay shaping)
//   wm, mdm  WM (LINT constants, rank 2) and MDM (populations constants, rank 1), N = 512 (bench/recipes.mjs)
//   cdmTeacher / cdmFit  the full-rank CDM teacher (N = 1024) and its rank-1 LINT fit (LINT CDM inactivations)
//
//   node bench/populations-nets.mjs [names...] [--threads 1] [--size 4096] [--fit-epochs 200]
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LowRankRNN, lint, loadModel, saveModel, tasks, train } from '../dist/index.js';
import { recipes } from './recipes.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const valueFlags = ['--threads', '--size', '--fit-epochs'];
const names = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valueFlags.includes(args[i - 1])));
const threads = value('--threads', 1);
const size = value('--size', 4096);
const fitEpochs = value('--fit-epochs', 200);
export const netDir = join(import.meta.dirname, 'out', 'populations');
mkdirSync(netDir, { recursive: true });

/** The task (name and options) each cached net was trained on; its file records them (meta.task, meta.taskOptions). */
const trainedOn = {
  cdm4096: ['cdm', { scaleCtx: 0.5 }],
  dm: ['dm', { preset: 'populations' }],
  dms: ['dms', {}],
  wm: ['wm', {}],
  mdm: ['mdm', { preset: 'populations' }],
  cdmTeacher: ['cdm', {}],
  cdmFit: ['cdm', {}],
};

/** The task each cached net was trained on. */
export const taskOf = Object.fromEntries(Object.entries(trainedOn).map(([net, [name, options]]) => [net, () => tasks.byName(name, options)]));

const builders = {
  async cdm4096() {
    const task = taskOf.cdm4096();
    const model = new LowRankRNN({ size, rank: 1, inputs: 4, outputs: 1, noise: 0.05, seed: 1, threads, train: { wi: true } });
    await train(model, task, { epochs: 100, lr: 1e-2, clip: 0.1, earlyStop: 0.01, seed: 1 });
    return model;
  },
  async dm() {
    const task = taskOf.dm();
    const model = new LowRankRNN({ size: 512, rank: 1, inputs: 1, outputs: 1, noise: 0.05, seed: 1, threads });
    await train(model, task, { epochs: 20, lr: 5e-3, seed: 1 });
    return model;
  },
  async dms() {
    return (await recipes.dms.run()).model;
  },
  async wm() {
    return (await recipes.wm.run()).model;
  },
  async mdm() {
    return (await recipes.mdmPopulations.run()).model;
  },
  async cdmTeacher() {
    return (await recipes.cdmTeacher.run()).model;
  },
  async cdmFit() {
    const teacher = await cached('cdmTeacher');
    const r = await lint.fitTeacher(teacher, { task: taskOf.cdmTeacher(), rank: 1, epochs: fitEpochs, seed: 1 });
    console.error(`cdmFit: R² ${r.r2.global.toFixed(3)}, accuracy ${r.accuracy}`);
    // the student fits rates; it reads out through the teacher's readout (as LINT scores it)
    return lint.withTeacherReadout(r.fit.model, teacher);
  },
};

/** A cached net, trained on first use. */
export async function cached(name) {
  const path = join(netDir, `${name}.npz`);
  if (existsSync(path)) return loadModel(path);
  const t0 = performance.now();
  const model = await builders[name]();
  const task = taskOf[name]();
  const sim = await model.simulate(task.sample(400, { seed: 99 }).inputs, { states: false, outputs: true });
  const acc = task.accuracy(sim.outputs, task.sample(400, { seed: 99 }));
  await saveModel(path, model, { meta: { task: trainedOn[name][0], taskOptions: trainedOn[name][1] } });
  console.error(`trained ${name} in ${((performance.now() - t0) / 1000).toFixed(0)} s, accuracy ${acc.toFixed(3)}`);
  return model;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const name of names.length ? names : Object.keys(builders)) (await cached(name)).dispose();
}
