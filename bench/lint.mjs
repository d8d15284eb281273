// Reproduces the LINT paper's numbers (shared/reference/lint_reference.md §8) and prints the tables of docs/lint.md.
//
//   node bench/lint.mjs                       every section (about an hour on the 2-core machine)
//   node bench/lint.mjs table1 dms            some sections: table1, cdm, dms, subsampling
//   node bench/lint.mjs --epochs 100          shorter fits (default 500, the reference many-fit count)
//   node bench/lint.mjs --draws 3             fewer neuron draws per subsampling fraction (default 10)
//   node bench/lint.mjs --retrain             retrain the teachers instead of reusing bench/out/teachers/*.npz
//
// Teachers are trained with the recipes of bench/recipes.mjs (the reference ones) and cached in bench/out/teachers.
// Results also go to bench/out/lint-<section>.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lint, loadModel, saveModel, tasks } from '../dist/index.js';
import { recipes } from './recipes.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const epochs = value('--epochs', 500);
const valueFlags = ['--epochs', '--draws'];
const sections = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valueFlags.includes(args[i - 1])));
const wanted = (s) => sections.length === 0 || sections.includes(s);
const outDir = join(import.meta.dirname, 'out');
const teacherDir = join(outDir, 'teachers');
mkdirSync(teacherDir, { recursive: true });

const f3 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3));
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(0);

/** The teacher of a recipe, trained once and cached (its task comes back with it). */
async function teacher(key) {
  const path = join(teacherDir, `${key}.npz`);
  const taskOf = { dm: () => tasks.dm(), wm: () => tasks.wm(), cdm: () => tasks.cdm(), dms: () => tasks.dms(), cdmTeacher: () => tasks.cdm(), dmsTeacher: () => tasks.dms() };
  if (existsSync(path) && !flag('--retrain')) return { model: await loadModel(path), task: taskOf[key]() };
  const t0 = performance.now();
  const { model, task } = await recipes[key].run();
  await saveModel(path, model);
  console.error(`trained teacher ${key} in ${seconds(t0)} s`);
  return { model, task };
}

function save(section, rows) {
  writeFileSync(join(outDir, `lint-${section}.json`), JSON.stringify({ epochs, rows }, null, 1));
}

