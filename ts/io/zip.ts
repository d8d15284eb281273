// A minimal zip container, enough for .npz files: stored and deflated entries, zip64 on read and write, CRC checked
// on read. Node's zlib does the (de)compression and the CRC-32s. Each codec has a synchronous form (encodeNpz,
// decodeNpz) and an asynchronous one (saveNpz, loadNpz), which hands every entry of POOL_BYTES or more to zlib
// streams, so that deflating, inflating and checksumming run on the libuv thread pool and never block the event loop;
// both write the same bytes. Not supported: encryption, multi-disk archives, compression methods other than stored
// and deflate.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32, createGunzip, createGzip, deflateRawSync, inflateRawSync, type Gunzip, type Gzip } from 'node:zlib';
import { concatBytes, dataView, decodeLatin1 } from './bytes.js';
import { FileFormatError } from './errors.js';

/** An entry to write; its content is the concatenation of `chunks`. */
export interface ZipInput {
  name: string;
  chunks: readonly Uint8Array[];
}

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/** How a zip (a .npz) is written. */
export interface ZipWriteOptions {
  /** Deflate the entries (like numpy.savez_compressed) instead of storing them (like numpy.savez). Default false. */
  compress?: boolean;
  /** Write zip64 records even where 32-bit fields suffice (they are written anyway when needed). For tests. */
  forceZip64?: boolean;
}

const SIG = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50, end64: 0x06064b50, locator64: 0x07064b50 };
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const ZIP64_EXTRA_ID = 0x0001;
const ALIGNMENT_EXTRA_ID = 0xd935;
const DATA_ALIGN = 64;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const METHOD = { stored: 0, deflate: 8 };
const VERSION = { plain: 20, zip64: 45 };
/** Made by Unix (3), so that the external attributes below are read as permissions. */
const MADE_BY_UNIX = 3 << 8;
const FILE_MODE_644 = 0o100644 * 0x10000;
/** 1980-01-01 00:00, numpy's timestamp for .npz entries; it makes output reproducible. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const END_RECORD_SIZE = 22;
const END64_RECORD_SIZE = 56;
const LOCATOR64_SIZE = 20;

// ---------------------------------------------------------------------------------------------------- writing

/** The fields of a central-directory record, with the name as bytes (writing) or as text (reading). */
interface EntryRecord<Name> {
  name: Name;
  flags: number;
  method: number;
  crc: number;
  size: number;
  compressedSize: number;
  offset: number;
}

type WrittenEntry = EntryRecord<Uint8Array>;

/** The archive holding `entries`, as chunks to write in order (stored data chunks are not copied). */
export function zipChunks(entries: readonly ZipInput[], options: ZipWriteOptions = {}): Uint8Array[] {
  return archiveChunks(entries, entries.map((entry) => entryBody(entry.chunks, options.compress === true)), options);
}

/**
 * The archive holding `entries`, as zipChunks writes it, with every large entry deflated (when `compress`) and
 * checksummed on the libuv thread pool: the event loop only runs between zlib's steps.
 */
export async function zipChunksAsync(entries: readonly ZipInput[], options: ZipWriteOptions = {}): Promise<Uint8Array[]> {
  const bodies: EntryBody[] = [];
  for (const entry of entries) bodies.push(await entryBodyAsync(entry.chunks, options.compress === true));
  return archiveChunks(entries, bodies, options);
}

