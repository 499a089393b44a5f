import { setTimeout as sleep } from 'node:timers/promises';

/** Paces byte streams to an average rate shared by all uploads (no cap when `bytesPerSecond` is undefined). */
export class RateLimiter {
  private readonly bytesPerSecond: number | undefined;
  private nextFree = 0;

  constructor(bytesPerSecond: number | undefined) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Waits until `bytes` more may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.bytesPerSecond) return;
    const now = Date.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now, undefined, signal ? { signal } : undefined);
  }
}
