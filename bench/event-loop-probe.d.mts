/** What measureStall saw while a call ran (milliseconds, and the call's seconds). */
export interface Stall {
  /** monitorEventLoopDelay's largest delay, less its 10 ms resolution. */
  delay: number;
  /** The heartbeat's longest gap beyond its 2 ms period. */
  gap: number;
  /** Of that gap, the time the JavaScript thread waited for a CPU (0 where Linux's schedstat is not readable). */
  queued: number;
  /** Of that gap, the time the JavaScript thread ran (null where Linux's schedstat is not readable). */
  ran: number | null;
  /** How long the call took. */
  seconds: number;
}

/** Runs `work` (sync or async) with the event-loop probes on and returns the worst stall they saw. */
export function measureStall(work: () => unknown): Promise<Stall>;