function archiveChunks(entries: readonly ZipInput[], bodies: readonly EntryBody[], options: ZipWriteOptions): Uint8Array[] {
  const force = options.forceZip64 === true;
  const out: Uint8Array[] = [];
  const written: WrittenEntry[] = [];
  let offset = 0;
  entries.forEach((entry, i) => {
    const body = bodies[i];
    const name = new TextEncoder().encode(entry.name);
    if (name.length > U16_MAX) {
      throw new RangeError(`a zip entry name is ${name.length} bytes long; the limit is ${U16_MAX}`);
    }
    const flags = /^[\x20-\x7e]*$/.test(entry.name) ? 0 : FLAG_UTF8;
    const { method, crc, size, compressedSize } = body;
    const record = { name, flags, method, crc, size, compressedSize, offset };
    const header = localHeader(record, force);
    out.push(header, ...body.chunks);
    offset += header.length + body.compressedSize;
    written.push(record);
  });
  const central = written.map((entry) => centralHeader(entry, force));
  const centralSize = central.reduce((n, c) => n + c.length, 0);
  out.push(...central, ...endRecords(written.length, offset, centralSize, force));
  return out;
}

/** An entry's data as written: stored or deflated, with the CRC-32 and size of the uncompressed bytes. */
interface EntryBody {
  method: number;
  chunks: readonly Uint8Array[];
  crc: number;
  size: number;
  compressedSize: number;
}

/** Entries of at least this many bytes go to zlib on the thread pool; smaller ones are done at once. */
const POOL_BYTES = 1 << 20;
/** zlib's level for deflated entries (numpy's savez_compressed uses zipfile's default, zlib's 6). */
const DEFLATE_LEVEL = 6;
/** The fixed header zlib writes in front of a gzip member (no name, no extra field) and its 8-byte trailer. */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);
const GZIP_TRAILER_SIZE = 8;
/** Output buffer of the zlib streams that checksum or deflate (inflation gets one buffer of the entry's size). */
const STREAM_CHUNK = 4 << 20;

function byteCount(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

function entryBody(chunks: readonly Uint8Array[], compress: boolean): EntryBody {
  let crc = 0;
  for (const chunk of chunks) {
    // Skipping empty chunks is not only faster: Node 20's crc32 returns 0 for a view of an empty ArrayBuffer.
    if (chunk.length > 0) crc = crc32(chunk, crc);
  }
  const size = byteCount(chunks);
  if (!compress) return { method: METHOD.stored, chunks, crc, size, compressedSize: size };
  const deflated = deflateRawSync(concatBytes(chunks), { level: DEFLATE_LEVEL });
  return { method: METHOD.deflate, chunks: [deflated], crc, size, compressedSize: deflated.length };
}

/**
 * entryBody on the thread pool for large entries: zlib's gzip stream computes the CRC-32 (its trailer) and, at level
 * 6, the deflate data (the member between its header and trailer, the same bytes deflateRawSync writes); at level 0
 * only the CRC is kept.
 */
async function entryBodyAsync(chunks: readonly Uint8Array[], compress: boolean): Promise<EntryBody> {
  const size = byteCount(chunks);
  if (size < POOL_BYTES) return entryBody(chunks, compress);
  const gzip = createGzip({ level: compress ? DEFLATE_LEVEL : 0, chunkSize: STREAM_CHUNK });
  const output = await runZlib(gzip, chunks, compress);
  const total = byteCount(output);
  const trailer = dataView(concatBytes(sliceChunks(output, total - GZIP_TRAILER_SIZE, total)));
  const crc = trailer.getUint32(0, true);
  if (!compress) return { method: METHOD.stored, chunks, crc, size, compressedSize: size };
  const deflated = sliceChunks(output, GZIP_HEADER.length, total - GZIP_TRAILER_SIZE);
  return { method: METHOD.deflate, chunks: deflated, crc, size, compressedSize: byteCount(deflated) };
}

/**
 * Feeds `input` to a zlib stream (its work runs on the thread pool) and gathers what it writes: every chunk when
 * `keepAll`, else only enough trailing chunks to hold the gzip trailer.
 */
function runZlib(stream: Gzip | Gunzip, input: readonly Uint8Array[], keepAll: boolean): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const output: Uint8Array[] = [];
    let kept = 0;
    stream.on('data', (chunk: Buffer) => {
      output.push(chunk);
      kept += chunk.length;
      while (!keepAll && output.length > 1 && kept - output[0].length >= GZIP_TRAILER_SIZE) kept -= output.shift()!.length;
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(output));
    for (const chunk of input) if (chunk.length > 0) stream.write(chunk);
    stream.end();
  });
}

