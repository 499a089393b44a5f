/** Time as the local scheduler sees it: the real clock, or one a test moves by hand. */
export interface Clock {
  now(): number;
  /** Resolves at `until` (clock time) or when `signal` aborts. */
  sleepUntil(until: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil: (until, signal) =>
    new Promise((resolve) => {
      // Re-check at least once a minute so a suspended machine does not miss firings by hours.
      const timer = setTimeout(resolve, Math.min(Math.max(0, until - Date.now()), 60_000));
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

/** A clock that stands still until `advanceTo` moves it; sleepers whose time has come wake up. */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { until: number; wake: () => void }[] = [];

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): number {
    return this.current;
  }

  sleepUntil(until: number, signal: AbortSignal): Promise<void> {
    if (until <= this.current) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { until, wake: resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', () => resolve());
    });
  }

  advanceTo(time: Date): void {
    this.current = time.getTime();
    const due = this.sleepers.filter((s) => s.until <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.until > this.current);
    for (const sleeper of due) sleeper.wake();
  }
}
