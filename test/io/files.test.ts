import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadNpy,
  loadNpz,
  readFileBytes,
  readNpy,
  saveNpy,
  saveNpz,
  toStringScalar,
  writeFileAtomic,
} from '../../ts/io/index.js';
import { makeTempDir } from '../support/io.js';

let dir = '';
let remove = async () => {};
beforeAll(async () => ({ dir, remove } = await makeTempDir()));
afterAll(() => remove());

/** A fresh empty subdirectory of the test's temp dir. */
async function freshDir(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  return path;
}

describe('writeFileAtomic', () => {
  it('writes one buffer or chunks in order, and leaves no temp file', async () => {
    const here = await freshDir('write');
    const path = join(here, 'out.bin');
    await writeFileAtomic(path, [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)]);
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, Uint8Array.of(9));
    expect([...(await readFile(path))]).toEqual([9]);
    expect(await readdir(here)).toEqual(['out.bin']);
  });

  it('fails with the path and ENOENT when the directory does not exist, creating nothing', async () => {
    const path = join(dir, 'no-such-dir', 'x.npy');
    await expect(writeFileAtomic(path, Uint8Array.of(1))).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot write ".*no-such-dir\/x\.npy": ENOENT/),
      code: 'ENOENT',
    });
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
  });

  it('removes its temp file and leaves the target alone when the final rename fails', async () => {
    const here = await freshDir('rename-fails');
    const target = join(here, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'kept');
    await expect(writeFileAtomic(target, Uint8Array.of(1, 2, 3))).rejects.toThrow(
      /^cannot write ".*target": E(ISDIR|NOTEMPTY|EXIST)/,
    );
    expect(await readdir(here)).toEqual(['target']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('checks its arguments', async () => {
    await expect(writeFileAtomic('', Uint8Array.of(1))).rejects.toThrow(
      /path must be a non-empty string; got an empty string/,
    );
    await expect(writeFileAtomic(join(dir, 'x'), [Uint8Array.of(1), 'no' as never])).rejects.toThrow(
      /data\[1\] must be a Uint8Array; got string/,
    );
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('readFileBytes', () => {
  it('reads a file and names the path when it cannot', async () => {
    const path = join(dir, 'bytes.bin');
    await writeFile(path, Uint8Array.of(5, 6, 7));
    expect([...(await readFileBytes(path))]).toEqual([5, 6, 7]);
    await expect(readFileBytes(join(dir, 'missing.npy'))).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot read ".*missing\.npy": ENOENT/),
      code: 'ENOENT',
    });
    await expect(readFileBytes(dir)).rejects.toThrow(/^cannot read ".*": EISDIR/);
  });
});

describe('saveNpy / loadNpy / readNpy / saveNpz / loadNpz on files', () => {
  it('round-trips a tensor through a .npy file', async () => {
    const path = join(dir, 'states.npy');
    await saveNpy(path, { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    expect(await loadNpy(path)).toEqual({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    expect(await loadNpy(path, { dtype: 'float64' })).toEqual({
      data: new Float64Array([1, 2, 3, 4, 5, 6]),
      shape: [2, 3],
    });
    expect((await readNpy(path)).dtype).toBe('float32');
  });

  it('loadNpy names the file when it holds strings; readNpy returns them', async () => {
    const path = join(dir, 'note.npy');
    await saveNpy(path, 'hello');
    await expect(loadNpy(path)).rejects.toThrow(/note\.npy holds strings/);
    expect(await readNpy(path)).toEqual({ dtype: 'unicode', data: ['hello'], shape: [] });
  });

  it('round-trips named arrays and a JSON config through a .npz file', async () => {
    const path = join(dir, 'model.npz');
    const cfg = { kind: 'lowrank', rank: 2 };
    const m = { data: new Float64Array([1, 2]), shape: [2, 1] };
    await saveNpz(path, { m, config: JSON.stringify(cfg) }, { compress: true });
    const arrays = await loadNpz(path);
    expect(arrays.m).toEqual({ dtype: 'float64', data: new Float64Array([1, 2]), shape: [2, 1] });
    expect(JSON.parse(toStringScalar(arrays.config, 'config'))).toEqual(cfg);
  });

  it('does not touch the old file when the new value is invalid', async () => {
    const here = await freshDir('invalid');
    const path = join(here, 'model.npz');
    await saveNpz(path, { m: { data: new Float32Array([7]), shape: [1] } });
    const before = await readFile(path);
    const wrongShape = { m: { data: new Float32Array(2), shape: [3] } };
    await expect(saveNpz(path, wrongShape)).rejects.toThrow(/arrays\["m"\]: shape \[3\]/);
    const notStrings = { data: [1, 2] as never, shape: [2] };
    await expect(saveNpy(path, notStrings)).rejects.toThrow(/value\.data must be an array of strings/);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(here)).toEqual(['model.npz']);
  });

  it('names the file in load errors', async () => {
    const path = join(dir, 'garbage.npz');
    await writeFile(path, 'not a zip at all, just text');
    await expect(loadNpz(path)).rejects.toThrow(/garbage\.npz: not a zip archive/);
    await expect(readNpy(path)).rejects.toThrow(/garbage\.npz: not a \.npy file/);
  });
});