/** Views of the bytes [start, end) of the concatenation of `chunks` (no copy). */
function sliceChunks(chunks: readonly Uint8Array[], start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 0;
  for (const chunk of chunks) {
    const from = Math.max(start - pos, 0);
    const to = Math.min(end - pos, chunk.length);
    if (from < to) out.push(chunk.subarray(from, to));
    pos += chunk.length;
  }
  return out;
}

function localHeader(entry: WrittenEntry, force: boolean): Uint8Array {
  const zip64 = force || entry.size >= U32_MAX || entry.compressedSize >= U32_MAX;
  // The local zip64 field must hold both sizes.
  const wide = zip64 ? zip64Extra([entry.size, entry.compressedSize]) : new Uint8Array(0);
  const dataStart = entry.offset + 30 + entry.name.length + wide.length;
  const extra = entry.method === METHOD.stored ? concatBytes([wide, alignmentExtra(dataStart)]) : wide;
  const w = new ByteWriter(30 + entry.name.length + extra.length);
  w.u32(SIG.local).u16(zip64 ? VERSION.zip64 : VERSION.plain).u16(entry.flags).u16(entry.method).u16(0).u16(DOS_DATE);
  w.u32(entry.crc).u32(zip64 ? U32_MAX : entry.compressedSize).u32(zip64 ? U32_MAX : entry.size);
  w.u16(entry.name.length).u16(extra.length).bytes(entry.name).bytes(extra);
  return w.result();
}

function centralHeader(entry: WrittenEntry, force: boolean): Uint8Array {
  // Only the fields whose 32-bit slot overflows go in the zip64 field, in this order.
  const wide = [entry.size, entry.compressedSize, entry.offset].map((v) => force || v >= U32_MAX);
  const extra = wide.some(Boolean)
    ? zip64Extra([entry.size, entry.compressedSize, entry.offset].filter((_, i) => wide[i]))
    : new Uint8Array(0);
  const version = extra.length > 0 ? VERSION.zip64 : VERSION.plain;
  const w = new ByteWriter(46 + entry.name.length + extra.length);
  w.u32(SIG.central).u16(MADE_BY_UNIX | version).u16(version).u16(entry.flags).u16(entry.method).u16(0).u16(DOS_DATE);
  w.u32(entry.crc).u32(wide[1] ? U32_MAX : entry.compressedSize).u32(wide[0] ? U32_MAX : entry.size);
  w.u16(entry.name.length).u16(extra.length).u16(0).u16(0).u16(0).u32(FILE_MODE_644);
  w.u32(wide[2] ? U32_MAX : entry.offset).bytes(entry.name).bytes(extra);
  return w.result();
}

function zip64Extra(values: number[]): Uint8Array {
  const w = new ByteWriter(4 + 8 * values.length);
  w.u16(ZIP64_EXTRA_ID).u16(8 * values.length);
  values.forEach((v) => w.u64(v));
  return w.result();
}

/**
 * Padding (the extra field zipalign uses; readers skip unknown fields) that moves stored data to a multiple of
 * DATA_ALIGN in the file. A .npy header is a multiple of 64 bytes, so the arrays in a file we wrote then sit aligned
 * in memory once the file is read, and load without a copy.
 */
function alignmentExtra(dataStart: number): Uint8Array {
  const padding = (DATA_ALIGN - ((dataStart + 6) % DATA_ALIGN)) % DATA_ALIGN;
  const w = new ByteWriter(6 + padding);
  w.u16(ALIGNMENT_EXTRA_ID).u16(2 + padding).u16(DATA_ALIGN);
  return w.result();
}

