// One probe of the bad-input corpus (or a batch of cheap ones), in its own process: imports the built package (dist/),
// runs the probe's code (the body of an async function of L = the package, F = the fixtures folder, H = helpers) and
// prints one line per probe, "PROBE-RESULT <json>": what the code returned or threw. A crash (signal, V8 or native
// abort) prints no such line; the parent reads the exit status and stderr instead.
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [dist, fixtures, code] = process.argv.slice(2);
const L = await import(pathToFileURL(`${dist}/index.js`).href);

const H = {
  /** A model file of the fixtures folder, loaded. */
  model: (name = 'lowrank') => L.loadModel(`${fixtures}/${name}.npz`),
  /** A float64 tensor of the given shape, filled with `fill` (a number or a function of the index). */
  t(shape, fill = 0.1, Array = Float64Array) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Array(n);
    for (let i = 0; i < n; i++) data[i] = typeof fill === 'function' ? fill(i) : fill;
    return { data, shape };
  },
  /** A tensor like `t` with one NaN (or the given value) in its first element. */
  bad(shape, value = NaN) {
    const x = H.t(shape, (i) => (i === 0 ? value : 0.1 * Math.sin(i)));
    return x;
  },
  /** A dataset { inputs [B, T, K], targets [B, T, O], mask [B, T, O] } with a given mask fill. */
  data(B = 32, T = 5, K = 1, O = 1, mask = 1) {
    return { inputs: H.t([B, T, K], (i) => Math.sin(i)), targets: H.t([B, T, O], 0.5), mask: H.t([B, T, O], mask) };
  },
  /** States [B, T, N] from a fixture file. */
  states: (name = 'states') => L.loadNpy(`${fixtures}/${name}.npy`),
  /**
   * Calls `f` with each value; returns what the first call that did not throw returned (the bad value went
   * through), else throws one Error whose message joins every message (a non-Error thrown is rethrown as is).
   */
  async each(values, f) {
    const messages = [];
    let first;
    for (const v of values) {
      try {
        await f(v);
        return `returned for ${String(v)}`;
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        first ??= err;
        messages.push(`${String(v)}: ${err.message}`);
      }
    }
    const joined = new first.constructor(messages.join(' || '));
    joined.stack = first.stack;
    throw joined;
  },
  /** A short summary of what a probe returned. */
  summary(value) {
    if (value === undefined || value === null) return String(value);
    if (typeof value !== 'object') return String(value).slice(0, 120);
    if (value.shape && value.data) return `tensor [${value.shape}]`;
    return `object {${Object.keys(value).slice(0, 8).join(', ')}}`;
  },
};

// A probe that is one expression is awaited and its value kept; one of several statements is run as written.
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
function compile(source) {
  try {
    return new AsyncFunction('L', 'F', 'H', `return await (${source}\n);`);
  } catch {
    return new AsyncFunction('L', 'F', 'H', source);
  }
}

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

async function run(source) {
  try {
    const value = await compile(source)(L, fixtures, H);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (unhandled.length > 0) throw Object.assign(new Error(`unhandled rejection: ${unhandled[0]?.message ?? unhandled[0]}`), { unhandled: true });
    return { outcome: 'returned', value: H.summary(value) };
  } catch (err) {
    const isError = err instanceof Error && !err.unhandled;
    return {
      outcome: 'threw',
      isError,
      name: isError ? err.name : typeof err,
      message: isError ? err.message : String(err),
      at: isError ? (err.stack ?? '').split('\n').slice(1, 3).join(' | ') : '',
    };
  }
}

// The code is one probe's, or (a JSON array of { name, code }) a batch of cheap probes run one after the other in this
// process; each result line is written synchronously, so that a crash loses only the results after it.
const batch = code.startsWith('[') ? JSON.parse(code) : [{ name: '', code }];
for (const probe of batch) {
  const result = await run(probe.code);
  writeSync(1, `PROBE-RESULT ${JSON.stringify({ probe: probe.name, ...result })}\n`);
}
process.exit(0);
