/** Lets one stage wake another's wait early: `kick` ends the wait in progress, if any. */
export class Wakeup {
  private wake: (() => void) | undefined;

  kick(): void {
    this.wake?.();
  }

  /** Until `kick` or `ms`; a newer wait replaces an older one's wake-up. */
  async wait(ms: number): Promise<void> {
    let wake: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.wake = wake;
    });
    if (this.wake === wake) this.wake = undefined;
  }
}
