// File reads and atomic writes for the io module.

import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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
  await removeStaleTemps(path);
  const temp = join(dirname(path), `.${basename(path)}.${HOST_TAG}-${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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

/** The host's tag in temp names: a write only judges the liveness of writers on its own host. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
/** Any temp file (of another host, of an older version) is stale once it has not changed for this long. */
const STALE_TEMP_AGE_MS = 24 * 3600 * 1000;

/**
 * Removes the temp files that killed writes to `path` left behind (kill -9, power loss): `.<name>.<host>-<pid>.<hex>.tmp`
 * files next to `path` whose writer on this host no longer runs (or, for this process's own pid, that were written
 * before it started: a pid reused after a restart), and any such temp, of any host or of the older
 * `.<name>.<hex>.tmp` form, that has not changed for a day. A write in progress changes its temp as it writes, in a
 * live process: it keeps it. Best effort: a temp that cannot be listed or removed is left.
 */
async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const tag = name.startsWith(prefix) ? /^(?:([0-9a-f]{8})-(\d+)\.)?[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!tag) continue;
    const temp = join(dir, name);
    const info = await stat(temp).catch(() => undefined);
    if (!info) continue;
    const age = Date.now() - info.mtimeMs;
    const [, host, pid] = tag;
    const writerGone =
      host === HOST_TAG && (Number(pid) === process.pid ? age > process.uptime() * 1000 : !processRuns(Number(pid)));
    if (writerGone || age > STALE_TEMP_AGE_MS) await rm(temp, { force: true }).catch(() => undefined);
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'; // it runs, under another user
  }
}

/**
 * Checks, before long work starts, that a file can later be written to `path`: the path is not a directory, its
 * directory exists and a file can be created there (a probe file is created and removed). Throws an Error naming
 * `name` (the option, e.g. '--out'), the path and what is wrong, with the system error's code (ENOENT, EISDIR,
 * ENOTDIR, EACCES, EROFS, ...).
 */
export async function checkOutputPath(path: string, name: string): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`${name} must be a file name; got ${typeof path === 'string' ? 'an empty string' : describeValue(path)}`);
  }
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) throw outputError(name, path, 'EISDIR', 'it is a directory; give a file name in it');
  await checkDirectoryWritable(dirname(path), name, path);
}

/**
 * Checks, before long work starts, that files can later be written into the directory `path`: it is a writable
 * directory, or it does not exist yet and its nearest existing parent is one (it will be created). Throws as
 * {@link checkOutputPath} does.
 */
export async function checkOutputDirectory(path: string, name: string): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`${name} must be a directory name; got ${typeof path === 'string' ? 'an empty string' : describeValue(path)}`);
  }
  let dir = resolve(path);
  for (;;) {
    const info = await stat(dir).catch(() => undefined);
    if (info || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  await checkDirectoryWritable(dir, name, path);
}

async function checkDirectoryWritable(dir: string, name: string, path: string): Promise<void> {
  const info = await stat(dir).catch((err: unknown) => err as NodeJS.ErrnoException);
  if (info instanceof Error) {
    throw outputError(name, path, info.code ?? 'ENOENT', info.code === 'ENOENT' ? `the directory ${JSON.stringify(dir)} does not exist` : info.message);
  }
  if (!info.isDirectory()) throw outputError(name, path, 'ENOTDIR', `${JSON.stringify(dir)} is not a directory`);
  const probe = join(dir, `.lowrank-write-probe.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw outputError(name, path, e.code ?? 'EACCES', `cannot create files in ${JSON.stringify(dir)} (${e.code ?? e.message})`);
  }
  await rm(probe, { force: true }).catch(() => undefined);
}

function outputError(name: string, path: string, code: string, why: string): Error {
  return Object.assign(new Error(`${name} ${JSON.stringify(path)}: ${why}`), { code });
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
