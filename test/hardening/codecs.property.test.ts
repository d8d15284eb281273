// Property-based tests (fast-check) of the file codecs: .npy and .npz round-trip arbitrary shapes, dtypes and values
// (NaN, -0 and the infinities bit for bit); result and model files round-trip; and arbitrary corruption of the bytes
// of any of them (flipped, truncated, inserted bytes, and files of random bytes) ends in a clear error or in a value,
// never in a crash or an internal error. Seeds are fixed so a failure replays; fast-check prints the counterexample.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { FullRankRNN, LowRankRNN, loadModel, saveModel } from '../../ts/index.js';
import { FileFormatError } from '../../ts/io/errors.js';
import { decodeNpy, encodeNpy, type NpyArray, type NpyDType } from '../../ts/io/npy.js';
import { decodeNpz, encodeNpz } from '../../ts/io/npz.js';
import { decodeMat } from '../../ts/recordings/mat.js';
import { loadResult, saveResult } from '../../ts/results/format.js';
import { clearErrorOf } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const params = (seed: number, numRuns: number) => ({ seed, numRuns });

// ------------------------------------------------------------------------------------------------ arbitraries

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const doubleArb = fc.oneof(fc.double(), fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE));
const floatArb = fc.oneof(fc.float(), fc.constantFrom(NaN, -0, Infinity, -Infinity));

/** An arbitrary array of any dtype the codec supports, with every edge value. */
const npyArrayArb: fc.Arbitrary<NpyArray> = fc
  .tuple(fc.constantFrom<NpyDType>('float32', 'float64', 'int32', 'int64', 'uint8', 'bool', 'unicode'), shapeArb)
  .chain(([dtype, shape]) => {
    const n = size(shape);
    const values = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: n, maxLength: n });
    switch (dtype) {
      case 'float64':
        return values(doubleArb).map((v) => ({ dtype, data: Float64Array.from(v), shape }) as NpyArray);
      case 'float32':
        return values(floatArb).map((v) => ({ dtype, data: Float32Array.from(v), shape }) as NpyArray);
      case 'int32':
        return values(fc.integer()).map((v) => ({ dtype, data: Int32Array.from(v), shape }) as NpyArray);
      case 'int64':
        return values(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((v) => ({ dtype, data: BigInt64Array.from(v), shape }) as NpyArray);
      case 'uint8':
        return values(fc.integer({ min: 0, max: 255 })).map((v) => ({ dtype, data: Uint8Array.from(v), shape }) as NpyArray);
      case 'bool':
        return values(fc.integer({ min: 0, max: 1 })).map((v) => ({ dtype, data: Uint8Array.from(v), shape }) as NpyArray);
      default:
        // numpy strips trailing NULs, so strings that end in one do not round-trip (numpy's behaviour too).
        return values(fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !s.endsWith('\0'))).map((v) => ({ dtype, data: v, shape }) as NpyArray);
    }
  });

/** Element-wise identity: Object.is for numbers (NaN, -0), === for bigints and strings. */
function sameArray(a: NpyArray, b: NpyArray): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = Array.from(a.data as ArrayLike<unknown>);
  const y = Array.from(b.data as ArrayLike<unknown>);
  return x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
}

/** A corruption of a byte string: flip bytes, cut it short, insert or delete a run. */
const corruptionArb = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => (b: Uint8Array) => {
    const out = Uint8Array.from(b);
    for (const [at, x] of flips) if (out.length > 0) out[at % out.length] ^= x;
    return out;
  }),
  fc.nat().map((cut) => (b: Uint8Array) => b.subarray(0, b.length === 0 ? 0 : cut % b.length)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, bytes]) => (b: Uint8Array) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Uint8Array.from([...b.subarray(0, i), ...bytes, ...b.subarray(i)]);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([at, n]) => (b: Uint8Array) => {
    const i = b.length === 0 ? 0 : at % b.length;
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)]);
  }),
);

/** Runs `decode`; passes when it returns or throws a clear error (the package's kinds, a message that is not vague). */
const decodesOrSaysWhy = (decode: () => unknown) => clearErrorOf(decode, [FileFormatError.name, 'RangeError', 'TypeError', 'Error']);

// ------------------------------------------------------------------------------------------------ .npy and .npz