if (wanted('table1')) {
  // lint_reference.md §8: N = 512 low-rank teacher -> student, R² on rates of validation trials including t = 0
  const published = { dm: [0.984, 0.506, 0.988], wm: [0.958, 0.427, 0.929], cdm: [0.925, 0.572, 0.991], dms: [0.984, 0.392, '0.628 (buggy)'] };
  const ranks = { dm: 1, wm: 2, cdm: 1, dms: 2 };
  console.log(`\n### Table 1: low-rank teacher -> student (N = 512, ${epochs} epochs)\n`);
  console.log('| task | rank | R² | CC | ECC | accuracy (teacher readout) | teacher accuracy | published R² / CC / ECC | fit time |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const rows = [];
  for (const key of ['dm', 'wm', 'cdm', 'dms']) {
    const { model, task } = await teacher(key);
    const t0 = performance.now();
    const r = await lint.fitTeacher(model, { task, rank: ranks[key], epochs, seed: 1 });
    const row = { task: key, rank: ranks[key], r2: r.r2.global, cc: r.cc, ecc: r.ecc, accuracy: r.accuracy, teacherAccuracy: r.teacherAccuracy, seconds: Number(seconds(t0)) };
    rows.push(row);
    console.log(`| ${key.toUpperCase()} | ${row.rank} | ${f3(row.r2)} | ${f3(row.cc)} | ${f3(row.ecc)} | ${f3(row.accuracy)} | ${f3(row.teacherAccuracy)} | ${published[key].join(' / ')} | ${row.seconds} s |`);
    r.fit.model.dispose();
    model.dispose();
  }
  save('table1', rows);
}

/** Fits at each rank and SVD truncations at each rank of a full-rank teacher, scored on rates (and truncations on x). */
async function fullRankSweep(section, key, ranks, published) {
  const { model, task } = await teacher(key);
  console.log(`\n### ${section}: full-rank ${key} (N = ${model.size}) fitted at ranks ${ranks.join(', ')}, ${epochs} epochs\n`);
  console.log('| rank | fit R² (rates) | fit accuracy | truncation R² (rates) | truncation R² (x) | truncation accuracy | published fit R² / truncation R² (x) | fit time |');
  console.log('|---|---|---|---|---|---|---|---|');
  const onRates = await lint.truncationBaseline(model, { task, ranks, seed: 1 });
  const onStates = await lint.truncationBaseline(model, { task, ranks, seed: 1, on: 'states' });
  const rows = [];
  for (const [i, rank] of ranks.entries()) {
    const t0 = performance.now();
    const r = await lint.fitTeacher(model, { task, rank, epochs, seed: 1 });
    const row = { rank, fitR2: r.r2.global, fitAccuracy: r.accuracy, truncationR2: onRates[i].r2.global, truncationR2States: onStates[i].r2.global, truncationAccuracy: onRates[i].accuracy, teacherAccuracy: r.teacherAccuracy, seconds: Number(seconds(t0)) };
    rows.push(row);
    console.log(`| ${rank} | ${f3(row.fitR2)} | ${f3(row.fitAccuracy)} | ${f3(row.truncationR2)} | ${f3(row.truncationR2States)} | ${f3(row.truncationAccuracy)} | ${published[i] ?? '-'} | ${row.seconds} s |`);
    r.fit.model.dispose();
  }
  console.log(`\nteacher accuracy on the validation trials: ${f3(rows[0].teacherAccuracy)}`);
  model.dispose();
  save(section, rows);
}

if (wanted('cdm')) {
  // Our teacher has rho = 1: the many-fit batch 3 (rho = 1.0) gives fitted R² .854 .884 .908 .925 .934, truncated R²
  // about 0; the single rho = 0.1 teacher of data/mante_fit_result.npz gives .909 .923 .936 .936 .937 and, on x,
  // -2.24 -.46 -.02 .26 .04.
  await fullRankSweep('cdm', 'cdmTeacher', [1, 2, 3, 4, 5], ['0.854 / ≈ 0 (0.909 / -2.24)', '0.884 / ≈ 0 (0.923 / -0.46)', '0.908 / ≈ 0 (0.936 / -0.02)', '0.925 / ≈ 0 (0.936 / 0.26)', '0.934 / ≈ 0 (0.937 / 0.04)']);
}

if (wanted('dms')) {
  // many-fit DMS b1 (rho .8): fitted R² .63 .94 .99; truncated R² -.82 -.16 -.04; accuracy .75 .97 1
  await fullRankSweep('dms', 'dmsTeacher', [1, 2, 3], ['0.63 / -0.82', '0.94 / -0.16', '0.99 / -0.04']);
}

if (wanted('subsampling')) {
  const published = { 1: ['0.912', '0.953'], 0.2: ['0.907', '0.899'], 0.05: ['0.889', '0.742'], 0.01: ['0.760', '0.309'] };
  const { model, task } = await teacher('cdmTeacher');
  const draws = value('--draws', 10);
  console.log(`\n### Subsampling: full-rank CDM teacher (N = ${model.size}), rank-1 vs full-rank students, ${draws} draws per fraction below 1\n`);
  const t0 = performance.now();
  const rows = await lint.subsampling(model, {
    task,
    fractions: [1, 0.2, 0.05, 0.01],
    draws,
    seed: 1,
    onProgress: ({ row: r }) => console.error(`p = ${r.fraction} draw ${r.draw}: rank-1 R² ${f3(r.lowRank.r2)}, full-rank R² ${f3(r.fullRank.r2)} (${seconds(t0)} s)`),
  });
  console.log('| p | neurons | draws | rank-1 R² (mean ± sd) | rank-1 accuracy | full-rank R² (mean ± sd) | full-rank accuracy | published rank-1 / full-rank R² |');
  console.log('|---|---|---|---|---|---|---|---|');
  const stats = (xs) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    if (xs.length < 2) return f3(mean);
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    return `${f3(mean)} ± ${f3(sd)}`;
  };
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const p of [1, 0.2, 0.05, 0.01]) {
    const at = rows.filter((r) => r.fraction === p);
    console.log(`| ${p} | ${at[0].neurons.length} | ${at.length} | ${stats(at.map((r) => r.lowRank.r2))} | ${f3(mean(at.map((r) => r.lowRank.accuracy)))} | ${stats(at.map((r) => r.fullRank.r2))} | ${f3(mean(at.map((r) => r.fullRank.accuracy)))} | ${published[p].join(' / ')} |`);
  }
  save('subsampling', rows.map(({ neurons, ...r }) => ({ ...r, neurons: neurons.length })));
  model.dispose();
}