function endRecords(count: number, centralOffset: number, centralSize: number, force: boolean): Uint8Array[] {
  const zip64 = force || count >= U16_MAX || centralOffset >= U32_MAX || centralSize >= U32_MAX;
  const end = new ByteWriter(END_RECORD_SIZE);
  end.u32(SIG.end).u16(0).u16(0);
  end.u16(zip64 ? U16_MAX : count).u16(zip64 ? U16_MAX : count);
  end.u32(zip64 ? U32_MAX : centralSize).u32(zip64 ? U32_MAX : centralOffset).u16(0);
  if (!zip64) return [end.result()];
  const end64 = new ByteWriter(END64_RECORD_SIZE);
  end64.u32(SIG.end64).u64(END64_RECORD_SIZE - 12).u16(MADE_BY_UNIX | VERSION.zip64).u16(VERSION.zip64);
  end64.u32(0).u32(0).u64(count).u64(count).u64(centralSize).u64(centralOffset);
  const locator = new ByteWriter(LOCATOR64_SIZE);
  locator.u32(SIG.locator64).u32(0).u64(centralOffset + centralSize).u32(1);
  return [end64.result(), locator.result(), end.result()];
}

/** Little-endian field writer over a fixed-size buffer. */
class ByteWriter {
  private readonly out: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = dataView(this.out);
  }

  u16(v: number): this {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  u64(v: number): this {
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.out.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  result(): Uint8Array {
    return this.out;
  }
}

// ---------------------------------------------------------------------------------------------------- reading

type CentralEntry = EntryRecord<string>;

/**
 * The entries of the zip archive in `bytes`, in central-directory order. Stored entries are views of `bytes`.
 * Throws a FileFormatError naming `source` (and the entry) for corrupt, truncated or unsupported archives.
 */
export function unzip(bytes: Uint8Array, source: string): ZipEntry[] {
  return directoryOf(bytes, source).map(({ where, entry }) => ({ name: entry.name, data: extractEntry(where, entry) }));
}

/**
 * unzip with every large entry checked (and inflated) on the libuv thread pool. Stored entries are views of `bytes`
 * except where their data is not 8-byte aligned in it (numpy's own archives): those are copied, in slices between
 * which the event loop runs, so that their arrays load without a further copy.
 */
export async function unzipAsync(bytes: Uint8Array, source: string): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for (const { where, entry } of directoryOf(bytes, source)) out.push({ name: entry.name, data: await extractEntryAsync(where, entry) });
  return out;
}

function directoryOf(bytes: Uint8Array, source: string): { where: ByteReader; entry: CentralEntry }[] {
  const reader = new ByteReader(bytes, source);
  const directory = readEndRecords(reader);
  const entries: { where: ByteReader; entry: CentralEntry }[] = [];
  let pos = directory.offset;
  for (let i = 0; i < directory.count; i++) {
    const { entry, next } = readCentralEntry(reader, pos);
    entries.push({ where: new ByteReader(bytes, `${source}, entry '${entry.name}'`), entry });
    pos = next;
  }
  return entries;
}

function readEndRecords(r: ByteReader): { count: number; offset: number } {
  const end = findEndRecord(r);
  if (r.u16(end + 4) !== 0 || r.u16(end + 6) !== 0) r.fail('multi-disk zip archives are not supported');
  let count = r.u16(end + 10);
  let size = r.u32(end + 12);
  let offset = r.u32(end + 16);
  if (end >= LOCATOR64_SIZE && r.u32(end - LOCATOR64_SIZE) === SIG.locator64) {
    const end64 = r.u64(end - LOCATOR64_SIZE + 8, 'zip64 locator');
    if (r.u32(end64, 'zip64 end record') !== SIG.end64) r.fail('corrupt zip64 end-of-central-directory record');
    count = r.u64(end64 + 32, 'zip64 end record');
    size = r.u64(end64 + 40, 'zip64 end record');
    offset = r.u64(end64 + 48, 'zip64 end record');
  }
  if (offset + size > end) r.fail('the central directory lies outside the file (truncated or corrupt archive)');
  return { count, offset };
}

