// Size checks before allocation: every count or size that comes from the user (trials, initial states, grid cells,
// draws, ranks, array shapes read from a file header) is checked here before anything is allocated, so that a request
// that cannot fit ends in a RangeError that says what it would take and what fits, not in a V8 heap abort.
import { totalmem } from 'node:os';
import { show } from './validate.js';

/**
 * The most values one array may hold: 2^30 (8 GiB of float64). Typed arrays of V8 go a little further, but a
 * request beyond this is almost always a typo, and the error is kinder than the minutes of paging before it.
 */
export const MAX_ARRAY_VALUES = 2 ** 30;

/** The memory one request may take in all: 80 % of this machine's memory. */
export function memoryLimit(): number {
  return 0.8 * totalmem();
}

/** Bytes in decimal units, as people read them: '512 B', '3.2 MB', '4.1 TB'. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** What one item of a count takes: its values (the largest array's share), their bytes, and words for messages. */
export interface ItemSize {
  /** Values per item in the largest array the count sizes (e.g. N for one initial state [N]). */
  values: number;
  /** Bytes per value (default 8: float64). */
  bytes?: number;
  /** The items in words, after the count, e.g. 'initial states x N=512 float64'. */
  what: string;
  /** Extra bytes per item in other arrays of the same request (default none). */
  otherBytes?: number;
}

/** The largest count of `item` that fits: in one array (MAX_ARRAY_VALUES) and in memory (memoryLimit()). */
export function maxCount(item: ItemSize): number {
  const perItem = item.values * (item.bytes ?? 8) + (item.otherBytes ?? 0);
  const byArray = item.values > 0 ? MAX_ARRAY_VALUES / item.values : Infinity;
  const byMemory = perItem > 0 ? memoryLimit() / perItem : Infinity;
  return Math.max(0, Math.floor(Math.min(byArray, byMemory)));
}

/**
 * Refuses a count that cannot fit before anything is allocated:
 *   "fixedPoints: option 'count' 1000000000 initial states x N=512 float64 would need 4.1 TB; at most 2097152 fit
 *    (2^30 values per array, 19 GB of memory)".
 * Returns the count.
 */
export function checkCount(where: string, name: string, count: number, item: ItemSize, role: 'option' | 'argument' = 'option'): number {
  const max = maxCount(item);
  if (count <= max) return count;
  const bytes = count * (item.values * (item.bytes ?? 8) + (item.otherBytes ?? 0));
  throw new RangeError(
    `${where}: ${role} '${name}' ${show(count)} ${item.what} would need ${formatBytes(bytes)}; at most ${max} fit ` +
      `(2^30 values per array, ${formatBytes(memoryLimit())} of memory)`,
  );
}

/**
 * Refuses an array (or a set of arrays) of `values` values of `bytes` bytes each that cannot fit, before it is
 * allocated: "<where>: <what> would need 8.0 TB (1000000000000 values); at most 2^30 values per array and 19 GB of
 * memory fit". `values` is the largest single array, `total` (default `values`) the values of the whole request.
 */
export function checkAllocation(where: string, what: string, values: number, bytes = 8, total = values): void {
  if (values <= MAX_ARRAY_VALUES && total * bytes <= memoryLimit()) return;
  throw new RangeError(
    `${where}: ${what} would need ${formatBytes(total * bytes)} (${show(total)} values); at most 2^30 values per array ` +
      `and ${formatBytes(memoryLimit())} of memory fit`,
  );
}
