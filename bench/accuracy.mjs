// Trains the reference task networks with the reference hyperparameters (shared/reference/lint_reference.md §3)
// and prints the table of docs/training.md: task, model, epochs run, wall time, held-out accuracy, target.
//
//   node bench/accuracy.mjs            all rows (about ten minutes on the 2-core machine)
//   node bench/accuracy.mjs dm cdm     only the rows whose key is named
import { recipes as rows } from './recipes.mjs';

async function heldOutAccuracy(model, task) {
  const batch = task.sample(500, { seed: 424242 });
  const sim = await model.simulate(batch.inputs, { seed: 99, states: false });
  return task.accuracy(sim.outputs, batch);
}

const wanted = process.argv.slice(2);
console.log('| task | model | epochs run | wall time | held-out accuracy | reference |');
console.log('|---|---|---|---|---|---|');
for (const [key, row] of Object.entries(rows)) {
  if (wanted.length && !wanted.includes(key)) continue;
  const t0 = performance.now();
  const { model, task, epochs } = await row.run();
  const seconds = (performance.now() - t0) / 1000;
  const acc = await heldOutAccuracy(model, task);
  console.log(`| ${row.label} | ${row.model} | ${epochs} | ${seconds.toFixed(1)} s | ${acc.toFixed(3)} | ${row.target} |`);
  model.dispose();
}
