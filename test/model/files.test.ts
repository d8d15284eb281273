// Model files: round trips, numpy interop, reference files without config, and clear errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN } from '../../ts/index.js';
import { loadModel, saveModel } from '../../ts/model/files.js';
import { loadNpz, saveNpz, toStringScalar } from '../../ts/io/index.js';
import { randomTensor } from '../support/models.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-model-'));
const python = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const hasNumpy = python.status === 0;

function py(code: string): string {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe('saveModel / loadModel', () => {
  test('a low-rank model round-trips with its config and gives the same simulation', async () => {
    const model = new LowRankRNN({ size: 30, rank: 2, inputs: 3, outputs: 2, noise: 0.03, alpha: 0.1, activation: 'softplus', seed: 4, train: { wi: true }, biases: true });
    const file = join(dir, 'lr.npz');
    await saveModel(file, model);
    const again = await loadModel(file);
    expect(again.config).toEqual(model.config);
    const inputs = randomTensor([2, 10, 3], 1, 1, 'float32');
    const a = await model.simulate(inputs, { seed: 3 });
    const b = await again.simulate(inputs, { seed: 3 });
    expect(Array.from(b.states!.data)).toEqual(Array.from(a.states!.data));
  });

  test('a full-rank model keeps Dale signs and its mask', async () => {
    const N = 12;
    const mask = new Uint8Array(N * N).map((_, i) => (i % 4 === 0 ? 0 : 1));
    const model = new FullRankRNN({ size: N, inputs: 2, outputs: 1, seed: 2, dale: { excitatory: 0.75 }, mask, noAutapse: true });
    const file = join(dir, 'fr.npz');
    await saveModel(file, model, { compress: true });
    const again = (await loadModel(file)) as FullRankRNN;
    expect(again.config.daleSigns).toEqual(model.config.daleSigns);
    expect(Array.from(again.connectivityMask!)).toEqual(Array.from(mask));
    expect(Array.from(again.param('wrec').data)).toEqual(Array.from(model.param('wrec').data));
  });

  test.skipIf(!hasNumpy)('numpy reads the arrays and the JSON config', async () => {
    const model = new LowRankRNN({ size: 8, rank: 1, inputs: 2, outputs: 1, seed: 1 });
    const file = join(dir, 'np.npz');
    await saveModel(file, model);
    const out = py(`import numpy as np, json; f = np.load(${JSON.stringify(file)}); c = json.loads(str(f['config'])); print(c['kind'], c['size'], f['m'].shape, f['wi'].shape, f['m'].dtype, float(f['m'][3,0]))`);
    const [kind, size, mShape, wiShape, dtype, value] = out.split(' ').reduce<string[]>((acc, tok) => {
      if (acc.length > 0 && acc[acc.length - 1].endsWith(',')) acc[acc.length - 1] += tok;
      else acc.push(tok);
      return acc;
    }, []);
    expect([kind, size, mShape, wiShape, dtype]).toEqual(['lowrank', '8', '(8,1)', '(2,8)', 'float32']);
    expect(Number(value)).toBe(model.param('m').data[3]);
  });

  test.skipIf(!hasNumpy)('a reference file written by numpy without config loads (float64, reference defaults)', async () => {
    const file = join(dir, 'ref.npz');
    py(`import numpy as np
rng = np.random.default_rng(0)
N, R, K, O = 20, 2, 4, 1
np.savez(${JSON.stringify(file)}, m=rng.normal(size=(N, R)), n=rng.normal(size=(N, R)), wi=rng.normal(size=(K, N)), si=np.ones(K), wo=rng.normal(size=(N, O)) * 4, so=np.ones(O) * 2.0, h0=np.zeros(N))`);
    const model = await loadModel(file, { noise: 0.05 });
    expect(model.config.kind).toBe('lowrank');
    expect(model.config.rank).toBe(2);
    expect(model.config.inputs).toBe(4);
    expect(model.config.alpha).toBe(0.2);
    expect(model.config.noise).toBe(0.05);
    expect(model.param('so').data[0]).toBe(2);
    expect(model.param('b').data.every((v) => v === 0)).toBe(true);
  });

  test.skipIf(!hasNumpy)('missing and mis-shaped arrays are clear errors', async () => {
    const missing = join(dir, 'missing.npz');
    py(`import numpy as np; np.savez(${JSON.stringify(missing)}, m=np.zeros((5,1)), n=np.zeros((5,1)), wi=np.zeros((1,5)))`);
    await expect(loadModel(missing)).rejects.toThrow(/needs arrays 'wo', which are missing/);
    const shaped = join(dir, 'shaped.npz');
    py(`import numpy as np; np.savez(${JSON.stringify(shaped)}, m=np.zeros((5,1)), n=np.zeros((6,1)), wi=np.zeros((1,5)), wo=np.zeros((5,1)))`);
    await expect(loadModel(shaped)).rejects.toThrow(/array 'n' has shape \[6, 1\]; expected \[5, 1\]/);
    const other = join(dir, 'other.npz');
    py(`import numpy as np; np.savez(${JSON.stringify(other)}, x=np.zeros(3))`);
    await expect(loadModel(other)).rejects.toThrow(/not a model file/);
  });

  test('a corrupt file is an error naming the file', async () => {
    const file = join(dir, 'corrupt.npz');
    writeFileSync(file, Buffer.from('PK\u0003\u0004 this is not a zip'));
    await expect(loadModel(file)).rejects.toThrow(/corrupt\.npz/);
  });

  test("the file has the results format's meta entry, of kind 'model'", async () => {
    const model = new LowRankRNN({ size: 6, rank: 1, seed: 1 });
    const file = join(dir, 'meta.npz');
    await saveModel(file, model);
    const arrays = await loadNpz(file);
    const meta = JSON.parse(toStringScalar(arrays.meta, 'meta'));
    expect(meta).toMatchObject({ kind: 'model', formatVersion: 1, package: 'lowrank-rnn' });
    expect(Object.keys(arrays).sort()).toEqual(['b', 'config', 'h0', 'm', 'meta', 'n', 'si', 'so', 'wi', 'wo']);
  });

  test('every config field survives: train flags, noAutapse, Dale signs, mask, rho', async () => {
    const N = 6;
    const mask = new Uint8Array(N * N).fill(1);
    mask[7] = 0;
    const model = new FullRankRNN({ size: N, inputs: 2, outputs: 2, seed: 3, rho: 1.5, dale: Int8Array.of(1, 1, -1, 1, -1, -1), mask, noAutapse: true, train: { wrec: false, wo: true, h0: true, b: true }, formulation: 'rate', activation: 'relu', slope: 0.1, alpha: 0.5, noise: 0.02 });
    const file = join(dir, 'all.npz');
    await saveModel(file, model);
    const again = (await loadModel(file)) as FullRankRNN;
    expect(again.config).toEqual(model.config);
    expect(again.config.train).toEqual({ m: false, n: false, wrec: false, wi: false, si: true, wo: true, so: false, h0: true, b: true });
    expect(Array.from(again.connectivityMask!)).toEqual(Array.from(mask));
    expect(again.options()).toMatchObject({ rho: 1.5, noAutapse: true, formulation: 'rate' });
  });

  test('a file written before the meta entry (config only) still loads', async () => {
    const model = new LowRankRNN({ size: 8, rank: 2, inputs: 2, outputs: 1, seed: 5, train: { wi: true } });
    const file = join(dir, 'old.npz');
    await saveNpz(file, { ...model.params(), config: JSON.stringify(model.config) });
    const again = await loadModel(file);
    expect(again.config).toEqual(model.config);
    expect(Array.from(again.param('n').data)).toEqual(Array.from(model.param('n').data));
  });

  test('a config of an unknown kind is an error, not a full-rank net', async () => {
    const model = new FullRankRNN({ size: 5, seed: 1 });
    const file = join(dir, 'kind.npz');
    await saveNpz(file, { ...model.params(), config: JSON.stringify({ ...model.config, kind: 'sparse' }) });
    await expect(loadModel(file)).rejects.toThrow(/kind\.npz: unknown model kind 'sparse'; a model is one of 'lowrank', 'fullrank'/);
  });

  test('overrides are checked against the kind of net in the file', async () => {
    const file = join(dir, 'over.npz');
    await saveModel(file, new LowRankRNN({ size: 5, rank: 1, seed: 1 }));
    // @ts-expect-error misspelt on purpose
    await expect(loadModel(file, { nosie: 0.1 })).rejects.toThrow(/loadModel: unknown option 'nosie'/);
    await expect(loadModel(file, { dale: { excitatory: 0.5 } })).rejects.toThrow(/loadModel: option 'dale' does not apply here: Dale's law/);
    // @ts-expect-error not an override on purpose
    await expect(loadModel(file, { rank: 2 })).rejects.toThrow(/loadModel: option 'rank' does not apply here: the rank is read from the file/);
    expect((await loadModel(file, { noise: 0.1, dtype: 'float64' })).config.noise).toBe(0.1);
  });

  test('another result kind is refused', async () => {
    const file = join(dir, 'table.npz');
    const model = new LowRankRNN({ size: 5, rank: 1, seed: 1 });
    await saveNpz(file, { ...model.params(), config: JSON.stringify(model.config), meta: JSON.stringify({ kind: 'table', formatVersion: 1 }) });
    await expect(loadModel(file)).rejects.toThrow(/holds a table result; expected model or checkpoint or fit/);
  });
});
