// Repeats create -> train -> simulate -> fixed points -> save -> load -> dispose and prints, as one JSON line, the
// resident set size and V8's external memory (typed arrays' buffers) after each round, each after a full GC.
// Run with: node --expose-gc test/hardening-faults/memory-loop.mjs <dist/index.js> <scratch dir> <rounds>
import { join } from 'node:path';

const [pkgPath, dir, roundsArg] = process.argv.slice(2);
const { LowRankRNN, FullRankRNN, train, tasks, analysis, io, saveModel, loadModel } = await import(pkgPath);
const rounds = Number(roundsArg);
const task = tasks.dm();
const samples = [];
for (let round = 0; round < rounds; round++) {
  const models = [
    new LowRankRNN({ size: 256, rank: 2, inputs: task.inputSize, outputs: task.outputSize, seed: round, threads: 2 }),
    new FullRankRNN({ size: 128, inputs: task.inputSize, outputs: task.outputSize, seed: round, threads: 2 }),
  ];
  for (const model of models) {
    await train(model, task, { epochs: 1, trials: 64, batchSize: 32, seed: round });
    const sim = await model.simulate(task.sample(8, { seed: round }).inputs, { drawNoise: false });
    await analysis.fixedPoints(model, { from: sim.states, count: 8, adam: { maxIterations: 50 } });
    const file = join(dir, `round.npz`);
    await saveModel(file, model);
    const again = await loadModel(file);
    await io.saveNpy(join(dir, 'states.npy'), sim.states);
    await io.loadNpy(join(dir, 'states.npy'));
    again.dispose();
    model.dispose();
  }
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 10));
  globalThis.gc();
  const m = process.memoryUsage();
  samples.push({ rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed });
}
process.stdout.write(JSON.stringify(samples) + '\n');