function findEndRecord(r: ByteReader): number {
  const last = r.bytes.length - END_RECORD_SIZE;
  // The record is followed by a comment of at most 64 KiB.
  for (let pos = last; pos >= 0 && pos >= last - U16_MAX; pos--) {
    if (r.u32(pos) === SIG.end) return pos;
  }
  return r.fail('not a zip archive, or truncated (no end-of-central-directory record)');
}

function readCentralEntry(r: ByteReader, pos: number): { entry: CentralEntry; next: number } {
  if (r.u32(pos, 'central directory') !== SIG.central) r.fail('corrupt central directory (bad entry signature)');
  const nameLength = r.u16(pos + 28);
  const extraLength = r.u16(pos + 30);
  const commentLength = r.u16(pos + 32);
  const flags = r.u16(pos + 8);
  const nameBytes = r.slice(pos + 46, nameLength, 'central directory');
  const name = flags & FLAG_UTF8 ? new TextDecoder().decode(nameBytes) : decodeLatin1(nameBytes);
  const extra = r.slice(pos + 46 + nameLength, extraLength, 'central directory');
  // Fields saturated at 0xFFFFFFFF are in the zip64 extra field, in this order.
  const wide = [r.u32(pos + 24), r.u32(pos + 20), r.u32(pos + 42)];
  const [size, compressedSize, offset] = readZip64Fields(new ByteReader(extra, `${r.source}, entry '${name}'`), wide);
  const entry = { name, flags, method: r.u16(pos + 10), crc: r.u32(pos + 16), size, compressedSize, offset };
  return { entry, next: pos + 46 + nameLength + extraLength + commentLength };
}

function readZip64Fields(extra: ByteReader, values: number[]): number[] {
  if (!values.includes(U32_MAX)) return values;
  for (let pos = 0; pos + 4 <= extra.bytes.length; pos += 4 + extra.u16(pos + 2)) {
    if (extra.u16(pos) !== ZIP64_EXTRA_ID) continue;
    let field = pos + 4;
    return values.map((v) => {
      if (v !== U32_MAX) return v;
      field += 8;
      return extra.u64(field - 8, 'zip64 extra field');
    });
  }
  return extra.fail('sizes are marked zip64 but the zip64 extra field is missing');
}

/** The raw (stored or deflated) data of an entry, after its local header is checked. */
function rawData(where: ByteReader, entry: CentralEntry): Uint8Array {
  if (entry.flags & FLAG_ENCRYPTED) where.fail('encrypted entries are not supported');
  if (entry.method !== METHOD.stored && entry.method !== METHOD.deflate) {
    where.fail(`compression method ${entry.method} is not supported (only stored and deflate)`);
  }
  if (where.u32(entry.offset, 'local header') !== SIG.local) where.fail('corrupt local header (bad signature)');
  const start = entry.offset + 30 + where.u16(entry.offset + 26) + where.u16(entry.offset + 28);
  return where.slice(start, entry.compressedSize, 'entry data');
}

function extractEntry(where: ByteReader, entry: CentralEntry): Uint8Array {
  const raw = rawData(where, entry);
  const data = entry.method === METHOD.stored ? raw : inflate(where, entry, raw);
  checkSizeAndCrc(where, entry, data.length, crc32(data));
  return data;
}

function checkSizeAndCrc(where: ByteReader, entry: CentralEntry, size: number, crc: number): void {
  if (size !== entry.size) where.fail(`data is ${size} bytes; the directory says ${entry.size}`);
  if (crc !== entry.crc) where.fail('CRC-32 mismatch: the data is corrupt');
}

