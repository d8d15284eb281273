// Loads the built package (dist/, ESM and CJS) against the binary named by LOWRANK_NATIVE_PATH and runs a
// simulation whose first step is checked against the model equation computed here.
import { createRequire } from 'node:module';

const esm = await import('../../dist/index.js');
const cjs = createRequire(import.meta.url)('../../dist/index.cjs');
for (const [label, lib] of [['esm', esm], ['cjs', cjs]]) {
  const info = lib.backendInfo();
  const model = new lib.LowRankRNN({ size: 8, rank: 1, inputs: 1, outputs: 1, seed: 3, dtype: 'float64' });
  const p = model.params();
  const u = 0.5;
  const sim = await model.simulate({ data: new Float64Array([u]), shape: [1, 1, 1] }, { drawNoise: false });
  // x_1 = x_0 + alpha (-x_0 + m n^T tanh(x_0) / N + si wi u) with x_0 = 0
  let maxErr = 0;
  for (let i = 0; i < 8; i++) {
    const expected = 0.2 * (p.si.data[0] * p.wi.data[i] * u);
    maxErr = Math.max(maxErr, Math.abs(sim.states.data[8 + i] - expected));
  }
  if (maxErr > 1e-12) throw new Error(`${label}: first step differs from the equation by ${maxErr}`);
  model.dispose();
  console.log(`smoke ${label}: ${info.binary} (compiled: ${info.compiled.join(', ')}; backend ${info.backend}) ok`);
}
