/**
 * Lets one stage wake another's wait early: `kick` ends the wait in progress, or, when none is, the next
 * one at once (a kick that came while the waiter was busy is not lost: a snapshot spooled just then would
 * otherwise wait a whole timeout for its upload).
 */
export class Wakeup {
  private wake: (() => void) | undefined;
  private kicked = false;

  kick(): void {
    if (this.wake) this.wake();
    else this.kicked = true;
  }

  /** Until `kick`, `ms` or `signal` aborts; a newer wait replaces an older one's wake-up. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.kicked || signal?.aborted) {
      this.kicked = false;
      return;
    }
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake?.(), ms);
      wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake as () => void);
        // From here on a kick is remembered for the next wait.
        if (this.wake === wake) this.wake = undefined;
        resolve();
      };
      signal?.addEventListener('abort', wake);
      this.wake = wake;
    });
  }
}
