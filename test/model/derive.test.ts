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
    expect(() => a.with({ size: 3 } as never)).toThrow(/'size' cannot change/);
  });
});