describe('.npy', () => {
  test('round-trips every dtype, shape and value (NaN, -0, infinities bit for bit)', () => {
    fc.assert(
      fc.property(npyArrayArb, (a) => {
        expect(sameArray(decodeNpy(encodeNpy(a)), a)).toBe(true);
      }),
      params(19, 300),
    );
  });

  test('corrupt bytes give a FileFormatError that names the source, or a value', () => {
    fc.assert(
      fc.asyncProperty(npyArrayArb, corruptionArb, async (a, corrupt) => {
        const bytes = corrupt(encodeNpy(a));
        await decodesOrSaysWhy(() => decodeNpy(bytes, 'probe.npy'));
        try {
          decodeNpy(bytes, 'probe.npy');
        } catch (err) {
          if (err instanceof FileFormatError) expect(err.message).toMatch(/probe\.npy/);
        }
      }),
      params(20, 400),
    );
  });

  test('random bytes, and random bytes after the magic string, give clear errors', () => {
    fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 300 }), async (magic, tail) => {
        const bytes = magic ? Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, ...tail]) : tail;
        await decodesOrSaysWhy(() => decodeNpy(bytes, 'random.npy'));
      }),
      params(21, 300),
    );
  });
});

describe('.npz', () => {
  const namesArb = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_.]{0,8}$/), { minLength: 1, maxLength: 4 });
  const npzArb = namesArb.chain((names) => fc.tuple(...names.map(() => npyArrayArb)).map((arrays) => Object.fromEntries(names.map((n, i) => [n, arrays[i]]))));

  test('round-trips any set of arrays, stored or deflated', () => {
    fc.assert(
      fc.property(npzArb, fc.boolean(), (arrays, compress) => {
        const back = decodeNpz(encodeNpz(arrays, { compress }));
        expect(Object.keys(back).sort()).toEqual(Object.keys(arrays).sort());
        for (const [name, a] of Object.entries(arrays)) expect(sameArray(back[name], a), name).toBe(true);
      }),
      params(22, 150),
    );
  });

  test('corrupt archives give clear errors, or arrays', () => {
    fc.assert(
      fc.asyncProperty(npzArb, fc.boolean(), corruptionArb, async (arrays, compress, corrupt) => {
        const bytes = corrupt(encodeNpz(arrays, { compress }));
        await decodesOrSaysWhy(() => decodeNpz(bytes, 'probe.npz'));
      }),
      params(23, 300),
    );
  });
});

// ------------------------------------------------------------------------------------------------ result and model files

describe('result files', () => {
  const leaf = fc.oneof(doubleArb, fc.boolean(), fc.string({ maxLength: 8 }), fc.array(doubleArb, { minLength: 1, maxLength: 5 }).map((v) => Float64Array.from(v)));
  // Plain objects (fast-check's dictionaries have no prototype; results are plain objects).
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
  const group = fc.dictionary(key, leaf, { minKeys: 1, maxKeys: 3 }).map((d) => ({ ...d }));
  const resultArb = fc.dictionary(key, fc.oneof(leaf, group), { minKeys: 1, maxKeys: 4 }).map((d) => ({ ...d }));

  test('saveResult then loadResult gives every leaf back under its dotted path', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(resultArb, async (result) => {
        const path = join(dir, `result-${i++}.npz`);
        await saveResult(path, 'analysis', result);
        const { meta, arrays } = await loadResult(path, 'analysis');
        expect(meta?.kind).toBe('analysis');
        const check = (value: unknown, key: string) => {
          if (value instanceof Float64Array) expect(sameArray(arrays[key], { dtype: 'float64', data: value, shape: [value.length] })).toBe(true);
          else if (typeof value === 'number') expect(Object.is(arrays[key].data[0], value)).toBe(true);
          else if (typeof value === 'boolean') expect(arrays[key].data[0]).toBe(value ? 1 : 0);
          else if (typeof value === 'string') expect(arrays[key].data[0]).toBe(value);
          else for (const [k, v] of Object.entries(value as object)) check(v, `${key}.${k}`);
        };
        for (const [k, v] of Object.entries(result)) check(v, k);
      }),
      params(24, 40),
    );
  });
});

