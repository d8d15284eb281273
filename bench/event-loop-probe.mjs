// The event-loop probe shared by bench/event-loop.mjs and test/engine/event-loop.test.ts: runs a call with two
// probes on, perf_hooks.monitorEventLoopDelay (10 ms resolution) and a 2 ms heartbeat timer, and reports the worst
// stall they saw. On Linux the heartbeat also reads how long the JavaScript thread waited on a run queue during its
// longest gap (/proc/self/task/<pid>/schedstat): on a loaded machine that part of a stall is the machine's.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const PERIOD_MS = 2;

/** Nanoseconds this (main) thread has waited on a run queue, or 0 where Linux's schedstat is not readable. */
function queuedNs() {
  try {
    return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[1]);
  } catch {
    return 0;
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` (sync or async) with the probes on and returns what they saw (see event-loop-probe.d.mts). */
export async function measureStall(work) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let lastQueued = queuedNs();
  let worst = { gap: 0, queued: 0 };
  const beat = setInterval(() => {
    const now = performance.now();
    const queued = queuedNs();
    const gap = now - last - PERIOD_MS;
    if (gap > worst.gap) worst = { gap, queued: (queued - lastQueued) / 1e6 };
    last = now;
    lastQueued = queued;
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
  return { delay: Math.max(0, histogram.max / 1e6 - 10), gap: worst.gap, queued: worst.queued, seconds };
}
