// The reference training recipes of the task networks (shared/reference/lint_reference.md §3), shared by
// bench/accuracy.mjs (the accuracies of docs/training.md) and bench/lint.mjs (the teachers of docs/lint.md).
import { FullRankRNN, LowRankRNN, lowRankFromFullRank, tasks, train } from '../dist/index.js';

const lowRank = (task, size, rank, extra = {}) =>
  new LowRankRNN({ size, rank, inputs: task.inputSize, outputs: task.outputSize, noise: 0.05, seed: 1, ...extra });
const fullRank = (task, size, extra = {}) =>
  new FullRankRNN({ size, inputs: task.inputSize, outputs: task.outputSize, noise: 0.05, seed: 1, ...extra });

/** A row trained by one train() call. */
function simple(makeTask, makeModel, options) {
  return async () => {
    const task = makeTask();
    const model = makeModel(task);
    const r = await train(model, task, { seed: 1, ...options });
    return { model, task, epochs: r.epochs.length };
  };
}

/** Each recipe: how the reference trains it, as one function returning { model, task, epochs }. */
export const recipes = {
  dm: {
    label: 'DM (lint constants)', model: 'rank 1, N = 512', target: '1.0',
    run: simple(() => tasks.dm(), (t) => lowRank(t, 512, 1), { epochs: 20, lr: 5e-3 }),
  },
  cdm: {
    label: 'CDM', model: 'rank 1, N = 512, wi trained', target: '>= 0.98',
    run: simple(() => tasks.cdm(), (t) => lowRank(t, 512, 1, { train: { wi: true } }), { epochs: 100, lr: 1e-2, clip: 0.1, earlyStop: 0.01 }),
  },
  mdm: {
    label: 'MDM (lint constants)', model: 'rank 1, N = 512', target: '(1.0 in [P])',
    run: simple(() => tasks.mdm(), (t) => lowRank(t, 512, 1), { epochs: 30, lr: 1e-2, clip: 0.1, earlyStop: 0.01 }),
  },
  mdmPopulations: {
    label: 'MDM (populations constants)', model: 'rank 1, N = 512', target: '1.0 [P]',
    run: simple(() => tasks.mdm({ preset: 'populations' }), (t) => lowRank(t, 512, 1), { epochs: 30, lr: 1e-2, clip: 0.1, earlyStop: 0.01 }),
  },
  wm: {
    label: 'WM (Romo, lint constants)', model: 'rank 2, N = 512: full-rank priming 5 epochs, SVD init, 100 epochs', target: '>= 0.95',
    async run() {
      const task = tasks.wm();
      const full = fullRank(task, 512, { noise: 5e-3 });
      const r1 = await train(full, task, { epochs: 5, lr: 1e-2 / Math.sqrt(512), clip: 1, seed: 1 });
      const model = await lowRankFromFullRank(full, 2);
      const r2 = await train(model, task, { epochs: 100, lr: 1e-2, clip: 1, earlyStop: 1e-3, seed: 2 });
      return { model, task, epochs: r1.epochs.length + r2.epochs.length };
    },
  },
  dms: {
    label: 'DMS', model: 'rank 2, N = 512: full-rank priming, SVD init, delay shaping 0.7 / 1 / 3 s', target: '>= 0.95',
    async run() {
      const base = tasks.dms();
      const full = fullRank(base, 512, { rho: 0.8 });
      const r0 = await train(full, base.withMaxDelay(2000), { epochs: 50, lr: 1e-5, seed: 1 });
      const model = await lowRankFromFullRank(full, 2);
      let epochs = r0.epochs.length;
      const stages = [
        { maxDelay: 700, epochs: 100, lr: 1e-2, clip: 0.01, batchSize: 32 },
        { maxDelay: 1000, epochs: 50, lr: 1e-3, clip: 1, batchSize: 32 },
        { maxDelay: 3000, epochs: 40, lr: 1e-4, clip: 0, batchSize: 128 },
      ];
      for (const [i, s] of stages.entries()) {
        const r = await train(model, base.withMaxDelay(s.maxDelay), { epochs: s.epochs, lr: s.lr, clip: s.clip, batchSize: s.batchSize, earlyStop: 0.05, seed: 10 + i });
        epochs += r.epochs.length;
      }
      return { model, task: base, epochs };
    },
  },
  cdmTeacher: {
    label: 'CDM teacher', model: 'full-rank, N = 1024, wi and wo trained (many-fit settings)', target: '>= 0.98',
    run: simple(() => tasks.cdm(), (t) => fullRank(t, 1024, { train: { wi: true, wo: true } }), { epochs: 30, lr: 1e-4 }),
  },
  dmsTeacher: {
    label: 'DMS teacher', model: 'full-rank, N = 512, rho 0.8, wi and wo trained', target: '>= 0.98',
    run: simple(() => tasks.dms(), (t) => fullRank(t, 512, { rho: 0.8, train: { wi: true, wo: true } }), { epochs: 50, lr: 1e-4, clip: 1 }),
  },
  flipflop: {
    label: '3-bit flip-flop', model: 'full-rank, N = 100, noise 0.01', target: '(none given)',
    run: simple(() => tasks.flipflop(), (t) => fullRank(t, 100, { noise: 0.01 }), { epochs: 100, lr: 3e-3, clip: 1, trials: 400 }),
  },
  perception: {
    label: 'perception (seed 001)', model: 'ReLU rate net, full-rank, N = 100, rho 0.5, trained bias b', target: '(none given)',
    run: simple(() => tasks.perception(), (t) => fullRank(t, 100, { formulation: 'rate', activation: 'relu', rho: 0.5, biases: true }), { epochs: 100, lr: 1e-3 }),
  },
  decision: {
    label: 'decision (seed 001)', model: 'ReLU rate net, full-rank, N = 100, rho 0.5, trained bias b', target: '(none given)',
    run: simple(() => tasks.decision(), (t) => fullRank(t, 100, { formulation: 'rate', activation: 'relu', rho: 0.5, biases: true }), { epochs: 100, lr: 1e-3 }),
  },
};