describe('model files', () => {
  const modelArb = fc.record({
    kind: fc.constantFrom('lowrank', 'fullrank'),
    size: fc.integer({ min: 1, max: 8 }),
    rank: fc.integer({ min: 1, max: 8 }),
    inputs: fc.integer({ min: 1, max: 3 }),
    outputs: fc.integer({ min: 1, max: 3 }),
    dtype: fc.constantFrom('float32', 'float64'),
    seed: fc.nat(1000),
  });
  const build = (m: { kind: string; size: number; rank: number; inputs: number; outputs: number; dtype: string; seed: number }) => {
    const common = { size: m.size, inputs: m.inputs, outputs: m.outputs, dtype: m.dtype as 'float32' | 'float64', seed: m.seed, device: 'cpu' as const };
    return m.kind === 'lowrank' ? new LowRankRNN({ ...common, rank: Math.min(m.rank, m.size) }) : new FullRankRNN(common);
  };

  test('saveModel then loadModel gives the same config and the same parameters, bit for bit', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(modelArb, async (m) => {
        const model = build(m);
        const path = join(dir, `model-${i++}.npz`);
        await saveModel(path, model);
        const back = await loadModel(path, { dtype: model.dtype }); // the precision is a choice at load, not part of the file
        expect(back.config).toEqual(model.config);
        const a = model.params();
        const b = back.params();
        for (const name of Object.keys(a) as (keyof typeof a)[]) {
          expect(b[name].shape).toEqual(a[name].shape);
          expect(Array.from(b[name].data).every((v, k) => Object.is(v, a[name].data[k])), name).toBe(true);
        }
        model.dispose();
        back.dispose();
      }),
      params(25, 25),
    );
  });

  test('corrupt model files give clear errors, or a model', async () => {
    const model = build({ kind: 'lowrank', size: 6, rank: 2, inputs: 2, outputs: 1, dtype: 'float64', seed: 3 });
    const good = join(dir, 'good-model.npz');
    await saveModel(good, model);
    const bytes = new Uint8Array((await import('node:fs')).readFileSync(good));
    let i = 0;
    await fc.assert(
      fc.asyncProperty(corruptionArb, async (corrupt) => {
        const path = join(dir, `corrupt-model-${i++}.npz`);
        writeFileSync(path, corrupt(bytes));
        await decodesOrSaysWhy(async () => (await loadModel(path)).dispose());
      }),
      params(26, 150),
    );
  });
});

// ------------------------------------------------------------------------------------------------ recordings

describe('MATLAB reader', () => {
  /** A level-5 MAT header (128 bytes, little-endian) followed by `body`. */
  const mat5 = (body: Uint8Array) => {
    const header = new Uint8Array(128).fill(0x20);
    const text = 'MATLAB 5.0 MAT-file, written by a property test';
    for (let i = 0; i < text.length; i++) header[i] = text.charCodeAt(i);
    header.set([0, 0, 0, 0, 0, 0, 0, 0], 116);
    header.set([0x00, 0x01, 0x49, 0x4d], 124);
    return Uint8Array.from([...header, ...body]);
  };
  /** A valid miDOUBLE matrix element 'x' of n values, as the body of a MAT-file. */
  const matrix = (values: number[]) => {
    const n = values.length;
    const parts: number[] = [];
    const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
    const flags = [...u32(6), ...u32(8), ...u32(6), ...u32(0)]; // miUINT32, 8 bytes: class double
    const dims = [...u32(5), ...u32(8), ...u32(1), ...u32(n)]; // miINT32, 1 x n
    const name = [...u32(1), ...u32(1), 0x78, 0, 0, 0, 0, 0, 0, 0]; // miINT8 'x', padded to 8
    const data = [...u32(9), ...u32(8 * n), ...new Uint8Array(Float64Array.from(values).buffer)];
    const body = [...flags, ...dims, ...name, ...data];
    parts.push(...u32(14), ...u32(body.length), ...body);
    return Uint8Array.from(parts);
  };

  test('a valid double matrix reads back, and its corruptions give clear errors', async () => {
    const x = [1.5, -0, NaN, Infinity];
    const file = decodeMat(mat5(matrix(x)), 'ok.mat');
    expect(file).toBeDefined();
    await fc.assert(
      fc.asyncProperty(fc.array(doubleArb, { minLength: 0, maxLength: 6 }), corruptionArb, async (values, corrupt) => {
        await decodesOrSaysWhy(() => decodeMat(corrupt(mat5(matrix(values))), 'probe.mat'));
      }),
      params(27, 300),
    );
  });

  test('random bodies after a valid header give clear errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (body) => {
        await decodesOrSaysWhy(() => decodeMat(mat5(body), 'random.mat'));
      }),
      params(28, 300),
    );
  });
});