function inflate(where: ByteReader, entry: CentralEntry, raw: Uint8Array): Uint8Array {
  try {
    return inflateRawSync(raw, { info: false, maxOutputLength: Math.max(entry.size, 1) });
  } catch (err) {
    return where.fail(`corrupt deflate data (${(err as Error).message})`);
  }
}

async function extractEntryAsync(where: ByteReader, entry: CentralEntry): Promise<Uint8Array> {
  const raw = rawData(where, entry);
  if (Math.max(entry.size, raw.length) < POOL_BYTES) return extractEntry(where, entry);
  if (entry.method === METHOD.deflate) return inflateOnPool(where, entry, raw);
  const output = await runZlib(createGzip({ level: 0, chunkSize: STREAM_CHUNK }), [raw], false);
  const total = byteCount(output);
  const trailer = dataView(concatBytes(sliceChunks(output, total - GZIP_TRAILER_SIZE, total)));
  checkSizeAndCrc(where, entry, raw.length, trailer.getUint32(0, true));
  return raw.byteOffset % 8 === 0 ? raw : copyInSlices(raw);
}

/**
 * Inflates a deflated entry on the thread pool as the body of a gzip member whose trailer holds the directory's CRC-32
 * and size, so that zlib checks both there; the output is one buffer of the entry's size.
 */
async function inflateOnPool(where: ByteReader, entry: CentralEntry, raw: Uint8Array): Promise<Uint8Array> {
  const trailer = new Uint8Array(GZIP_TRAILER_SIZE);
  dataView(trailer).setUint32(0, entry.crc, true);
  dataView(trailer).setUint32(4, entry.size % 2 ** 32, true);
  const gunzip = createGunzip({ chunkSize: Math.max(entry.size + 64, 64) });
  let output: Uint8Array[];
  try {
    output = await runZlib(gunzip, [GZIP_HEADER, raw, trailer], true);
  } catch (err) {
    const message = (err as Error).message;
    if (/incorrect data check/.test(message)) return where.fail('CRC-32 mismatch: the data is corrupt');
    if (/incorrect length check/.test(message)) return where.fail(`data does not have the ${entry.size} bytes the directory says`);
    return where.fail(`corrupt deflate data (${message})`);
  }
  const size = byteCount(output);
  if (size !== entry.size) where.fail(`data is ${size} bytes; the directory says ${entry.size}`);
  return output.length === 1 ? output[0] : copyInSlices(...output);
}

/** Bytes copied into one new buffer a few MiB at a time, letting the event loop run between the slices. */
async function copyInSlices(...chunks: Uint8Array[]): Promise<Uint8Array> {
  const out = new Uint8Array(byteCount(chunks));
  let offset = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += STREAM_CHUNK) {
      out.set(chunk.subarray(i, i + STREAM_CHUNK), offset + i);
      await nextTurn();
    }
    offset += chunk.length;
  }
  return out;
}

/** Bounds-checked little-endian field reader; every failure is a FileFormatError naming the source. */
class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
  ) {
    this.view = dataView(bytes);
  }

  u16(pos: number, what = 'archive'): number {
    this.need(pos, 2, what);
    return this.view.getUint16(pos, true);
  }

  u32(pos: number, what = 'archive'): number {
    this.need(pos, 4, what);
    return this.view.getUint32(pos, true);
  }

  u64(pos: number, what = 'archive'): number {
    this.need(pos, 8, what);
    const value = this.view.getBigUint64(pos, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} holds an impossible size or offset ${value}`);
    return Number(value);
  }

  slice(pos: number, length: number, what: string): Uint8Array {
    this.need(pos, length, what);
    return this.bytes.subarray(pos, pos + length);
  }

  fail(problem: string): never {
    throw new FileFormatError(`${this.source}: ${problem}`);
  }

  private need(pos: number, length: number, what: string): void {
    if (pos < 0 || pos + length > this.bytes.length) {
      this.fail(`${what} is truncated or corrupt (it runs past the end)`);
    }
  }
}
