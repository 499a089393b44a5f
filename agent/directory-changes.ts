import { type FSWatcher, watch } from 'node:fs';

/**
 * Wakes a follower as soon as a file in a directory changes (inotify on Linux), so an append is read at once
 * rather than at the next poll. Where watching is not possible (no watches left, a file system without
 * events) waits just time out: polling goes on as before.
 */
export class DirectoryChanges {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => {
        this.changed = true;
        this.wake?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  /** Until something changed since the last wait, `ms` passed or `signal` aborted. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.changed && ms > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done);
        this.wake = done;
      });
    }
    this.changed = false;
  }

  /** Ends the wait in progress (or the next one) as a change would: the consumer wants to look again now. */
  nudge(): void {
    this.changed = true;
    this.wake?.();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.wake?.();
  }
}
