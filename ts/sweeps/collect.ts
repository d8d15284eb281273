// Collecting a sweep: one row per job (its grid point, status, message, seconds and every scalar of its result
// line, nested fields named by dotted paths such as 'rows.0.r2'), written as CSV or as a .npz of columns.
import { checkLoaded } from './plan.js';
import { is, checkValue } from '../core/validate.js';
import { writeFileSync } from 'node:fs';
import { saveResult } from '../results/format.js';
import type { LoadedPlan } from './plan.js';
import { readRecord } from './results.js';
import { jobStates } from './run.js';

/** The collected table: column names and one row per job (undefined where a job has no value). */
export interface SweepTable {
  /** Column names: id, index, status, seconds, message, the grid's options, then the result's scalars. */
  columns: string[];
  /** Rows, one per job of the grid in index order. */
  rows: (string | number | boolean | undefined)[][];
}

function scalars(value: unknown, path: string, out: Map<string, string | number | boolean>): void {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') out.set(path, value);
  else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number') && path) out.set(path, value.join(' '));
    else value.forEach((v, i) => scalars(v, `${path}.${i}`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) scalars(v, path ? `${path}.${k}` : k, out);
  }
}

/** The table of a sweep (every job, finished or not). */
export function collectTable(loaded: LoadedPlan): SweepTable {
  checkLoaded('collectTable', loaded);
  const states = jobStates(loaded);
  const gridKeys = Object.keys(loaded.plan.grid);
  const resultKeys: string[] = [];
  const seen = new Set<string>();
  const perJob = loaded.jobs.map((job) => {
    const record = readRecord(loaded, job);
    const values = new Map<string, string | number | boolean>();
    scalars(record?.result ?? {}, '', values);
    for (const key of values.keys()) if (!seen.has(key)) (seen.add(key), resultKeys.push(key));
    return { job, record, values };
  });
  const columns = ['id', 'index', 'status', 'seconds', 'message', ...gridKeys, ...resultKeys];
  const rows = perJob.map(({ job, record, values }, i) => [
    job.id,
    job.index,
    states[i],
    record?.seconds,
    record?.message,
    ...gridKeys.map((k) => {
      const v = job.params[k];
      return Array.isArray(v) ? v.join(' ') : (v as string | number | boolean);
    }),
    ...resultKeys.map((k) => values.get(k)),
  ]);
  return { columns, rows };
}

function csvCell(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : String(v)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes the table to `path`: `.csv` (a header line, then one line per job), or `.npz` (kind 'sweep': one array per
 * column, numbers as float64 with NaN where missing, anything else as strings with '' where missing).
 */
export async function writeTable(table: SweepTable, path: string): Promise<void> {
  checkValue('writeTable', 'table', table, is.object(), 'argument');
  checkValue('writeTable', 'path', path, is.string(), 'argument');
  if (path.endsWith('.csv')) {
    writeFileSync(path, [table.columns, ...table.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n');
  } else if (path.endsWith('.npz')) {
    const arrays: Record<string, Float64Array | string[]> = {};
    table.columns.forEach((name, c) => {
      const col = table.rows.map((r) => r[c]);
      const numeric = col.every((v) => v === undefined || typeof v === 'number') && col.some((v) => v !== undefined);
      arrays[name] = numeric ? Float64Array.from(col, (v) => (v === undefined ? NaN : (v as number))) : col.map((v) => (v === undefined ? '' : String(v)));
    });
    await saveResult(path, 'sweep', arrays);
  } else throw new RangeError(`sweep collect: option '--out' must end in .csv or .npz; got '${path}'`);
}
