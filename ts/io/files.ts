// File reads and atomic writes for the io module.

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeValue } from './errors.js';

/** The largest file readFileBytes loads: a Node typed array holds at most 2^32 bytes. */
export const MAX_FILE_BYTES = 2 ** 32;
/** One read or write call moves at most this much (the OS caps a call near 2 GiB). */
const IO_CHUNK = 2 ** 30;

/**
 * Writes `data` (one buffer, or chunks written in order) to `path` atomically: into a temp file in the same
 * directory, flushed to disk, then renamed over `path`. On any failure the temp file is removed, `path` keeps its
 * old content, and the error names `path`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  checkPath(path);
  const chunks = data instanceof Uint8Array ? [data] : checkChunks(data);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    for (const chunk of chunks) await writeAll(handle, chunk);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw fileError('write', path, err);
  }
  await syncDirectory(dirname(path));
}

/** Reads a whole file into one Uint8Array (also files over the 2 GiB that fs.readFile allows, up to 4 GiB). */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  checkPath(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) {
      throw new RangeError(`the file is ${size} bytes; files over 4 GiB cannot be loaded (Node's typed-array limit)`);
    }
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, Math.min(IO_CHUNK, size - filled), filled);
      if (bytesRead === 0) break; // the file shrank while we read it
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } catch (err) {
    throw fileError('read', path, err);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    const got = typeof path === 'string' ? 'an empty string' : describeValue(path);
    throw new TypeError(`path must be a non-empty string; got ${got}`);
  }
}

function checkChunks(data: unknown): readonly Uint8Array[] {
  if (!Array.isArray(data)) {
    throw new TypeError(`data must be a Uint8Array or an array of them; got ${describeValue(data)}`);
  }
  const bad = data.findIndex((c) => !(c instanceof Uint8Array));
  if (bad >= 0) throw new TypeError(`data[${bad}] must be a Uint8Array; got ${describeValue(data[bad])}`);
  return data;
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset, Math.min(IO_CHUNK, chunk.length - offset));
    offset += bytesWritten;
  }
}

/** Flushes a rename to disk. Best effort: some platforms and file systems cannot open or sync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

/** An Error that names `path` and keeps the system error's `code` (ENOENT, EISDIR, ...) and its cause. */
function fileError(verb: string, path: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const out = new Error(`cannot ${verb} ${JSON.stringify(path)}: ${message}`, { cause: err });
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== undefined) Object.assign(out, { code });
  return out;
}
