// model.with(): a derived model keeps every config field, the dtype and every parameter it does not replace.
import { describe, expect, it } from 'vitest';
import { FullRankRNN, LowRankRNN } from '../../ts/index.js';

describe('model.with', () => {
  it('keeps every config field and parameter of a full-rank net with Dale signs and a mask', () => {
    const N = 6;
    const mask = new Uint8Array(N * N).fill(1);
    mask[1] = 0;
    const a = new FullRankRNN({ size: N, inputs: 2, outputs: 3, noise: 0.1, alpha: 0.3, dale: { excitatory: 0.5 }, mask, noAutapse: true, train: { wo: true, h0: true }, dtype: 'float64', seed: 3 });
    const b = a.with({ noise: 0 });
    expect(b.config).toEqual({ ...a.config, noise: 0 });
    expect(b.dtype).toBe('float64');
    expect(b.connectivityMask).toEqual(a.connectivityMask);
    for (const name of a.paramNames) expect(b.param(name).data).toEqual(a.param(name).data);
  });

  it('replaces the parameters it is given and rejects a carried parameter whose shape changed', () => {
    const a = new LowRankRNN({ size: 5, rank: 2, inputs: 1, outputs: 1, seed: 1, dtype: 'float64' });
    const m = new Float64Array(10).fill(0.5);
    const b = a.with({ params: { m } });
    expect(Array.from(b.param('m').data)).toEqual(Array.from(m));
    expect(b.param('n').data).toEqual(a.param('n').data);
    expect(() => a.with({ outputs: 2 })).toThrow(/wo/);
    const c = a.with({ outputs: 2, params: { wo: new Float64Array(10), so: new Float64Array([1, 1]) } });
    expect(c.outputSize).toBe(2);
    expect(() => a.with({ size: 3 } as never)).toThrow(/model.with: option 'size' does not apply here: the size cannot change/);
  });

  it('checks its changes: unknown names, options of the other kind, what cannot change, parameter names', () => {
    const a = new LowRankRNN({ size: 5, rank: 2, seed: 1 });
    // @ts-expect-error misspelt on purpose
    expect(() => a.with({ nosie: 0 })).toThrow(/model.with: unknown option 'nosie'; valid options: inputs, .*params/);
    // @ts-expect-error a full-rank option on purpose
    expect(() => a.with({ dale: { excitatory: 0.5 } })).toThrow(/model.with: option 'dale' does not apply here: Dale's law and fixed masks apply to full-rank nets/);
    // @ts-expect-error not changeable on purpose
    expect(() => a.with({ seed: 2 })).toThrow(/model.with: option 'seed' does not apply here: the parameters are carried over/);
    expect(() => a.with({ params: { wrec: new Float64Array(25) } })).toThrow(/model.with: params: unknown option 'wrec'; valid options: m, n, wi, si, wo, so, h0, b/);
    expect(() => a.with({ noise: Number.NaN })).toThrow(/model.with: option 'noise' must be a finite number >= 0; got NaN/);
    const full = new FullRankRNN({ size: 4, seed: 1 });
    // @ts-expect-error a low-rank option on purpose
    expect(() => full.with({ rank: 2 })).toThrow(/model.with: option 'rank' does not apply here/);
  });

  it('options() rebuild the model: dtype, device, threads and train flags included', () => {
    const a = new LowRankRNN({ size: 6, rank: 2, inputs: 2, outputs: 1, dtype: 'float64', threads: 1, train: { wi: true, h0: true }, noAutapse: true, seed: 4 });
    const o = a.options();
    expect(o).toMatchObject({ size: 6, rank: 2, dtype: 'float64', threads: 1, device: a.device, noAutapse: true });
    expect(o.train).toEqual(a.config.train);
    const b = new LowRankRNN({ ...o, init: a.params() });
    expect(b.config).toEqual(a.config);
    expect(Array.from(b.param('m').data)).toEqual(Array.from(a.param('m').data));
  });
});
