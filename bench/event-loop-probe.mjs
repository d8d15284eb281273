// The event-loop probe shared by bench/event-loop.mjs and test/engine/event-loop.test.ts: runs a call with two
// probes on, perf_hooks.monitorEventLoopDelay (10 ms resolution) and a 2 ms heartbeat timer, and reports the worst
// stall they saw. On Linux the heartbeat also reads, from /proc/self/task/<pid>/schedstat, how long the JavaScript
// thread ran and how long it waited on a run queue during its longest gap: on a loaded machine the wait is the
// machine's part of the stall, and the rest (running, or blocked) the thread's own.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const PERIOD_MS = 2;

/** Nanoseconds this (main) thread has run and waited on a run queue, or null where Linux's schedstat is not readable. */
function schedstat() {
  try {
    const [ran, queued] = readFileSync(SCHEDSTAT, 'latin1').split(' ').map(Number);
    return { ran, queued };
  } catch {
    return null;
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` (sync or async) with the probes on and returns what they saw (see event-loop-probe.d.mts). */
export async function measureStall(work) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let lastStat = schedstat();
  let worst = { gap: 0, queued: 0, ran: null };
  const beat = setInterval(() => {
    const now = performance.now();
    const stat = schedstat();
    const gap = now - last - PERIOD_MS;
    if (gap > worst.gap) {
      worst = stat && lastStat ? { gap, queued: (stat.queued - lastStat.queued) / 1e6, ran: (stat.ran - lastStat.ran) / 1e6 } : { gap, queued: 0, ran: null };
    }
    last = now;
    lastStat = stat;
  }, PERIOD_MS);
  histogram.enable();
  await pause(20);
  let seconds;
  try {
    const t0 = performance.now();
    await work();
    seconds = (performance.now() - t0) / 1000;
    await pause(30); // the gap that ends with the work is counted too
  } finally {
    clearInterval(beat);
    histogram.disable();
  }
  // the histogram counts from one 10 ms sampling to the next: its figure includes the resolution
  return { delay: Math.max(0, histogram.max / 1e6 - 10), ...worst, seconds };
}
