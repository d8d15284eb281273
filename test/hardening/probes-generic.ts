// Generic probes over every function and class the package exports (top level and namespaces): each is called
// with null, then with NaN, as its first argument (one process), which no public entry accepts — except those listed in TAKES_NOTHING
// (no arguments to check), whose return is fine.
import { api, type Probe } from './corpus.js';

/** Entries that take no argument (or only an optional one that null or NaN cannot get wrong), with why. */
export const TAKES_NOTHING: Readonly<Record<string, string>> = {
  backendInfo: 'no arguments',
  loadNative: 'no arguments',
  'plot.fontPath': 'no arguments',
  formatShape: 'formats any value for a message',
};

/** Exported values that are not entries (error classes are constructed by the package, not by users). */
const NOT_ENTRIES = /Error$/;

const isClass = (f: unknown) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

/** The dotted paths of every exported function and class of `lib` (one level of namespaces). */
export function entryPaths(lib: Record<string, unknown>): { path: string; isClass: boolean }[] {
  const out: { path: string; isClass: boolean }[] = [];
  for (const [name, value] of Object.entries(lib)) {
    if (typeof value === 'function') {
      if (!NOT_ENTRIES.test(name)) out.push({ path: name, isClass: isClass(value) });
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, f] of Object.entries(value)) {
        if (typeof f === 'function' && !NOT_ENTRIES.test(inner)) out.push({ path: `${name}.${inner}`, isClass: isClass(f) });
      }
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Generic probes share a process this many at a time (each is a few microseconds of work; starting Node is not). */
const BATCH = 12;

/** One probe per entry: called with null, then with NaN, as its first argument; both must be clear errors. */
export function genericProbes(lib: Record<string, unknown>): Probe[] {
  const entries = entryPaths(lib).filter(({ path }) => !TAKES_NOTHING[path]);
  return entries.map(({ path, isClass: cls }, i) => ({
    ...api(`${path}(null | NaN)`, `await H.each([null, NaN], (x) => ${cls ? 'new ' : ''}L.${path}(x))`),
    batch: `generic-${Math.floor(i / BATCH)}`,
  }));
}
