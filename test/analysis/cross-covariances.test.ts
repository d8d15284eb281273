// crossCovariances (native, native/core/covariance.cpp) against numpy side by side, float32 and float64 input.
import { describe, expect, test } from 'vitest';
import { crossCovariances } from '../../ts/analysis/index.js';
import { randomTensor } from '../support/models.js';
import { pythonWith, runPython } from '../support/python.js';

const numpy = pythonWith(['numpy']);

const NUMPY = `import sys, json, numpy as np
B, T, N, lags = map(int, sys.argv[1:5]); x = np.array(json.loads(sys.argv[5]), dtype=np.float64).reshape(B, T, N)
c = x - x.reshape(-1, N).mean(axis=0)
out = [sum(c[b, :T - d].T @ c[b, d:] for b in range(B)) / (B * (T - d)) for d in range(lags)]
out[0] = (out[0] + out[0].T) / 2
print(json.dumps(np.array(out).ravel().tolist()))`;

describe('crossCovariances', () => {
  test.skipIf(!numpy.available)(`trials [B, T, N] against numpy, float64 and float32, any thread count (${numpy.reason})`, async () => {
    const [B, T, N, lags] = [3, 40, 9, 5];
    for (const dtype of ['float64', 'float32'] as const) {
      const x = randomTensor([B, T, N], 4, 1, dtype);
      const ref: number[] = JSON.parse(runPython(NUMPY, [B, T, N, lags].map(String).concat(JSON.stringify(Array.from(x.data)))));
      for (const threads of [1, 3]) {
        const cov = await crossCovariances(x, lags, { threads });
        expect(cov.shape).toEqual([lags, N, N]);
        expect(cov.data).toBeInstanceOf(Float64Array);
        let worst = 0;
        for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(cov.data[k] - ref[k]));
        expect(worst, `${dtype}, ${threads} threads`).toBeLessThan(1e-12);
      }
    }
  });

  test('a single series [T, N] is one trial; bad input names the argument', async () => {
    const x = randomTensor([30, 4], 2);
    const one = await crossCovariances(x, 3);
    const batched = await crossCovariances({ data: x.data, shape: [1, 30, 4] }, 3);
    expect(Array.from(one.data)).toEqual(Array.from(batched.data));
    await expect(crossCovariances({ data: Float64Array.of(1, NaN, 2, 3), shape: [2, 2] }, 1)).rejects.toThrow(/x.*NaN/);
    await expect(crossCovariances(x, 2, { threads: -1 } as object)).rejects.toThrow(/crossCovariances: option 'threads'/);
    await expect(crossCovariances(x, 2, { thread: 1 } as object)).rejects.toThrow(/unknown option 'thread'/);
  });
});
