// The size checks of ts/core/size.ts: the largest count that fits, computed by hand, and the messages that say what a
// request would take.
import { totalmem } from 'node:os';
import { describe, expect, test } from 'vitest';
import { checkAllocation, checkCount, formatBytes, maxCount, MAX_ARRAY_VALUES, memoryLimit } from '../../ts/core/size.js';

describe('size checks', () => {
  test('formatBytes writes decimal units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4.096e12)).toBe('4.1 TB');
    expect(formatBytes(20e9)).toBe('20 GB');
    expect(formatBytes(1500)).toBe('1.5 kB');
  });

  test('maxCount is the smaller of the per-array and the memory bound', () => {
    expect(memoryLimit()).toBe(0.8 * totalmem());
    // N = 512 float64 per item: the array bound is 2^30 / 512 = 2097152; the memory bound is 0.8 totalmem / 4096.
    const byArray = 2 ** 30 / 512;
    const byMemory = Math.floor((0.8 * totalmem()) / (512 * 8));
    expect(maxCount({ values: 512, what: 'x' })).toBe(Math.min(byArray, byMemory));
    // Extra bytes per item in other arrays lower only the memory bound.
    expect(maxCount({ values: 1, bytes: 4, otherBytes: 996, what: 'x' })).toBe(Math.min(MAX_ARRAY_VALUES, Math.floor((0.8 * totalmem()) / 1000)));
  });

  test('checkCount passes what fits and names the option, the count, the memory and the limit otherwise', () => {
    const item = { values: 512, what: 'initial states x N=512 float64' };
    expect(checkCount('fixedPoints', 'count', 64, item)).toBe(64);
    const max = maxCount(item);
    expect(checkCount('fixedPoints', 'count', max, item)).toBe(max);
    expect(() => checkCount('fixedPoints', 'count', max + 1, item)).toThrow(RangeError);
    expect(() => checkCount('fixedPoints', 'count', 1e9, item)).toThrow(
      new RegExp(`^fixedPoints: option 'count' 1000000000 initial states x N=512 float64 would need 4\\.1 TB; at most ${max} fit`),
    );
    expect(() => checkCount('dm.sample', 'batch', 1e12, { values: 75, bytes: 4, what: 'trials' }, 'argument')).toThrow(/^dm\.sample: argument 'batch' 1000000000000 trials/);
  });

  test('checkAllocation refuses an array past 2^30 values or a request past the memory limit', () => {
    expect(() => checkAllocation('zeros', 'a tensor of shape [1024, 1024]', 2 ** 20)).not.toThrow();
    expect(() => checkAllocation('zeros', 'a tensor of shape [1000000, 1000000]', 1e12)).toThrow(/^zeros: a tensor of shape \[1000000, 1000000\] would need 8\.0 TB \(1000000000000 values\)/);
    expect(() => checkAllocation('x', 'arrays', 2 ** 29, 8, Math.ceil(memoryLimit() / 8) + 1)).toThrow(RangeError);
  });
});
